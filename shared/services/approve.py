"""Approve: the one action that must never happen twice (the orchestrator dispatches the tasks
again on every approve).

So the approval is claimed first, with one conditional write that moves the session to
`executing` and the plan to `approving`; only the request that wins that write calls the
orchestrator. A repeat after the approval went through answers as the first did.
"""

import logging
import math

from shared import metrics
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
from shared.orchestrator.deadline import holding_back
from shared.planview import tasks_of
from shared.services import audit
from shared.services.context import Context
from shared.services.execution import cancel_all
from shared.services.expiry import expired_error, is_expired, with_recorded_expiry
from shared.services.loading import load_session, load_session_plan
from shared.services.replies import comment_metadata, say, view, with_comment
from shared.services.retries import on_concurrent_change, on_store_fault
from shared.services.rules import claim_is_stale, require_current_pending_plan
from shared.store.base import SessionStore, apply_plan_changes
from shared.store.records import (
    ApprovalRequest,
    DispatchedTask,
    NewAuditEntry,
    PlanChanges,
    PlanRecord,
    SessionChanges,
    SessionRecord,
    utcnow,
)

logger = logging.getLogger(__name__)
# Errors after which the orchestrator certainly did not act: nothing was sent, or it refused.
NOT_ACTED = (OrchestratorUnreachable, OrchestratorNotFound, OrchestratorRejected)
# The share of the request's time budget the approve call leaves for the one status check that
# follows an answer lost or timed out: without it, an approve that hangs to the end of the budget
# leaves the check no time, and the outcome is "unknown" where one status read would settle
# it. A share rather than a setting in seconds, so it scales with the budget and always fits in
# it (1 s of the local 10 s, 2 s of Lambda's 20 s): ample for one read of a plan's status.
STATUS_CHECK_SHARE = 0.1


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


def _execution_started(plan: PlanRecord) -> bool:
    """A step was dispatched: a plan 'executing' with none dispatched has not started."""
    return plan.dispatch_status == "executing" and any(t.task_id for t in plan.dispatched_tasks)


def _approved_outcome(tasks: list[DispatchedTask], dispatch_status: str) -> str:
    """The approval's outcome in the trail, with how many steps were dispatched."""
    if dispatch_status != "executing":
        return dispatch_status
    started = sum(1 for t in tasks if t.task_id)
    return f"executing: {started} of {len(tasks)} steps dispatched"


def _approval_reply(tasks: list[DispatchedTask], dispatch_status: str, answer) -> str:
    if dispatch_status == "paused":
        note = (answer.dispatch_result.message if answer and answer.dispatch_result else "") or ""
        return f"Approved. The agents are busy, so the run is paused for now. {note}".strip()
    if dispatch_status == "untracked":
        return UNTRACKED
    started = sum(1 for t in tasks if t.task_id)
    failed = [t.name for t in tasks if not t.task_id]
    text = f"Approved. {started} of {len(tasks)} steps dispatched."
    if failed:
        text += " Not dispatched: " + ", ".join(failed) + "."
    return text


UNTRACKED = (
    "The orchestrator started this plan, but its answer to the approval, the only place the ids "
    "of its steps are given, was lost. Its steps cannot be followed or aborted from here: stop "
    "it at the orchestrator if it must not run. You can send a new request here meanwhile."
)


# The outcome of an approval whose answer never came, learned at a later request.
SETTLED_UNTRACKED = "untracked: settled by the system"


FORGOTTEN = (
    "The orchestrator no longer knows this plan (it may have restarted). Please send your "
    "request again to get a new plan."
)


def outcome_unknown(session: SessionRecord, plan: PlanRecord, settings) -> bool:
    """An approval whose answer was lost, or whose request was cut off (its claim is stale);
    not one still under way."""
    return plan.state == "approving" and (
        plan.dispatch_status == "unknown" or claim_is_stale(session, settings)
    )


