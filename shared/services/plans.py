"""Plan review and the run: view, reject, status, abort. Approve has its own module
(shared/services/approve.py); modify is a chat turn (shared/services/chat.py)."""

import logging
from typing import Literal

from shared.errors import (
    ConcurrentChange,
    Conflict,
    DashboardError,
    NotFound,
    OrchestratorError,
    OrchestratorNotFound,
)
from shared.models import (
    AbortResponse,
    DashboardPlanView,
    ExecutionUpdate,
    RejectResponse,
    StatusResponse,
)
from shared.services import audit
from shared.services.approve import UNTRACKED, approve, outcome_unknown, settle_approval
from shared.services.context import Context
from shared.services.execution import cancel_all, overall_status
from shared.services.expiry import with_expiry, with_recorded_expiry
from shared.services.loading import load_plan_with_status, load_session, load_session_plan
from shared.services.replies import comment_metadata, say, view, with_comment
from shared.services.retries import on_concurrent_change, on_store_fault
from shared.services.rules import require_current_pending_plan
from shared.services.snapshot import observe
from shared.store.base import SessionStore, apply_plan_changes
from shared.store.records import (
    NewAuditEntry,
    PlanChanges,
    PlanRecord,
    SessionChanges,
    SessionRecord,
    utcnow,
)

__all__ = ["abort", "approve", "get_plan", "reject", "status"]

logger = logging.getLogger(__name__)


def get_plan(ctx: Context, plan_id: str) -> DashboardPlanView:
    """The stored plan (never a second plan generation) with the orchestrator's live status.
    A run it can follow (dispatched, not finished) is read step by step, as /status reads it:
    one call per task, no plan-status call, and from the status snapshot as polls are (at most
    one refresh per poll interval); a finished run answers from its kept steps."""
    plan, snapshot = load_plan_with_status(ctx, plan_id)
    if plan.state in ("executing", "aborted") and plan.dispatched_tasks and not plan.final_steps:
        try:
            steps = observe(ctx, plan, snapshot).steps
        except OrchestratorError as error:
            logger.warning("plan %s: step statuses unavailable: %s", plan.plan_id, error.code)
            return view(plan)
        return view(plan, overall_status(plan, steps), steps)
    live = None
    if plan.state in ("pending_approval", "approving", "executing"):
        try:
            live = ctx.orchestrator.plan_status(plan.plan_id).status
        except OrchestratorError as error:
            # The stored plan is still worth showing; its own state stands in for the live one.
            logger.warning("plan %s: live status unavailable: %s", plan.plan_id, error.code)
    return with_expiry(view(plan, live), plan, ctx.settings)


# Reject -----------------------------------------------------------------------------------


@on_concurrent_change
def _claim_rejection(
    ctx: Context, plan_id: str, session_id: str
) -> tuple[SessionRecord, PlanRecord, PlanChanges] | None:
    """Mark the plan rejected (and expired, the first time it is seen so); None when it already
    is rejected (a repeat)."""
    session = load_session(ctx, session_id)
    plan = load_session_plan(ctx.store, session, plan_id)
    if plan.state == "rejected":
        return None
    require_current_pending_plan(session, plan)
    rejection, expired = with_recorded_expiry(plan, ctx.settings, PlanChanges(state="rejected"))
    # Claimed without a word in the history: that waits for the orchestrator's confirmation.
    claimed, _ = ctx.store.save(
        session,
        changes=SessionChanges(status="idle", clear=frozenset({"current_plan_id"})),
        plan_update=(plan, rejection),
        audit=expired,
    )
    return claimed, plan, rejection


def reject(
    ctx: Context, *, plan_id: str, session_id: str, comment: str | None = None
) -> RejectResponse:
    """`comment`: why, sent to the orchestrator as the rejection's notes, kept in the history and
    the audit trail."""
    claim = _claim_rejection(ctx, plan_id, session_id)
    if claim is None:
        return RejectResponse(status="rejected")
    claimed, plan, rejection = claim
    outcome = "rejected"
    try:
        ctx.orchestrator.approve(plan.plan_id, claimed.user_id, approved=False, notes=comment)
    except OrchestratorNotFound:
        # The orchestrator forgot the plan: there is nothing left to reject there.
        outcome = "rejected here; the orchestrator no longer knew the plan"
    except OrchestratorError as error:
        # Undo, so what the person sees matches the orchestrator; rejecting again is harmless.
        rejected = apply_plan_changes(plan, rejection)
        try:
            ctx.store.save(
                claimed,
                changes=SessionChanges(
                    status="plan_ready",
                    current_plan_id=plan.plan_id,
                    current_plan_created_at=plan.created_at,
                ),
                plan_update=(rejected, PlanChanges(state="pending_approval")),
                messages=[say(f"The orchestrator could not be told: {error.message} The plan "
                              "is still waiting for your review.", error=error.code)],
            )  # fmt: skip
        except DashboardError as undo_error:  # the person still hears the orchestrator's fault
            logger.error("plan %s: rejection not delivered and not undone: %s",
                         plan.plan_id, undo_error.code)  # fmt: skip
        raise
    decision = audit.once(audit.entry(plan, "rejected", audit.actor(ctx, plan), comment=comment,
                                      outcome=outcome))  # fmt: skip
    _record_rejection(ctx, claimed, plan, decision)
    return RejectResponse(status="rejected")


