"""Creating sessions, reading them with their history, and deleting them on request."""

from functools import partial

from shared.errors import NotFound, SessionBusy, Unauthenticated
from shared.identity import check_access
from shared.models import ChatMessage, ChatSession, MessagePage, SessionList, SessionSummary
from shared.services.context import Context
from shared.services.fanout import all_of
from shared.services.loading import load_session, session_key
from shared.services.retries import on_concurrent_change
from shared.settings import Settings
from shared.store.records import SessionChanges, SessionRecord, StoredPage

ANONYMOUS = "anonymous"


def session_summary(record: SessionRecord, settings: Settings) -> SessionSummary:
    plan_created = record.current_plan_created_at
    return SessionSummary(
        session_id=record.session_id,
        user_id=record.user_id,
        created_at=record.created_at,
        last_activity=record.last_activity,
        status=record.status,
        current_request_id=record.current_request_id,
        current_plan_id=record.current_plan_id,
        plan_approval_expires_at=(
            settings.approval_deadline(plan_created)
            if record.status == "plan_ready" and plan_created is not None
            else None
        ),
        deleting=record.deleting,
    )


def public_session(
    ctx: Context, record: SessionRecord, messages: list[ChatMessage], older_cursor: str | None
) -> ChatSession:
    return ChatSession(
        **session_summary(record, ctx.settings).model_dump(),
        messages=messages,
        older_messages_cursor=older_cursor,
    )


def create_session(ctx: Context, requested_user_id: str | None) -> ChatSession:
    # A verified or dev identity wins over a user_id in the body: the body cannot claim to be
    # somebody else.
    user_id = ctx.caller.user_id or requested_user_id or ANONYMOUS
    return public_session(ctx, ctx.store.create_session(user_id), [], None)


def _session_and_page(
    ctx: Context, session_id: str, *, limit: int, cursor: str | None = None
) -> tuple[SessionRecord, StoredPage]:
    """The session item and a page of its history, read concurrently: one round trip instead
    of two. The page is only returned once the session is found to be the caller's (an error of
    the session read wins over one of the page read); for anyone else it is read and dropped."""
    canonical = session_key(session_id)
    record, page = all_of([
        partial(load_session, ctx, canonical),
        partial(ctx.store.list_messages, canonical, limit=limit, cursor=cursor),
    ])  # fmt: skip
    return record, page


def get_session(ctx: Context, session_id: str) -> ChatSession:
    record, page = _session_and_page(ctx, session_id, limit=ctx.settings.history_page_size)
    return public_session(ctx, record, page.messages[::-1], page.next_cursor)


def list_messages(
    ctx: Context, session_id: str, *, cursor: str | None, limit: int | None
) -> MessagePage:
    _, page = _session_and_page(
        ctx, session_id, limit=limit or ctx.settings.history_page_size, cursor=cursor
    )
    return MessagePage(messages=page.messages[::-1], next_cursor=page.next_cursor)


SESSIONS_PAGE_SIZE = 20


def list_sessions(ctx: Context, *, cursor: str | None, limit: int | None) -> SessionList:
    """The caller's sessions, newest activity first, a page at a time. Without an identity
    (local development only) they are the sessions made without one, the "anonymous" owner's."""
    owner = ctx.caller.user_id
    if owner is None:
        if ctx.settings.require_identity:
            raise Unauthenticated("Sign in to use the dashboard.")
        owner = ANONYMOUS
    page = ctx.store.list_sessions(owner, limit=limit or SESSIONS_PAGE_SIZE, cursor=cursor)
    # A session whose delete stopped half way is listed, marked `deleting`: the list is where
    # the person finds it to finish the delete (it is gone for everything else).
    return SessionList(
        sessions=[session_summary(r, ctx.settings) for r in page.sessions],
        next_cursor=page.next_cursor,
    )


def delete_session(ctx: Context, session_id: str) -> None:
    """Delete the caller's session with its messages, plans and their status snapshots; their
    audit trails stay (they expire as they would have). Refused while a run it can follow is
    executing or an approval is in flight. The session is marked first, so no other request
    touches it meanwhile (to them it is gone), and a delete stopped half way (a store fault) is
    finished by the next one. Answers nothing (204)."""
    session = _marked_for_deletion(ctx, session_id)
    ctx.store.delete_session(session)


@on_concurrent_change
def _marked_for_deletion(ctx: Context, session_id: str) -> SessionRecord:
    session = ctx.store.get_session(session_key(session_id))
    if session is None:
        raise NotFound("Session not found.")
    check_access(session.user_id, ctx.caller, ctx.settings, "Session")
    if session.deleting:  # a delete that stopped half way: finish it
        return session
    _require_nothing_running(ctx, session)
    marked, _ = ctx.store.save(session, changes=SessionChanges(deleting=True))
    return marked


def _require_nothing_running(ctx: Context, session: SessionRecord) -> None:
    if session.status != "executing" or not session.current_plan_id:
        return
    plan = ctx.store.get_plan(session.current_plan_id)
    if plan is None:
        return
    if plan.state == "approving":
        raise SessionBusy(
            "An approval of this session's plan is in flight; look at the plan's status, then "
            "delete the session once it is settled."
        )
    # A run whose steps cannot be followed from here (ids lost, or paused with none) does not
    # hold the session, as it does not hold the chat.
    if plan.state == "executing" and any(task.task_id for task in plan.dispatched_tasks):
        raise SessionBusy(
            "A run is executing in this session; wait for it to finish or abort it, then delete "
            "the session."
        )