def settle_approval(
    ctx: Context, session: SessionRecord, plan: PlanRecord
) -> tuple[SessionRecord, PlanRecord]:
    """An approval whose answer never came (lost, timed out, or the function stopped midway):
    ask the orchestrator now, at the person's next action, and record what it says. A plan it
    runs becomes an untracked run. One it has not started stays claimed while the approval may
    still reach it (the stale-claim window), then may be approved again. One it no longer knows
    (it restarted) can never run: the session is freed. Raises when it cannot tell, or the
    approval may still land."""
    try:
        live = ctx.orchestrator.plan_status(plan.plan_id).status
    except OrchestratorNotFound:
        changes = PlanChanges(state="superseded")
        settled, _ = ctx.store.save(
            session, changes=SessionChanges(status="idle", clear=frozenset({"current_plan_id"})),
            plan_update=(plan, changes), messages=[say(FORGOTTEN, plan_id=plan.plan_id)],
        )  # fmt: skip
        return settled, apply_plan_changes(plan, changes)
    if live != "pending_approval":  # approved, executing, or whatever comes after: it runs
        changes = PlanChanges(state="executing", dispatched_tasks=[], dispatch_status="untracked")
        # The person who asked approved it (their claim kept who and why); the system only
        # learned the outcome. A claim written before claims kept that names no one.
        asked = plan.approval_request or ApprovalRequest(actor=audit.SYSTEM)
        settled, _ = ctx.store.save(
            session, plan_update=(plan, changes),
            messages=[say(with_comment(UNTRACKED, asked.comment), plan_id=plan.plan_id,
                          outcome="untracked", **comment_metadata(asked.comment))],
            audit=[audit.entry(plan, "approved", asked.actor, comment=asked.comment,
                               outcome=SETTLED_UNTRACKED)],
        )  # fmt: skip
        metrics.untracked_run(plan.plan_id)
        return settled, apply_plan_changes(plan, changes)
    if not claim_is_stale(session, ctx.settings):
        elapsed = (utcnow() - session.last_activity).total_seconds()
        wait = max(1, math.ceil(ctx.settings.stale_claim_seconds - elapsed))
        raise Conflict(
            "The approval sent for this plan was not confirmed, and the orchestrator has not "
            f"started the plan yet; the approval may still reach it. Try again in {wait} s: if "
            "it has not started by then, you can approve it again."
        )
    changes = PlanChanges(state="pending_approval")
    settled, _ = ctx.store.save(
        session, changes=SessionChanges(status="plan_ready"), plan_update=(plan, changes)
    )
    return settled, apply_plan_changes(plan, changes)


@on_concurrent_change
def _claim_approval(
    ctx: Context, plan_id: str, session_id: str, comment: str | None
) -> tuple[SessionRecord, PlanRecord] | PlanRecord:
    """Win the right to call approve, or return the plan when an approval already went through.
    The claim keeps who asks and why, for when its request is cut off (settle_approval)."""
    session = load_session(ctx, session_id)
    plan = load_session_plan(ctx.store, session, plan_id)
    if outcome_unknown(session, plan, ctx.settings):  # learn it now
        session, plan = settle_approval(ctx, session, plan)
        if plan.state == "superseded":  # the orchestrator forgot it; the session is free again
            raise OrchestratorNotFound("The orchestrator no longer knows this request or plan.")
    if plan.state in ("executing", "completed", "failed"):
        return plan
    require_current_pending_plan(session, plan)
    if is_expired(plan, ctx.settings):
        marked, expired = with_recorded_expiry(plan, ctx.settings, PlanChanges())
        if expired:  # the first time it is seen expired, as reject and modify record it
            ctx.store.save(session, plan_update=(plan, marked), audit=expired)
        raise expired_error(ctx.settings)
    asked = ApprovalRequest(actor=audit.actor(ctx, plan), comment=comment)
    claim = PlanChanges(state="approving", dispatch_status="in_flight", approval_request=asked)
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
    store: SessionStore,
    session: SessionRecord,
    plan: PlanRecord,
    error: OrchestratorError,
    decision: NewAuditEntry,
) -> None:
    text = (
        f"The approval was sent but not confirmed: {error.message} Whether the plan started is "
        "not known yet. Approve again, or look at its status, to ask the orchestrator."
    )
    try:
        store.save(
            session, plan_update=(plan, PlanChanges(dispatch_status="unknown")),
            messages=[say(text, plan_id=plan.plan_id, error=error.code)],
            audit=[decision.model_copy(update={"action": "approval_unknown"})],
        )  # fmt: skip
    except DashboardError as fault:
        # The caller hears about the orchestrator's fault anyway; a stale claim is settled all
        # the same.
        audit.log_unrecorded(plan, "approval_unknown", fault)


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
        text = FORGOTTEN
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
    decision: NewAuditEntry,
) -> PlanRecord:
    """Keep the task ids (given only once), with the approval's audit entry. A concurrent change
    here means a concurrent abort of a stuck approval: then the freshly started tasks are
    cancelled at once. Store faults are retried a few more times than botocore does; whatever
    still fails leaves the ids in the log. A retry first looks whether the write it repeats was
    applied after all (its answer lost): the plan then carries this approval's `approved_at`,
    and nothing is written twice."""
    current = [session, plan]

    @on_store_fault
    @on_concurrent_change
    def save() -> PlanRecord:
        session, plan = current
        try:
            noted = comment_metadata(decision.comment)
            store.save(
                session, plan_update=(plan, changes),
                messages=[say(reply, plan_id=plan.plan_id, **noted)], audit=[decision],
            )  # fmt: skip
            return apply_plan_changes(plan, changes)
        except ConcurrentChange:
            fresh_session = store.get_session(session.session_id)
            fresh_plan = store.get_plan(plan.plan_id)
            # Recorded by an earlier try whose answer was lost? Asked of the plan, not of the
            # trail (audit.is_recorded, as reject asks): its entry and approved_at are written in
            # one transaction, so they say the same, and the plan read is needed here anyway
            # (an abort meanwhile), where the entry's would be one more read.
            if fresh_plan is not None and fresh_plan.approved_at == changes.approved_at:
                return fresh_plan
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


