"""One JSON error shape, {"error": {"code", "message"}}, mapped from typed exceptions here only."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DashboardError

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
