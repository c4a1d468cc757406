"""POST /api/dashboard/session, GET /api/dashboard/session/{session_id}[/messages]."""

from typing import Annotated

from fastapi import APIRouter, Query

from shared.models import ChatSession, CreateSessionRequest, MessagePage
from shared.services import sessions
from shared.web.deps import SessionsContextDep
from shared.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/dashboard", tags=["sessions"], responses=ERROR_RESPONSES)


@router.post("/session", response_model=ChatSession, status_code=201)
async def create_session(
    ctx: SessionsContextDep, body: CreateSessionRequest | None = None
) -> ChatSession:
    return await sessions.create_session(ctx, body.user_id if body else None)


@router.get("/session/{session_id}", response_model=ChatSession)
async def get_session(session_id: str, ctx: SessionsContextDep) -> ChatSession:
    return await sessions.get_session(ctx, session_id)


@router.get("/session/{session_id}/messages", response_model=MessagePage)
async def list_messages(
    session_id: str,
    ctx: SessionsContextDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
) -> MessagePage:
    return await sessions.list_messages(ctx, session_id, cursor=cursor, limit=limit)
