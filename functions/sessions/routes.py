"""POST /api/dashboard/session, GET and DELETE /api/dashboard/session/{session_id},
GET /api/dashboard/session/{session_id}/messages, GET /api/dashboard/sessions."""

from pydantic import BaseModel, Field

from shared.api import Operation
from shared.models import ChatSession, CreateSessionRequest, MessagePage, SessionList
from shared.services import sessions
from shared.services.context import Context

PREFIX = "/api/dashboard/session"


class MessagesQuery(BaseModel):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int | None = Field(default=None, ge=1, le=500)


class SessionsQuery(BaseModel):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int | None = Field(default=None, ge=1, le=100)


def create_session(ctx: Context, body: CreateSessionRequest | None) -> ChatSession:
    return sessions.create_session(ctx, body.user_id if body else None)


def get_session(ctx: Context, session_id: str) -> ChatSession:
    return sessions.get_session(ctx, session_id)


def list_messages(ctx: Context, session_id: str, query: MessagesQuery) -> MessagePage:
    return sessions.list_messages(ctx, session_id, cursor=query.cursor, limit=query.limit)


def list_sessions(ctx: Context, query: SessionsQuery) -> SessionList:
    return sessions.list_sessions(ctx, cursor=query.cursor, limit=query.limit)


def delete_session(ctx: Context, session_id: str) -> None:
    """Delete the session, its messages and its plans (their audit trails stay). 409
    session_busy while a run is executing or an approval is in flight."""
    sessions.delete_session(ctx, session_id)


def health(ctx: Context) -> dict:
    """The load balancer's and the deploy check's probe: no identity, no store call."""
    return {"status": "ok"}


# The sessions group never talks to the orchestrator: its function never imports httpx.
_SESSIONS = {"needs_orchestrator": False, "tags": ("sessions",)}

OPERATIONS = (
    Operation(
        "POST",
        PREFIX,
        create_session,
        ChatSession,
        body=CreateSessionRequest,
        body_required=False,
        status_code=201,
        **_SESSIONS,
    ),
    Operation("GET", PREFIX + "/{session_id}", get_session, ChatSession, **_SESSIONS),
    Operation(
        "DELETE",
        PREFIX + "/{session_id}",
        delete_session,
        None,
        status_code=204,
        idempotent=True,
        **_SESSIONS,
    ),
    Operation(
        "GET",
        PREFIX + "/{session_id}/messages",
        list_messages,
        MessagePage,
        query=MessagesQuery,
        **_SESSIONS,
    ),
    Operation(
        "GET", "/api/dashboard/sessions", list_sessions, SessionList, query=SessionsQuery,
        **_SESSIONS,
    ),
    Operation("GET", "/health", health, dict, needs_orchestrator=False, in_schema=False),
)
