"""/api/dashboard/plan/{plan_id}: review, approve, reject, modify, follow and abort a plan."""

from fastapi import APIRouter, Response

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
from shared.store.records import utcnow
from shared.web.deps import ContextDep
from shared.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/dashboard/plan", tags=["plans"], responses=ERROR_RESPONSES)


@router.get("/{plan_id}", response_model=DashboardPlanView)
async def get_plan(plan_id: str, ctx: ContextDep) -> DashboardPlanView:
    return await plans.get_plan(ctx, plan_id)


@router.post("/{plan_id}/approve", response_model=ApproveResponse)
async def approve(plan_id: str, body: PlanActionRequest, ctx: ContextDep) -> ApproveResponse:
    return await plans.approve(ctx, plan_id=plan_id, session_id=body.session_id)


@router.post("/{plan_id}/reject", response_model=RejectResponse)
async def reject(plan_id: str, body: PlanActionRequest, ctx: ContextDep) -> RejectResponse:
    return await plans.reject(ctx, plan_id=plan_id, session_id=body.session_id)


@router.post("/{plan_id}/modify", response_model=ModifyResponse)
async def modify(plan_id: str, body: ModificationRequest, ctx: ContextDep) -> ModifyResponse:
    if canonical_uuid(body.plan_id) != canonical_uuid(plan_id):
        raise InvalidInput("plan_id in the body does not match the plan in the path.")
    turn = await chat_turn(
        ctx, session_id=body.session_id, message=body.user_message, modify_plan_id=plan_id
    )
    return ModifyResponse(new_plan=turn.plan, messages=turn.messages)


@router.get("/{plan_id}/status", response_model=StatusResponse)
async def status(plan_id: str, ctx: ContextDep) -> StatusResponse:
    return await plans.status(ctx, plan_id)


@router.get("/{plan_id}/poll", response_model=PollResponse)
async def poll(plan_id: str, response: Response, ctx: ContextDep) -> PollResponse:
    current = await plans.status(ctx, plan_id)
    response.headers["X-Poll-Interval"] = str(ctx.settings.poll_interval_ms)
    return PollResponse(overall_status=current.status, steps=current.steps, last_update=utcnow())


@router.post("/{plan_id}/abort", response_model=AbortResponse)
async def abort(plan_id: str, body: PlanActionRequest, ctx: ContextDep) -> AbortResponse:
    return await plans.abort(ctx, plan_id=plan_id, session_id=body.session_id)
