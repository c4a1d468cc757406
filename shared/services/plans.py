"""Plan review and the run: view, approve, reject, modify, status, abort.

Approve is the one action that must never happen twice (the orchestrator dispatches the tasks
again on every approve). So the approval is claimed first, with one conditional write that
moves the session to `executing` and the plan to `approving`; only the request that wins that
write calls the orchestrator. A repeat after the approval went through answers as the first did.
"""

import asyncio
import logging
from typing import Literal

from shared.errors import (
    Conflict,
    DashboardError,
    OrchestratorError,
    OrchestratorNotFound,
    OrchestratorRejected,
    OrchestratorUnreachable,
    StoreUnavailable,
)
from shared.models import (
    AbortResponse,
    ApproveResponse,
    DashboardPlanView,
    RejectResponse,
    StatusResponse,
)
from shared.orchestrator.answers import ApproveAnswer
from shared.orchestrator.client import OrchestratorClient
from shared.planview import plan_view, tasks_of
from shared.services.context import Context
from shared.services.execution import execution_updates, overall_status
from shared.services.fanout import all_of
from shared.services.loading import load_plan, load_session, load_session_plan
from shared.services.rules import claim_is_stale, require_current_pending_plan
from shared.store.base import SessionStore, apply_plan_changes
from shared.store.records import (
    DispatchedTask,
    NewMessage,
    PlanChanges,
    PlanRecord,
    SessionChanges,
    SessionRecord,
    utcnow,
)

logger = logging.getLogger(__name__)
ATTEMPTS = 3
# Errors after which the orchestrator certainly did not act: nothing was sent, or it refused.
NOT_ACTED = (OrchestratorUnreachable, OrchestratorNotFound, OrchestratorRejected)


def _view(plan: PlanRecord, status: str | None = None) -> DashboardPlanView:
    # A new plan supersedes the old one in the same write, so only superseded plans are stale.
    return plan_view(plan, is_current=plan.state != "superseded", status=status)


def _say(text: str, **metadata) -> NewMessage:
    return NewMessage(role="assistant", content=text, metadata=metadata or None)


async def get_plan(
    ctx: Context,
    plan_id: str,
) -> DashboardPlanView:
    """The stored plan (never a second plan generation) with the orchestrator's live status."""
    plan = await load_plan(ctx, plan_id)
    live = None
    if plan.state in ("pending_approval", "approving", "executing"):
        try:
            live = (await ctx.orchestrator.plan_status(plan.plan_id)).status
        except OrchestratorError as error:
            # The stored plan is still worth showing; its own state stands in for the live one.
            logger.warning("plan %s: live status unavailable: %s", plan.plan_id, error.code)
    return _view(plan, live)


# Approve ----------------------------------------------------------------------------------


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


async def _settle_stale_approval(
    store: SessionStore, orchestrator: OrchestratorClient, session: SessionRecord, plan: PlanRecord
) -> None:
    """An approval whose outcome was never learnt (its call and the check after it both failed,
    or the function stopped midway): ask the orchestrator, then record what it says."""
    try:
        live = (await orchestrator.plan_status(plan.plan_id)).status
    except OrchestratorError:
        raise Conflict(
            "An earlier approval of this plan has an unknown outcome and the orchestrator cannot "
            "tell yet; try again shortly, or abort."
        ) from None
    if live == "pending_approval":  # it never arrived: the plan can be approved again
        await store.save(
            session, changes=SessionChanges(status="plan_ready"),
            plan_update=(plan, PlanChanges(state="pending_approval")),
        )  # fmt: skip
        return
    changes = PlanChanges(state="executing", dispatched_tasks=[], dispatch_status="untracked")
    await store.save(
        session, plan_update=(plan, changes),
        messages=[_say(_approval_reply([], "untracked", None), plan_id=plan.plan_id)],
    )  # fmt: skip


async def _claim_approval(
    ctx: Context, plan_id: str, session_id: str
) -> tuple[SessionRecord, PlanRecord] | PlanRecord:
    """Win the right to call approve, or return the plan when an approval already went through."""
    for attempt in range(ATTEMPTS):
        session = await load_session(ctx, session_id)
        plan = await load_session_plan(ctx.store, session, plan_id)
        if plan.state in ("executing", "completed", "failed"):
            return plan
        if plan.state == "approving" and claim_is_stale(session, ctx.settings):
            await _settle_stale_approval(ctx.store, ctx.orchestrator, session, plan)
            continue
        require_current_pending_plan(session, plan)
        claim = PlanChanges(state="approving")
        try:
            claimed, _ = await ctx.store.save(
                session, changes=SessionChanges(status="executing"), plan_update=(plan, claim)
            )
            return claimed, apply_plan_changes(plan, claim)
        except Conflict:
            if attempt == ATTEMPTS - 1:
                raise
    raise Conflict("This plan changed too often while approving it; try again.")


