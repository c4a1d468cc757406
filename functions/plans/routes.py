"""/api/dashboard/plan/{plan_id}: review, approve, reject, modify, follow and abort a plan, and
read its audit trail; and /health/ready, the readiness check."""

from shared.api import Answer, Operation
from shared.errors import InvalidInput
from shared.ids import canonical_uuid
from shared.models import (
    AbortResponse,
    ApproveResponse,
    AuditTrail,
    DashboardPlanView,
    ModificationRequest,
    ModifyResponse,
    PlanActionRequest,
    PollResponse,
    RejectResponse,
    StatusResponse,
)
from shared.services import audit, health, plans
from shared.services.chat import chat_turn
from shared.services.context import Context
from shared.store.records import utcnow

PLAN = "/api/dashboard/plan/{plan_id}"


def get_plan(ctx: Context, plan_id: str) -> DashboardPlanView:
    return plans.get_plan(ctx, plan_id)


def approve(ctx: Context, plan_id: str, body: PlanActionRequest) -> ApproveResponse:
    return plans.approve(ctx, plan_id=plan_id, session_id=body.session_id, comment=body.comment)


def reject(ctx: Context, plan_id: str, body: PlanActionRequest) -> RejectResponse:
    return plans.reject(ctx, plan_id=plan_id, session_id=body.session_id, comment=body.comment)


def modify(ctx: Context, plan_id: str, body: ModificationRequest) -> ModifyResponse:
    if canonical_uuid(body.plan_id) != canonical_uuid(plan_id):
        raise InvalidInput("plan_id in the body does not match the plan in the path.")
    turn = chat_turn(
        ctx, session_id=body.session_id, message=body.user_message, modify_plan_id=plan_id
    )
    return ModifyResponse(new_plan=turn.plan, messages=turn.messages)


def status(ctx: Context, plan_id: str) -> StatusResponse:
    return plans.status(ctx, plan_id)


def poll(ctx: Context, plan_id: str) -> Answer:
    current = plans.status(ctx, plan_id)
    answer = PollResponse(
        overall_status=current.status,
        steps=current.steps,
        last_update=current.observed_at or utcnow(),
        stale=current.stale,
    )
    return Answer(answer, {"X-Poll-Interval": str(ctx.settings.poll_interval_ms)})


def abort(ctx: Context, plan_id: str, body: PlanActionRequest) -> AbortResponse:
    return plans.abort(ctx, plan_id=plan_id, session_id=body.session_id, comment=body.comment)


def audit_trail(ctx: Context, plan_id: str) -> AuditTrail:
    """Who decided what about the plan, when, why, and what the orchestrator confirmed; oldest
    first. Still there after the plan's session was deleted."""
    return audit.get_audit(ctx, plan_id)


def ready(ctx: Context) -> dict:
    """Readiness: 200 when the table and the orchestrator both answer, else 503 naming which
    cannot be reached. Served by this function: it is the one with both clients."""
    return health.readiness(ctx)


_PLANS = {"tags": ("plans",)}
ACTION = {"body": PlanActionRequest, "idempotent": True, **_PLANS}

OPERATIONS = (
    Operation("GET", PLAN, get_plan, DashboardPlanView, conditional=True, **_PLANS),
    Operation("POST", PLAN + "/approve", approve, ApproveResponse, **ACTION),
    Operation("POST", PLAN + "/reject", reject, RejectResponse, **ACTION),
    Operation("POST", PLAN + "/modify", modify, ModifyResponse, body=ModificationRequest,
              idempotent=True, **_PLANS),
    Operation("GET", PLAN + "/status", status, StatusResponse, conditional=True, **_PLANS),
    Operation("GET", PLAN + "/poll", poll, PollResponse, conditional=True, **_PLANS),
    Operation("POST", PLAN + "/abort", abort, AbortResponse, **ACTION),
    Operation("GET", PLAN + "/audit", audit_trail, AuditTrail, needs_orchestrator=False,
              **_PLANS),
    Operation("GET", "/health/ready", ready, dict, tags=("health",)),
)
