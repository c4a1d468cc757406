"""Plan review and the run: view, reject, status, abort. Approve has its own module
(shared/services/approve.py); modify is a chat turn (shared/services/chat.py)."""

import logging
from typing import Literal

from shared.errors import ConcurrentChange, Conflict, OrchestratorError, OrchestratorNotFound
from shared.models import AbortResponse, DashboardPlanView, RejectResponse, StatusResponse
from shared.services.approve import approve
from shared.services.context import Context
from shared.services.execution import cancel_all, execution_updates, overall_status
from shared.services.loading import load_plan, load_session, load_session_plan
from shared.services.replies import say, view
from shared.services.retries import on_concurrent_change
from shared.services.rules import claim_is_stale, require_current_pending_plan
from shared.store.base import SessionStore, apply_plan_changes
from shared.store.records import PlanChanges, PlanRecord, SessionChanges, SessionRecord

__all__ = ["abort", "approve", "get_plan", "reject", "status"]

logger = logging.getLogger(__name__)


def get_plan(ctx: Context, plan_id: str) -> DashboardPlanView:
    """The stored plan (never a second plan generation) with the orchestrator's live status."""
    plan = load_plan(ctx, plan_id)
    live = None
    if plan.state in ("pending_approval", "approving", "executing"):
        try:
            live = ctx.orchestrator.plan_status(plan.plan_id).status
        except OrchestratorError as error:
            # The stored plan is still worth showing; its own state stands in for the live one.
            logger.warning("plan %s: live status unavailable: %s", plan.plan_id, error.code)
    return view(plan, live)


# Reject -----------------------------------------------------------------------------------


@on_concurrent_change
def _claim_rejection(
    ctx: Context, plan_id: str, session_id: str
) -> tuple[SessionRecord, PlanRecord] | None:
    """Mark the plan rejected; None when it already is (a repeat)."""
    session = load_session(ctx, session_id)
    plan = load_session_plan(ctx.store, session, plan_id)
    if plan.state == "rejected":
        return None
    require_current_pending_plan(session, plan)
    claimed, _ = ctx.store.save(
        session,
        changes=SessionChanges(status="idle", clear=frozenset({"current_plan_id"})),
        plan_update=(plan, PlanChanges(state="rejected")),
        messages=[say("The plan was rejected. Send a new request whenever you like.")],
    )
    return claimed, plan


def reject(ctx: Context, *, plan_id: str, session_id: str) -> RejectResponse:
    claim = _claim_rejection(ctx, plan_id, session_id)
    if claim is None:
        return RejectResponse(status="rejected")
    claimed, plan = claim
    try:
        ctx.orchestrator.approve(plan.plan_id, claimed.user_id, approved=False)
    except OrchestratorNotFound:
        pass  # the orchestrator forgot the plan: there is nothing left to reject there
    except OrchestratorError as error:
        # Undo, so what the person sees matches the orchestrator; rejecting again is harmless.
        rejected = apply_plan_changes(plan, PlanChanges(state="rejected"))
        ctx.store.save(
            claimed,
            changes=SessionChanges(status="plan_ready", current_plan_id=plan.plan_id),
            plan_update=(rejected, PlanChanges(state="pending_approval")),
            messages=[say(f"The orchestrator could not be told: {error.message} The plan is "
                          "still waiting for your review.", error=error.code)],
        )  # fmt: skip
        raise
    return RejectResponse(status="rejected")


# Status and abort -------------------------------------------------------------------------


def _finish_run(
    store: SessionStore, plan: PlanRecord, overall: Literal["completed", "failed"], steps
) -> None:
    """The run ended: record it once (racing polls: the first write wins, the rest step aside)."""
    session = store.get_session(plan.session_id)
    if session is None or session.current_plan_id != plan.plan_id or session.status != "executing":
        return
    failed = [s for s in steps if s.status == "failed"]
    if overall == "completed":
        text = f"All {len(steps)} steps completed."
    else:
        text = f"The run finished with {len(failed)} failed step(s): " + "; ".join(
            f"{s.step_index}. {s.step_name}" + (f" ({s.error})" if s.error else "") for s in failed
        )
    try:
        store.save(
            session,
            changes=SessionChanges(status="completed"),
            plan_update=(plan, PlanChanges(state=overall, final_steps=steps)),
            messages=[say(text, plan_id=plan.plan_id, outcome=overall)],
        )
    except ConcurrentChange:
        pass


def status(ctx: Context, plan_id: str) -> StatusResponse:
    plan = load_plan(ctx, plan_id)
    steps = execution_updates(ctx.orchestrator, plan)
    overall = overall_status(plan, steps)
    if plan.state == "executing" and overall in ("completed", "failed"):
        _finish_run(ctx.store, plan, overall, steps)
    return StatusResponse(plan_id=plan.plan_id, status=overall, steps=steps)


@on_concurrent_change
def abort(ctx: Context, *, plan_id: str, session_id: str) -> AbortResponse:
    """Cancel each still-running task of the run, then mark it aborted. Cancels are safe to
    repeat (a finished or cancelled task is refused with 400), so a failed abort can be retried,
    and a concurrent change starts it again from a fresh read."""
    session = load_session(ctx, session_id)
    plan = load_session_plan(ctx.store, session, plan_id)
    if plan.state == "aborted":
        return AbortResponse(status="aborted", cancelled_tasks=0, already_finished_tasks=0)
    if plan.state == "approving" and not claim_is_stale(session, ctx.settings):
        raise Conflict("This plan is being approved right now; abort it once it runs.")
    if session.current_plan_id != plan.plan_id or plan.state not in ("executing", "approving"):
        raise Conflict(f"Only a running plan can be aborted (this one is {plan.state}).")
    outcomes = cancel_all(ctx.orchestrator, plan.dispatched_tasks)
    cancelled = outcomes.count("cancelled")
    finished = len(outcomes) - cancelled
    ctx.store.save(
        session,
        changes=SessionChanges(status="idle", clear=frozenset({"current_plan_id"})),
        plan_update=(plan, PlanChanges(state="aborted")),
        messages=[say(f"Aborted. {cancelled} step(s) cancelled, {finished} had already "
                      "finished.", plan_id=plan.plan_id)],
    )  # fmt: skip
    return AbortResponse(
        status="aborted", cancelled_tasks=cancelled, already_finished_tasks=finished
    )