def _record_rejection(
    ctx: Context, session: SessionRecord, plan: PlanRecord, decision: NewAuditEntry
) -> None:
    """The confirmed rejection's line in the history and its audit entry, in one write; tried
    again from a fresh read when the session moved on meanwhile (the person may already be
    chatting), and a few times on a store fault. The rejection stands whatever happens here:
    when that write cannot be made (the session was deleted meanwhile, or the store keeps
    failing) the entry is appended by itself, as the trail outlives the session. The entry's id
    is chosen before the first try, so a try that went through unconfirmed is not repeated."""
    text = with_comment("The plan was rejected.", decision.comment)
    message = say(f"{text} Send a new request whenever you like.", plan_id=plan.plan_id,
                  outcome="rejected", **comment_metadata(decision.comment))  # fmt: skip
    current = [session]

    @on_store_fault
    @on_concurrent_change
    def save() -> None:
        try:
            ctx.store.save(current[0], messages=[message], audit=[decision])
        except ConcurrentChange:
            if audit.is_recorded(ctx.store, decision):
                return  # an earlier try went through, its answer lost: the session moved on
            fresh = ctx.store.get_session(session.session_id)
            if fresh is None or fresh.deleting:
                raise NotFound("Session not found.") from None  # deleted meanwhile
            current[0] = fresh
            raise

    try:
        save()
    except DashboardError:
        try:
            ctx.store.append_audit(decision)
        except DashboardError as error:
            audit.log_unrecorded(plan, "rejected", error)


# Status and abort -------------------------------------------------------------------------


def _finish_run(
    store: SessionStore,
    plan: PlanRecord,
    overall: Literal["completed", "failed", "aborted"],
    steps: list[ExecutionUpdate],
) -> None:
    """The run ended: record it once (racing polls: the first write wins, the rest step aside)."""
    session = store.get_session(plan.session_id)
    if session is None or session.current_plan_id != plan.plan_id or session.status != "executing":
        return
    failed = [s for s in steps if s.status == "failed"]
    changes = SessionChanges(status="completed")
    outcome: str = overall
    if overall == "completed":
        text = f"All {len(steps)} steps completed."
    elif overall == "aborted":  # cancelled by an abort whose answer was lost, or at the source
        cancelled = sum(1 for s in steps if s.status == "skipped")
        text = (f"The run was aborted: {cancelled} step(s) cancelled, "
                f"{len(steps) - cancelled} had finished.")  # fmt: skip
        outcome = f"aborted: {cancelled} cancelled, {len(steps) - cancelled} finished"
        changes = SessionChanges(status="idle", clear=frozenset({"current_plan_id"}))
    else:
        text = f"The run finished with {len(failed)} failed step(s): " + "; ".join(
            f"{s.step_index}. {s.step_name}" + (f" ({s.error})" if s.error else "") for s in failed
        )
    try:
        store.save(
            session,
            changes=changes,
            plan_update=(plan, PlanChanges(state=overall, final_steps=steps)),
            messages=[say(text, plan_id=plan.plan_id, outcome=overall)],
            audit=[audit.entry(plan, "run_finished", audit.SYSTEM, outcome=outcome)],
        )
    except ConcurrentChange:
        pass


def status(ctx: Context, plan_id: str) -> StatusResponse:
    """The run's steps and overall status, from the status snapshot (shared/services/snapshot.py)
    or, when this request refreshed it, from the orchestrator; the request that observes the end
    of the run records it."""
    plan, snapshot = load_plan_with_status(ctx, plan_id)
    if plan.state == "approving":  # an approval's outcome may be unknown: ask, as approve would
        plan = _settled(ctx, plan)
    seen = observe(ctx, plan, snapshot)
    overall = overall_status(plan, seen.steps)
    if seen.fresh and plan.state == "executing" and overall in ("completed", "failed", "aborted"):
        _finish_run(ctx.store, plan, overall, seen.steps)
    return StatusResponse(plan_id=plan.plan_id, status=overall, steps=seen.steps,
                          observed_at=seen.observed_at, stale=seen.stale)  # fmt: skip


