"""POST /api/dashboard/session, GET /api/dashboard/session/{session_id}[/messages]."""

from typing import Annotated

from fastapi import APIRouter, Query

from shared.models import ChatSession, CreateSessionRequest, MessagePage
from shared.services import sessions
from shared.web.deps import CallerDep, SettingsDep, StoreDep
from shared.web.errors import ERROR_RESPONSES

router = APIRouter(
    prefix="/api/dashboard",
    tags=["sessions"],
    responses=ERROR_RESPONSES,
)


@router.post("/session", response_model=ChatSession, status_code=201)
async def create_session(
    store: StoreDep, caller: CallerDep, body: CreateSessionRequest | None = None
) -> ChatSession:
    return await sessions.create_session(store, caller, body.user_id if body else None)


@router.get("/session/{session_id}", response_model=ChatSession)
async def get_session(
    session_id: str, store: StoreDep, caller: CallerDep, settings: SettingsDep
) -> ChatSession:
    return await sessions.get_session(store, caller, session_id, settings)


@router.get("/session/{session_id}/messages", response_model=MessagePage)
async def list_messages(
    session_id: str,
    store: StoreDep,
    caller: CallerDep,
    settings: SettingsDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
) -> MessagePage:
    return await sessions.list_messages(
        store, caller, session_id, settings, cursor=cursor, limit=limit
    )
