"""A chat turn: the person's message becomes a request and, once, a plan.

With no plan under review the message is a new request; with one under review it is a
modification (a new request carrying the original request and the changes asked so far),
whose plan replaces the current one. Each turn submits one request and generates at most one
plan: the orchestrator makes a new plan on every plan call.
"""

import logging
from dataclasses import dataclass

from shared import metrics
from shared.errors import (
    ConcurrentChange,
    DashboardError,
    InvalidInput,
    NotFound,
    OrchestratorError,
    TooLargeToStore,
)
from shared.models import MAX_MESSAGE_CHARS, ChatMessage, DashboardPlanView, SessionStatus
from shared.orchestrator.answers import PlanAnswer, RequestAnswer
from shared.plandiff import diff_in_words, plan_diff
from shared.planview import plan_view
from shared.services import audit
from shared.services.context import Context
from shared.services.expiry import with_expiry, with_recorded_expiry
from shared.services.loading import load_session, load_session_plan, session_key
from shared.services.retries import on_concurrent_change
from shared.services.rules import (
    CHAT_ALLOWED,
    claim_is_stale,
    require_current_pending_plan,
    require_status,
)
from shared.store.records import (
    NewMessage,
    PlanChanges,
    PlanRecord,
    SessionChanges,
    SessionRecord,
    utcnow,
)

logger = logging.getLogger(__name__)

TOO_LARGE_ADVICE = "Ask for a plan with fewer or smaller steps."


@dataclass
class ClaimedTurn:
    session: SessionRecord  # as written by the claim: awaiting_plan
    user_message: ChatMessage
    target: PlanRecord | None  # the plan this message modifies, if any
    previous_status: SessionStatus  # where the session returns when no plan comes of it
    text: str  # what is sent to the orchestrator


@dataclass
class TurnResult:
    messages: list[ChatMessage]
    plan: DashboardPlanView | None
    session_status: SessionStatus


def request_text(message: str, target: PlanRecord | None) -> str:
    if target is None:
        return message
    text = (
        f"[Modify plan {target.plan_id}] {message}\n\nOriginal request: {target.original_request}"
    )
    if target.modifications:
        text += "\nChanges asked before: " + "; ".join(target.modifications)
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            "This plan has had too many changes to send along; reject it and send a fresh request."
        )
    return text


@on_concurrent_change
def _claim_turn(
    ctx: Context, session_id: str, message: str, modify_plan_id: str | None
) -> ClaimedTurn:
    """Store the person's message and mark the session awaiting_plan, in one conditional write.
    Two turns racing on one session: one wins, the other is answered 409 and stores nothing."""
    session = load_session(ctx, session_id)
    stale = session.status == "awaiting_plan" and claim_is_stale(session, ctx.settings)
    if not stale and not _beside_an_untracked_run(ctx, session):
        require_status(session, CHAT_ALLOWED)
    target = None
    if modify_plan_id is not None:
        target = load_session_plan(ctx.store, session, modify_plan_id)
        require_current_pending_plan(session, target)
    elif session.status in ("plan_ready", "awaiting_plan") and session.current_plan_id:
        current = ctx.store.get_plan(session.current_plan_id)
        target = current if current and current.state == "pending_approval" else None
    text = request_text(message, target)  # refuse an over-long text before storing anything
    # A stale claim's own status is unknown; the plan decides where the session returns.
    previous: SessionStatus = (
        session.status
        if session.status != "awaiting_plan"
        else ("plan_ready" if target else "idle")
    )
    metadata = {"modifies_plan_id": target.plan_id} if target else None
    claimed, (user_message,) = ctx.store.save(
        session,
        changes=SessionChanges(status="awaiting_plan"),
        messages=[NewMessage(role="user", content=message, metadata=metadata)],
    )
    return ClaimedTurn(claimed, user_message, target, previous, text)


def _beside_an_untracked_run(ctx: Context, session: SessionRecord) -> bool:
    """A run that can be neither followed nor aborted from here (its step ids were lost, or it
    was paused with none) does not hold the session: the person may send a new request (the run
    stays on record as it is)."""
    if session.status != "executing" or not session.current_plan_id:
        return False
    plan = ctx.store.get_plan(session.current_plan_id)
    return (
        plan is not None
        and plan.state == "executing"
        and not any(task.task_id for task in plan.dispatched_tasks)
    )


def _unplanned_reply(answer: RequestAnswer | PlanAnswer) -> str:
    if isinstance(answer, RequestAnswer) and answer.status == "requires_clarification":
        lines = ["I need a little more detail before I can plan this:"]
        lines += [f"- {question}" for question in answer.ambiguities] or [
            "- What exactly should happen?"
        ]
        if answer.out_of_scope:
            lines.append("These parts are outside what I can do:")
            lines += [f"- {item}" for item in answer.out_of_scope]
        lines.append("Please send the request again with these details.")
        return "\n".join(lines)
    if isinstance(answer, RequestAnswer):
        return (
            f"I could not understand that request ({answer.error or answer.status}). "
            "Could you rephrase it?"
        )
    return f"I could not make a plan for that request ({answer.error or answer.status})."