async def _still_known(orchestrator: OrchestratorClient, plan: PlanRecord) -> bool:
    """Approve's 404 also stands for some 'not initialized' errors: ask before giving up a plan."""
    try:
        await orchestrator.plan_status(plan.plan_id)
    except OrchestratorNotFound:
        return False
    except OrchestratorError:
        return True  # cannot tell: keep the plan
    return True


async def _note_unknown_approval(
    store: SessionStore, session: SessionRecord, error: OrchestratorError
) -> None:
    text = (
        f"The approval was sent but not confirmed: {error.message} The plan may still start. "
        "Approve again in a few minutes to learn what happened, or abort."
    )
    try:
        await store.save(session, messages=[_say(text, error=error.code)])
    except DashboardError:
        pass  # the caller hears about the fault anyway


async def _undo_approval(
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
    await store.save(
        session, changes=changes, plan_update=(plan, plan_changes),
        messages=[_say(text, error=error.code)],
    )  # fmt: skip


async def _record_dispatch(
    store: SessionStore,
    orchestrator: OrchestratorClient,
    session: SessionRecord,
    plan: PlanRecord,
    changes: PlanChanges,
    reply: str,
) -> PlanRecord:
    """Keep the task ids (given only once). A conflict here means a concurrent abort of a stuck
    approval: then the freshly started tasks are cancelled at once. Store faults are retried a
    few more times than botocore does; whatever still fails leaves the ids in the log."""
    try:
        for attempt in range(ATTEMPTS):
            try:
                await store.save(
                    session,
                    plan_update=(plan, changes),
                    messages=[_say(reply, plan_id=plan.plan_id)],
                )
                return apply_plan_changes(plan, changes)
            except Conflict:
                fresh_session = await store.get_session(session.session_id)
                fresh_plan = await store.get_plan(plan.plan_id)
                if fresh_plan is not None and fresh_plan.state == "aborted":
                    await _cancel_all(orchestrator, changes.dispatched_tasks or [])
                    raise Conflict("The run was aborted while it was being approved.") from None
                if fresh_session is None or fresh_plan is None or attempt == ATTEMPTS - 1:
                    raise
                session, plan = fresh_session, fresh_plan
            except StoreUnavailable:
                if attempt == ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")
    except Exception:
        logger.error(
            "approved plan %s, but its task ids could not be stored: %s",
            plan.plan_id,
            [t.task_id for t in changes.dispatched_tasks or []],
        )
        raise


async def approve(
    ctx: Context,
    *,
    plan_id: str,
    session_id: str,
) -> ApproveResponse:
    store, orchestrator = ctx.store, ctx.orchestrator
    claim = await _claim_approval(ctx, plan_id, session_id)
    if isinstance(claim, PlanRecord):  # a repeat (double click, client retry): answer again
        return ApproveResponse(
            status="approved",
            execution_started=claim.dispatch_status == "executing",
            plan=_view(claim),
        )
    session, plan = claim
    answer = None
    try:
        answer = await orchestrator.approve(plan.plan_id, session.user_id, approved=True)
        tasks, dispatch_status = _dispatched(plan, answer)
    except NOT_ACTED as error:
        forgotten = isinstance(error, OrchestratorNotFound) and not await _still_known(
            orchestrator, plan
        )
        await _undo_approval(store, session, plan, error, forgotten=forgotten)
        raise
    except OrchestratorError as error:
        # Timed out, cut off or garbled: it may have dispatched, or may still (a request can
        # sit in the orchestrator's queue after we gave up on it). A status saying it runs
        # settles it; anything else keeps the claim, and the stale-claim check decides later,
        # once nothing can still be in flight. Undoing now could dispatch twice.
        try:
            live = (await orchestrator.plan_status(plan.plan_id)).status
        except OrchestratorError:
            live = None
        if live in (None, "pending_approval"):
            await _note_unknown_approval(store, session, error)
            raise
        tasks, dispatch_status = [], "untracked"

    changes = PlanChanges(
        state="executing",
        dispatched_tasks=tasks,
        dispatch_status=dispatch_status,
        approved_at=utcnow(),
    )
    reply = _approval_reply(tasks, dispatch_status, answer)
    executing = await _record_dispatch(store, orchestrator, session, plan, changes, reply)
    return ApproveResponse(
        status="approved",
        execution_started=dispatch_status == "executing",
        plan=_view(executing),
    )


# Reject -----------------------------------------------------------------------------------


async def reject(
    ctx: Context,
    *,
    plan_id: str,
    session_id: str,
) -> RejectResponse:
    store, orchestrator = ctx.store, ctx.orchestrator
    for attempt in range(ATTEMPTS):
        session = await load_session(ctx, session_id)
        plan = await load_session_plan(store, session, plan_id)
        if plan.state == "rejected":
            return RejectResponse(status="rejected")  # a repeat
        require_current_pending_plan(session, plan)
        rejected = PlanChanges(state="rejected")
        try:
            claimed, _ = await store.save(
                session,
                changes=SessionChanges(status="idle", clear=frozenset({"current_plan_id"})),
                plan_update=(plan, rejected),
                messages=[_say("The plan was rejected. Send a new request whenever you like.")],
            )
            break
        except Conflict:
            if attempt == ATTEMPTS - 1:
                raise
    try:
        await orchestrator.approve(plan.plan_id, claimed.user_id, approved=False)
    except OrchestratorNotFound:
        pass  # the orchestrator forgot the plan: there is nothing left to reject there
    except OrchestratorError as error:
        # Undo, so what the person sees matches the orchestrator; rejecting again is harmless.
        await store.save(
            claimed,
            changes=SessionChanges(status="plan_ready", current_plan_id=plan.plan_id),
            plan_update=(apply_plan_changes(plan, rejected), PlanChanges(state="pending_approval")),
            messages=[_say(f"The orchestrator could not be told: {error.message} The plan is "
                           "still waiting for your review.", error=error.code)],
        )  # fmt: skip
        raise
    return RejectResponse(status="rejected")


# Status and abort -------------------------------------------------------------------------


async def _cancel_all(orchestrator: OrchestratorClient, tasks: list[DispatchedTask]) -> list[str]:
    return list(await all_of([orchestrator.cancel_task(t.task_id) for t in tasks if t.task_id]))


async def _finish_run(
    store: SessionStore, plan: PlanRecord, overall: Literal["completed", "failed"], steps
) -> None:
    """The run ended: record it once (racing polls: the first write wins, the rest step aside)."""
    session = await store.get_session(plan.session_id)
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
        await store.save(
            session,
            changes=SessionChanges(status="completed"),
            plan_update=(plan, PlanChanges(state=overall, final_steps=steps)),
            messages=[_say(text, plan_id=plan.plan_id, outcome=overall)],
        )
    except Conflict:
        pass


async def status(
    ctx: Context,
    plan_id: str,
) -> StatusResponse:
    store, orchestrator = ctx.store, ctx.orchestrator
    plan = await load_plan(ctx, plan_id)
    steps = await execution_updates(orchestrator, plan)
    overall = overall_status(plan, steps)
    if plan.state == "executing" and overall in ("completed", "failed"):
        await _finish_run(store, plan, overall, steps)
    return StatusResponse(plan_id=plan.plan_id, status=overall, steps=steps)


async def abort(
    ctx: Context,
    *,
    plan_id: str,
    session_id: str,
) -> AbortResponse:
    """Cancel each still-running task of the run, then mark it aborted. Cancels are safe to
    repeat (a finished or cancelled task is refused with 400), so a failed abort can be retried."""
    store, orchestrator = ctx.store, ctx.orchestrator
    for attempt in range(ATTEMPTS):
        session = await load_session(ctx, session_id)
        plan = await load_session_plan(store, session, plan_id)
        if plan.state == "aborted":
            return AbortResponse(status="aborted", cancelled_tasks=0, already_finished_tasks=0)
        if plan.state == "approving" and not claim_is_stale(session, ctx.settings):
            raise Conflict("This plan is being approved right now; abort it once it runs.")
        if session.current_plan_id != plan.plan_id or plan.state not in ("executing", "approving"):
            raise Conflict(f"Only a running plan can be aborted (this one is {plan.state}).")
        outcomes = await _cancel_all(orchestrator, plan.dispatched_tasks)
        cancelled = outcomes.count("cancelled")
        finished = len(outcomes) - cancelled
        try:
            await store.save(
                session,
                changes=SessionChanges(status="idle", clear=frozenset({"current_plan_id"})),
                plan_update=(plan, PlanChanges(state="aborted")),
                messages=[_say(f"Aborted. {cancelled} step(s) cancelled, {finished} had already "
                               "finished.", plan_id=plan.plan_id)],
            )  # fmt: skip
            return AbortResponse(
                status="aborted", cancelled_tasks=cancelled, already_finished_tasks=finished
            )
        except Conflict:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
