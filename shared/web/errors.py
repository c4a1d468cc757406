"""One JSON error shape, {"error": {"code", "message"}}, for every entry point.

Framework-free: the Lambda router and the ASGI middlewares use it without importing Starlette;
the FastAPI app's exception handlers (shared/web/fastapi_errors.py) build on it.
"""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from shared.models import ErrorResponse
from shared.web.asgi import ASGIApp, JSONAnswer, Message, Receive, Scope, Send

logger = logging.getLogger("chiffon.dashboard")

HTTP_CODES = {
    400: "invalid_request",
    401: "unauthenticated",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


INTERNAL_ERROR = "Something went wrong on our side."


def error_content(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONAnswer:
    return JSONAnswer.of(status, error_content(code, message), headers)


def internal_error() -> JSONAnswer:
    return error_response(500, "internal_error", INTERNAL_ERROR)


def describe_validation_errors(errors: Iterable[Mapping[str, Any]]) -> str:
    """Name the fields and what is wrong with them, without echoing what was sent. `errors` are
    pydantic's, with FastAPI's locations ("body", "query" or "path" first)."""
    parts = []
    for item in list(errors)[:5]:
        location = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "body"
        if item.get("type") == "missing":
            parts.append(f"{location} is required")
        elif item.get("type") == "extra_forbidden":
            parts.append("unknown fields are not allowed")  # the name is the client's own text
        elif item.get("type") == "json_invalid":
            parts.append("the body is not valid JSON")
        else:
            parts.append(f"{location}: {item.get('msg', 'invalid value')}")
    return "; ".join(parts) or "The request is not valid."


def invalid_request(errors: Iterable[Mapping[str, Any]]) -> JSONAnswer:
    # The web client expects 400 for bad input (not FastAPI's 422).
    return error_response(400, "invalid_request", describe_validation_errors(errors))


ERROR_RESPONSES = {
    code: {"model": ErrorResponse, "description": description}
    for code, description in {
        400: "Bad input",
        401: "No caller identity where one is required",
        404: "Unknown, malformed or someone else's",
        409: "Not allowed in the current state, or a concurrent change",
        413: "Request body over 64 KB",
        422: "Idempotency-Key reused for a different request",
        500: "Unexpected fault",
        502: "The orchestrator's answer could not be used",
        503: "The orchestrator or the session store cannot be reached",
        504: "The orchestrator did not answer in time",
    }.items()
}


class CatchAllMiddleware:
    """The generic 500, made inside the CORS middleware so the browser can read it (Starlette's
    own last-resort handler sits outside every middleware)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:
                raise
            logger.exception("unhandled error")  # the trace goes to the log, never to the caller
            await internal_error()(scope, receive, send)
