"""POST /api/dashboard/chat: a message in a session becomes a request, a plan, or a question."""

from fastapi import APIRouter

from shared.models import ChatRequest, ChatResponse
from shared.services.chat import chat_turn
from shared.web.deps import ContextDep
from shared.web.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/dashboard", tags=["chat"], responses=ERROR_RESPONSES)


@router.post("/chat", response_model=ChatResponse)
async def chat(body: ChatRequest, ctx: ContextDep) -> ChatResponse:
    turn = await chat_turn(ctx, session_id=body.session_id, message=body.message)
    return ChatResponse(messages=turn.messages, plan=turn.plan, session_status=turn.session_status)
