"""One JSON error shape, {"error": {"code", "message"}}, mapped from typed exceptions here only."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import DashboardError
from shared.models import ErrorResponse

logger = logging.getLogger("chiffon.dashboard")

_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthenticated",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def error_response(status: int, code: str, message: str, headers=None) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": {"code": code, "message": message}}, headers=headers
    )


def _describe(error: RequestValidationError) -> str:
    # Name the fields and what is wrong with them, without echoing what was sent.
    parts = []
    for item in error.errors()[:5]:
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


async def _dashboard_error(_: Request, error: DashboardError) -> JSONResponse:
    return error_response(error.status, error.code, error.message)


async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
    # The web client expects 400 for bad input (not FastAPI's 422).
    return error_response(400, "invalid_request", _describe(error))


async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(error.status_code, "http_error")
    message = error.detail if isinstance(error.detail, str) else "Request failed."
    return error_response(error.status_code, code, message, headers=error.headers)


async def _unexpected(_: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error")  # the trace goes to the log, never to the caller
    return error_response(500, "internal_error", "Something went wrong on our side.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DashboardError, _dashboard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


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
            logger.exception("unhandled error")
            response = error_response(500, "internal_error", "Something went wrong on our side.")
            await response(scope, receive, send)