def approve(
    ctx: Context, *, plan_id: str, session_id: str, comment: str | None = None
) -> ApproveResponse:
    """`comment`: why, sent to the orchestrator as the approval's notes, kept in the history and
    the audit trail."""
    store, orchestrator = ctx.store, ctx.orchestrator
    claim = _claim_approval(ctx, plan_id, session_id, comment)
    if isinstance(claim, PlanRecord):  # a repeat (double click, client retry): answer again
        return ApproveResponse(
            status="approved", execution_started=_execution_started(claim), plan=view(claim)
        )
    session, plan = claim
    decision = audit.entry(plan, "approved", audit.actor(ctx, plan), comment=comment)
    answer = None
    try:
        with holding_back(STATUS_CHECK_SHARE):
            answer = orchestrator.approve(
                plan.plan_id, session.user_id, approved=True, notes=comment
            )
        tasks, dispatch_status = _dispatched(plan, answer)
    except NOT_ACTED as error:
        forgotten = isinstance(error, OrchestratorNotFound) and not _still_known(orchestrator, plan)
        _undo_approval(store, session, plan, error, forgotten=forgotten)
        raise
    except OrchestratorError as error:
        # Timed out, cut off or garbled: it may have dispatched, or may still (a request can
        # sit in the orchestrator's queue after we gave up on it). A status saying it runs
        # settles it; anything else keeps the claim, and the next approve, abort or status
        # asks again (settle_approval). Undoing now could dispatch twice.
        try:
            live = orchestrator.plan_status(plan.plan_id).status
        except OrchestratorError:
            live = None
        if live in (None, "pending_approval"):
            _note_unknown_approval(store, session, plan, error, decision)
            raise
        tasks, dispatch_status = [], "untracked"

    changes = PlanChanges(
        state="executing",
        dispatched_tasks=tasks,
        dispatch_status=dispatch_status,
        approved_at=utcnow(),
    )
    reply = with_comment(_approval_reply(tasks, dispatch_status, answer), comment)
    decision = decision.model_copy(update={"outcome": _approved_outcome(tasks, dispatch_status)})
    executing = _record_dispatch(store, orchestrator, session, plan, changes, reply, decision)
    if dispatch_status == "untracked":
        metrics.untracked_run(plan.plan_id)
    return ApproveResponse(
        status="approved", execution_started=_execution_started(executing), plan=view(executing)
    )
