"""Approve: the one action that must never happen twice (the orchestrator dispatches the tasks
again on every approve).

So the approval is claimed first, with one conditional write that moves the session to
`executing` and the plan to `approving`; only the request that wins that write calls the
orchestrator. A repeat after the approval went through answers as the first did.
"""

import logging

from shared.errors import (
    ConcurrentChange,
    Conflict,
    DashboardError,
    OrchestratorError,
    OrchestratorNotFound,
    OrchestratorRejected,
    OrchestratorUnreachable,
)
from shared.models import ApproveResponse
from shared.orchestrator.answers import ApproveAnswer
from shared.orchestrator.client import OrchestratorClient
from shared.planview import tasks_of
from shared.services.context import Context
from shared.services.execution import cancel_all
from shared.services.loading import load_session, load_session_plan
from shared.services.replies import say, view
from shared.services.retries import on_concurrent_change, on_store_fault
from shared.services.rules import claim_is_stale, require_current_pending_plan
from shared.store.base import SessionStore, apply_plan_changes
from shared.store.records import (
    DispatchedTask,
    PlanChanges,
    PlanRecord,
    SessionChanges,
    SessionRecord,
    utcnow,
)

logger = logging.getLogger(__name__)
# Errors after which the orchestrator certainly did not act: nothing was sent, or it refused.
NOT_ACTED = (OrchestratorUnreachable, OrchestratorNotFound, OrchestratorRejected)


def _dispatched(plan: PlanRecord, answer: ApproveAnswer) -> tuple[list[DispatchedTask], str]:
    result = answer.dispatch_result
    if result is None or result.status == "paused":
        return [], "paused"
    tasks = []
    for task, entry in zip(tasks_of(plan), result.dispatched_tasks, strict=False):
        tasks.append(
            DispatchedTask(
                order=task.get("order", len(tasks) + 1),
                name=task.get("name", entry.name or ""),
                task_id=entry.task_id,
                error=None if entry.task_id else (entry.error or "not dispatched"),
            )
        )
    return tasks, "executing"


def _approval_reply(tasks: list[DispatchedTask], dispatch_status: str, answer) -> str:
    if dispatch_status == "paused":
        note = (answer.dispatch_result.message if answer and answer.dispatch_result else "") or ""
        return f"Approved. The agents are busy, so the run is paused for now. {note}".strip()
    if dispatch_status == "untracked":
        return (
            "Approved: the orchestrator started the plan, but its answer was lost, so the steps "
            "cannot be followed or aborted from here."
        )
    started = sum(1 for t in tasks if t.task_id)
    failed = [t.name for t in tasks if not t.task_id]
    text = f"Approved. {started} of {len(tasks)} steps dispatched."
    if failed:
        text += " Not dispatched: " + ", ".join(failed) + "."
    return text


def _settle_stale_approval(
    store: SessionStore, orchestrator: OrchestratorClient, session: SessionRecord, plan: PlanRecord
) -> tuple[SessionRecord, PlanRecord]:
    """An approval whose outcome was never learnt (its call and the check after it both failed,
    or the function stopped midway): ask the orchestrator, then record what it says."""
    try:
        live = orchestrator.plan_status(plan.plan_id).status
    except OrchestratorError:
        raise Conflict(
            "An earlier approval of this plan has an unknown outcome and the orchestrator cannot "
            "tell yet; try again shortly, or abort."
        ) from None
    if live == "pending_approval":  # it never arrived: the plan can be approved again
        changes = PlanChanges(state="pending_approval")
        settled, _ = store.save(
            session, changes=SessionChanges(status="plan_ready"), plan_update=(plan, changes)
        )
        return settled, apply_plan_changes(plan, changes)
    changes = PlanChanges(state="executing", dispatched_tasks=[], dispatch_status="untracked")
    settled, _ = store.save(
        session, plan_update=(plan, changes),
        messages=[say(_approval_reply([], "untracked", None), plan_id=plan.plan_id)],
    )  # fmt: skip
    return settled, apply_plan_changes(plan, changes)


@on_concurrent_change
def _claim_approval(
    ctx: Context, plan_id: str, session_id: str
) -> tuple[SessionRecord, PlanRecord] | PlanRecord:
    """Win the right to call approve, or return the plan when an approval already went through."""
    session = load_session(ctx, session_id)
    plan = load_session_plan(ctx.store, session, plan_id)
    if plan.state == "approving" and claim_is_stale(session, ctx.settings):
        session, plan = _settle_stale_approval(ctx.store, ctx.orchestrator, session, plan)
    if plan.state in ("executing", "completed", "failed"):
        return plan
    require_current_pending_plan(session, plan)
    claim = PlanChanges(state="approving")
    claimed, _ = ctx.store.save(
        session, changes=SessionChanges(status="executing"), plan_update=(plan, claim)
    )
    return claimed, apply_plan_changes(plan, claim)


