"""The FastAPI app's exception handlers: typed errors, validation and routing errors, all in the
one JSON error shape of shared/web/errors.py."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DashboardError
from shared.web.errors import (
    HTTP_CODES,
    INTERNAL_ERROR,
    describe_validation_errors,
    error_content,
    logger,
)


def _json(status: int, code: str, message: str, headers=None) -> JSONResponse:
    return JSONResponse(status_code=status, content=error_content(code, message), headers=headers)


async def _dashboard_error(_: Request, error: DashboardError) -> JSONResponse:
    return _json(error.status, error.code, error.message)


async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
    # The web client expects 400 for bad input (not FastAPI's 422).
    return _json(400, "invalid_request", describe_validation_errors(error.errors()))


async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
    code = HTTP_CODES.get(error.status_code, "http_error")
    message = error.detail if isinstance(error.detail, str) else "Request failed."
    return _json(error.status_code, code, message, headers=error.headers)


async def _unexpected(_: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error")  # the trace goes to the log, never to the caller
    return _json(500, "internal_error", INTERNAL_ERROR)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DashboardError, _dashboard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
