"""POST /api/dashboard/chat: a message in a session becomes a request, a plan, or a question."""

from fastapi import APIRouter

from shared.models import ChatRequest, ChatResponse
from shared.services.chat import chat_turn
from shared.web.deps import CallerDep, OrchestratorDep, SettingsDep, StoreDep
from shared.web.errors import ERROR_RESPONSES

router = APIRouter(
    prefix="/api/dashboard",
    tags=["chat"],
    responses=ERROR_RESPONSES,
)


@router.post("/chat", response_model=ChatResponse)
async def chat(
    body: ChatRequest,
    store: StoreDep,
    orchestrator: OrchestratorDep,
    caller: CallerDep,
    settings: SettingsDep,
) -> ChatResponse:
    turn = await chat_turn(
        store, orchestrator, caller, settings, session_id=body.session_id, message=body.message
    )
    return ChatResponse(messages=turn.messages, plan=turn.plan, session_status=turn.session_status)