def _still_known(orchestrator: OrchestratorClient, plan: PlanRecord) -> bool:
    """Approve's 404 also stands for some 'not initialized' errors: ask before giving up a plan."""
    try:
        orchestrator.plan_status(plan.plan_id)
    except OrchestratorNotFound:
        return False
    except OrchestratorError:
        return True  # cannot tell: keep the plan
    return True


def _note_unknown_approval(
    store: SessionStore, session: SessionRecord, error: OrchestratorError
) -> None:
    text = (
        f"The approval was sent but not confirmed: {error.message} The plan may still start. "
        "Approve again in a few minutes to learn what happened, or abort."
    )
    try:
        store.save(session, messages=[say(text, error=error.code)])
    except DashboardError:
        pass  # the caller hears about the fault anyway


def _undo_approval(
    store: SessionStore,
    session: SessionRecord,
    plan: PlanRecord,
    error: OrchestratorError,
    *,
    forgotten: bool = False,
) -> None:
    if forgotten:
        # The orchestrator forgot the plan (it keeps plans in memory): it can never run.
        changes = SessionChanges(status="idle", clear=frozenset({"current_plan_id"}))
        plan_changes = PlanChanges(state="superseded")
        text = "The orchestrator no longer knows this plan (it may have restarted). Please send "
        text += "your request again to get a new plan."
    else:
        changes, plan_changes = (
            SessionChanges(status="plan_ready"),
            PlanChanges(state="pending_approval"),
        )
        text = f"The plan was not approved: {error.message} It is still waiting for your review."
    store.save(
        session, changes=changes, plan_update=(plan, plan_changes),
        messages=[say(text, error=error.code)],
    )  # fmt: skip


def _record_dispatch(
    store: SessionStore,
    orchestrator: OrchestratorClient,
    session: SessionRecord,
    plan: PlanRecord,
    changes: PlanChanges,
    reply: str,
) -> PlanRecord:
    """Keep the task ids (given only once). A concurrent change here means a concurrent abort of
    a stuck approval: then the freshly started tasks are cancelled at once. Store faults are
    retried a few more times than botocore does; whatever still fails leaves the ids in the
    log."""
    current = [session, plan]

    @on_store_fault
    @on_concurrent_change
    def save() -> PlanRecord:
        session, plan = current
        try:
            store.save(
                session, plan_update=(plan, changes), messages=[say(reply, plan_id=plan.plan_id)]
            )
            return apply_plan_changes(plan, changes)
        except ConcurrentChange:
            fresh_session = store.get_session(session.session_id)
            fresh_plan = store.get_plan(plan.plan_id)
            if fresh_plan is not None and fresh_plan.state == "aborted":
                cancel_all(orchestrator, changes.dispatched_tasks or [])
                raise Conflict("The run was aborted while it was being approved.") from None
            if fresh_session is None or fresh_plan is None:
                raise
            current[:] = [fresh_session, fresh_plan]
            raise

    try:
        return save()
    except Exception:
        logger.error(
            "approved plan %s, but its task ids could not be stored: %s",
            plan.plan_id,
            [t.task_id for t in changes.dispatched_tasks or []],
        )
        raise


def approve(ctx: Context, *, plan_id: str, session_id: str) -> ApproveResponse:
    store, orchestrator = ctx.store, ctx.orchestrator
    claim = _claim_approval(ctx, plan_id, session_id)
    if isinstance(claim, PlanRecord):  # a repeat (double click, client retry): answer again
        return ApproveResponse(
            status="approved",
            execution_started=claim.dispatch_status == "executing",
            plan=view(claim),
        )
    session, plan = claim
    answer = None
    try:
        answer = orchestrator.approve(plan.plan_id, session.user_id, approved=True)
        tasks, dispatch_status = _dispatched(plan, answer)
    except NOT_ACTED as error:
        forgotten = isinstance(error, OrchestratorNotFound) and not _still_known(
            orchestrator, plan
        )
        _undo_approval(store, session, plan, error, forgotten=forgotten)
        raise
    except OrchestratorError as error:
        # Timed out, cut off or garbled: it may have dispatched, or may still (a request can
        # sit in the orchestrator's queue after we gave up on it). A status saying it runs
        # settles it; anything else keeps the claim, and the stale-claim check decides later,
        # once nothing can still be in flight. Undoing now could dispatch twice.
        try:
            live = orchestrator.plan_status(plan.plan_id).status
        except OrchestratorError:
            live = None
        if live in (None, "pending_approval"):
            _note_unknown_approval(store, session, error)
            raise
        tasks, dispatch_status = [], "untracked"

    changes = PlanChanges(
        state="executing",
        dispatched_tasks=tasks,
        dispatch_status=dispatch_status,
        approved_at=utcnow(),
    )
    reply = _approval_reply(tasks, dispatch_status, answer)
    executing = _record_dispatch(store, orchestrator, session, plan, changes, reply)
    return ApproveResponse(
        status="approved",
        execution_started=dispatch_status == "executing",
        plan=view(executing),
    )