def _settled(ctx: Context, plan: PlanRecord) -> PlanRecord:
    """The plan after asking the orchestrator about its unknown approval; as it was when it
    cannot tell yet (a status read answers what is known, and fails for nothing else)."""
    session = ctx.store.get_session(plan.session_id)
    if session is None or not outcome_unknown(session, plan, ctx.settings):
        return plan
    try:
        return settle_approval(ctx, session, plan)[1]
    except (Conflict, OrchestratorError):
        return plan


def _cannot_abort(plan: PlanRecord) -> str | None:
    if plan.dispatch_status == "untracked":
        return "This run cannot be aborted from here. " + UNTRACKED
    if not any(t.task_id for t in plan.dispatched_tasks):
        return (
            "This run has no step the orchestrator gave an id for (it was paused, or nothing "
            "could be dispatched), so there is nothing to cancel from here."
        )
    return None


def abort(
    ctx: Context, *, plan_id: str, session_id: str, comment: str | None = None
) -> AbortResponse:
    """Cancel each still-running task of the run once, then record the abort (that write alone
    is tried again from a fresh read when the session changed meanwhile). Cancels are safe to
    repeat (a finished or cancelled task is refused with 400), so a failed abort can be
    retried. An abort that was not confirmed for every step records no abort. `comment`: why,
    kept in the history and the audit trail (the orchestrator's cancel takes none)."""
    session = load_session(ctx, session_id)
    plan = load_session_plan(ctx.store, session, plan_id)
    if plan.state == "aborted":
        return AbortResponse(status="aborted", cancelled_tasks=0, already_finished_tasks=0)
    if outcome_unknown(session, plan, ctx.settings):  # ask the orchestrator first
        session, plan = settle_approval(ctx, session, plan)
    if plan.state == "approving":
        raise Conflict("This plan is being approved right now; abort it once it runs.")
    if session.current_plan_id != plan.plan_id or plan.state != "executing":
        raise Conflict(f"Only a running plan can be aborted (this one is {plan.state}).")
    if reason := _cannot_abort(plan):
        raise Conflict(reason)
    try:
        outcomes = cancel_all(ctx.orchestrator, plan.dispatched_tasks)
    except OrchestratorError as error:
        note = (f"The abort was not confirmed: {error.message} Some steps may still be running; "
                "abort again to make sure.")  # fmt: skip
        _note(ctx.store, session, note, plan_id=plan.plan_id, error=error.code)
        raise
    cancelled = outcomes.count("cancelled")
    finished = len(outcomes) - cancelled
    _record_abort(ctx, session, plan, cancelled, finished, comment)
    return AbortResponse(
        status="aborted", cancelled_tasks=cancelled, already_finished_tasks=finished
    )


def _record_abort(
    ctx: Context,
    session: SessionRecord,
    plan: PlanRecord,
    cancelled: int,
    finished: int,
    comment: str | None,
) -> None:
    """Written on the session and plan as abort read them; after a concurrent change, on a
    fresh read of both (a few times). When that shows the run recorded as ended meanwhile (a
    poll saw the cancelled steps), the person's abort is still recorded, once: a concurrent
    abort may have done that already."""
    who = audit.actor(ctx, plan)
    text = with_comment(f"Aborted. {cancelled} step(s) cancelled, {finished} had already "
                        f"finished (by {who} at {utcnow():%H:%M:%S} UTC).", comment)  # fmt: skip
    message = say(text, plan_id=plan.plan_id, outcome="aborted", by=who, cancelled=cancelled,
                  already_finished=finished, **comment_metadata(comment))  # fmt: skip
    outcome = f"aborted: {cancelled} cancelled, {finished} finished"
    decision = audit.entry(plan, "aborted", who, comment=comment, outcome=outcome)
    current = [session, plan]

    @on_concurrent_change
    def save() -> None:
        session, plan = current
        try:
            if plan.state == "executing" and session.current_plan_id == plan.plan_id:
                ctx.store.save(
                    session,
                    changes=SessionChanges(status="idle", clear=frozenset({"current_plan_id"})),
                    plan_update=(plan, PlanChanges(state="aborted")),
                    messages=[message],
                    audit=[decision],
                )
            # Any abort, not this request's entry (audit.is_recorded): a concurrent abort, with
            # an entry of its own, may have recorded it.
            elif not any(e.action == "aborted" for e in ctx.store.list_audit(plan.plan_id)):
                ctx.store.save(session, messages=[message], audit=[decision])
        except ConcurrentChange:
            fresh = load_session(ctx, session.session_id)
            current[:] = [fresh, load_session_plan(ctx.store, fresh, plan.plan_id)]
            raise

    save()


def _note(store: SessionStore, session: SessionRecord, text: str, **metadata) -> None:
    """A message saying what went wrong; the caller hears of the fault anyway if it fails."""
    try:
        store.save(session, messages=[say(text, **metadata)])
    except DashboardError:
        pass
