"""/api/dashboard/plan/{plan_id}: review, approve, reject, modify, follow and abort a plan."""

from shared.errors import InvalidInput
from shared.ids import canonical_uuid
from shared.models import (
    AbortResponse,
    ApproveResponse,
    DashboardPlanView,
    ModificationRequest,
    ModifyResponse,
    PlanActionRequest,
    PollResponse,
    RejectResponse,
    StatusResponse,
)
from shared.services import plans
from shared.services.chat import chat_turn
from shared.services.context import Context
from shared.store.records import utcnow
from shared.web.operations import Answer, Operation

PLAN = "/api/dashboard/plan/{plan_id}"


async def get_plan(ctx: Context, plan_id: str) -> DashboardPlanView:
    return await plans.get_plan(ctx, plan_id)


async def approve(ctx: Context, plan_id: str, body: PlanActionRequest) -> ApproveResponse:
    return await plans.approve(ctx, plan_id=plan_id, session_id=body.session_id)


async def reject(ctx: Context, plan_id: str, body: PlanActionRequest) -> RejectResponse:
    return await plans.reject(ctx, plan_id=plan_id, session_id=body.session_id)


async def modify(ctx: Context, plan_id: str, body: ModificationRequest) -> ModifyResponse:
    if canonical_uuid(body.plan_id) != canonical_uuid(plan_id):
        raise InvalidInput("plan_id in the body does not match the plan in the path.")
    turn = await chat_turn(
        ctx, session_id=body.session_id, message=body.user_message, modify_plan_id=plan_id
    )
    return ModifyResponse(new_plan=turn.plan, messages=turn.messages)


async def status(ctx: Context, plan_id: str) -> StatusResponse:
    return await plans.status(ctx, plan_id)


async def poll(ctx: Context, plan_id: str) -> Answer:
    current = await plans.status(ctx, plan_id)
    answer = PollResponse(overall_status=current.status, steps=current.steps, last_update=utcnow())
    return Answer(answer, {"X-Poll-Interval": str(ctx.settings.poll_interval_ms)})


async def abort(ctx: Context, plan_id: str, body: PlanActionRequest) -> AbortResponse:
    return await plans.abort(ctx, plan_id=plan_id, session_id=body.session_id)


_PLANS = {"tags": ("plans",)}
ACTION = {"body": PlanActionRequest, **_PLANS}

OPERATIONS = (
    Operation("GET", PLAN, get_plan, DashboardPlanView, **_PLANS),
    Operation("POST", PLAN + "/approve", approve, ApproveResponse, **ACTION),
    Operation("POST", PLAN + "/reject", reject, RejectResponse, **ACTION),
    Operation("POST", PLAN + "/modify", modify, ModifyResponse, body=ModificationRequest, **_PLANS),
    Operation("GET", PLAN + "/status", status, StatusResponse, **_PLANS),
    Operation("GET", PLAN + "/poll", poll, PollResponse, **_PLANS),
    Operation("POST", PLAN + "/abort", abort, AbortResponse, **ACTION),
)