def _plan_reply(view: DashboardPlanView) -> str:
    opening = "Here is the plan. "
    if view.diff is not None:  # a revision: say what changed before the plan itself
        opening = f"Here is the updated plan. {diff_in_words(view.revision, view.diff)}\n\n"
    return (
        f"{opening}{view.summary}\n\n{view.checklist}\n\n"
        f"Estimated duration: {view.estimated_duration}. Risk: {view.risk_level}.\n"
        "Approve it, reject it, or tell me what to change."
    )


def _put_back(
    ctx: Context, claimed: SessionRecord, previous: SessionStatus, refused: TooLargeToStore
) -> None:
    """Return the session to where it was, saying why no plan came of the turn. That write may
    fail too (the session deleted meanwhile, the store unavailable): it is logged, and the caller
    is still told the refusal; a claim left standing is taken over once stale."""
    why = NewMessage(
        role="assistant",
        content=f"I could not keep that plan. {refused.message}",
        metadata={"error": refused.code},
    )
    try:
        ctx.store.save(claimed, changes=SessionChanges(status=previous), messages=[why])
    except DashboardError as failure:
        logger.warning(
            "session %s not put back after a plan too large to store: %s",
            claimed.session_id,
            failure.code,
        )


def _fault_reply(error: OrchestratorError) -> str:
    return (
        f"I could not reach a decision on your message: {error.message} "
        "Nothing was changed; send it again when you are ready."
    )


def chat_turn(
    ctx: Context, *, session_id: str, message: str, modify_plan_id: str | None = None
) -> TurnResult:
    try:
        return _turn(ctx, session_id, message, modify_plan_id)
    except ConcurrentChange as error:
        # The session was deleted while the orchestrator planned: what the turn made is not
        # kept, and the person is told the session is gone rather than "changed, try again".
        current = ctx.store.get_session(session_key(session_id))
        if current is None or current.deleting:
            raise NotFound("Session not found.") from error
        raise


def _turn(ctx: Context, session_id: str, message: str, modify_plan_id: str | None) -> TurnResult:
    store, orchestrator = ctx.store, ctx.orchestrator
    turn = _claim_turn(ctx, session_id, message, modify_plan_id)
    claimed, user_message, target, previous = (
        turn.session,
        turn.user_message,
        turn.target,
        turn.previous_status,
    )
    try:
        request = orchestrator.submit_request(turn.text, claimed.user_id)
        planned = (
            orchestrator.generate_plan(request.request_id)
            if request.status == "parsing_complete"
            else None
        )
    except OrchestratorError as error:
        # Keep the person's message, say what went wrong, and leave the session as it was so
        # the next message works.
        store.save(
            claimed,
            changes=SessionChanges(status=previous),
            messages=[NewMessage(role="assistant", content=_fault_reply(error),
                                 metadata={"error": error.code})],
        )  # fmt: skip
        raise

    if planned is None or planned.status == "planning_failed":
        outcome = planned or request
        session, (reply,) = store.save(
            claimed,
            changes=SessionChanges(status=previous),
            messages=[
                NewMessage(
                    role="assistant",
                    content=_unplanned_reply(outcome),
                    metadata={"request_id": request.request_id, "outcome": outcome.status},
                )
            ],
        )
        metrics.chat_outcome(outcome.status)
        return TurnResult([user_message, reply], None, session.status)

    now = utcnow()
    plan = PlanRecord(
        plan_id=planned.plan_id,
        session_id=claimed.session_id,
        user_id=claimed.user_id,
        request_id=request.request_id,
        original_request=target.original_request if target else message,
        modifications=[*target.modifications, message] if target else [],
        plan=planned.model_dump(mode="json"),
        revision=target.revision + 1 if target else 1,
        previous_plan_id=target.plan_id if target else None,
        created_at=now,
        expires_at=claimed.expires_at,
    )
    if target:
        # Compared now, while both plans are at hand: the view of a revision never reads the
        # plan it replaces, and the diff holds as long as the revision does.
        plan.diff = plan_diff(target, plan)
    view = with_expiry(plan_view(plan, is_current=True), plan, ctx.settings)
    created = audit.entry(plan, "revised" if target else "created", audit.actor(ctx, plan))
    # The plan replaced may have expired unseen: its trail says so before it was replaced.
    superseded, expired = (
        with_recorded_expiry(target, ctx.settings, PlanChanges(state="superseded"))
        if target
        else (None, [])
    )
    try:
        session, (reply,) = store.save(
            claimed,
            changes=SessionChanges(
                status="plan_ready",
                current_request_id=request.request_id,
                current_plan_id=plan.plan_id,
                current_plan_created_at=plan.created_at,
            ),
            messages=[
                NewMessage(
                    role="assistant",
                    content=_plan_reply(view),
                    metadata={"plan_id": plan.plan_id, "request_id": request.request_id},
                )
            ],
            new_plan=plan,
            plan_update=(target, superseded) if target else None,
            audit=[*expired, created],
        )
    except TooLargeToStore as error:
        # Sending it again would make another plan as large: say so, and free the session.
        refused = TooLargeToStore(
            f"{error.message} {TOO_LARGE_ADVICE}", record=error.record, size_bytes=error.size_bytes
        )
        _put_back(ctx, claimed, previous, refused)
        raise refused from error
    metrics.chat_outcome("plan")
    return TurnResult([user_message, reply], view, session.status)
