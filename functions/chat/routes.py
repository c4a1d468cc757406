"""POST /api/dashboard/chat: a message in a session becomes a request, a plan, or a question."""

from shared.api import Operation
from shared.models import ChatRequest, ChatResponse
from shared.services.chat import chat_turn
from shared.services.context import Context


def chat(ctx: Context, body: ChatRequest) -> ChatResponse:
    turn = chat_turn(ctx, session_id=body.session_id, message=body.message)
    return ChatResponse(messages=turn.messages, plan=turn.plan, session_status=turn.session_status)


OPERATIONS = (
    Operation("POST", "/api/dashboard/chat", chat, ChatResponse, body=ChatRequest, idempotent=True,
              tags=("chat",)),
)
