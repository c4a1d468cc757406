"""Creating sessions and reading them with their history."""

from functools import partial

from shared.errors import Unauthenticated
from shared.models import ChatMessage, ChatSession, MessagePage, SessionList, SessionSummary
from shared.services.context import Context
from shared.services.fanout import all_of
from shared.services.loading import load_session, session_key
from shared.store.records import SessionRecord, StoredPage

ANONYMOUS = "anonymous"


def session_summary(record: SessionRecord) -> SessionSummary:
    return SessionSummary(
        session_id=record.session_id,
        user_id=record.user_id,
        created_at=record.created_at,
        last_activity=record.last_activity,
        status=record.status,
        current_request_id=record.current_request_id,
        current_plan_id=record.current_plan_id,
    )


def public_session(
    record: SessionRecord, messages: list[ChatMessage], older_cursor: str | None
) -> ChatSession:
    return ChatSession(
        **session_summary(record).model_dump(),
        messages=messages,
        older_messages_cursor=older_cursor,
    )


def create_session(ctx: Context, requested_user_id: str | None) -> ChatSession:
    # A verified or dev identity wins over a user_id in the body: the body cannot claim to be
    # somebody else.
    user_id = ctx.caller.user_id or requested_user_id or ANONYMOUS
    return public_session(ctx.store.create_session(user_id), [], None)


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
    return public_session(record, page.messages[::-1], page.next_cursor)


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
    return SessionList(
        sessions=[session_summary(r) for r in page.sessions], next_cursor=page.next_cursor
    )
