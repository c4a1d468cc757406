"""The operations as one FastAPI app: the local stack on port 8001 (and a single Lambda function
through Mangum, if one is preferred), with the OpenAPI document.

Each route's signature is built from its operation's models, so FastAPI reads and validates the
request; each endpoint hands the use case to FastAPI's thread pool in one hop.
"""

import inspect
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from shared.api import MAX_BODY_BYTES, NO_BODY, Answer, Operation
from shared.errors import (
    ERROR_STATUSES,
    HTTP_CODES,
    TOO_LARGE,
    DashboardError,
    error_content,
    internal_error,
    invalid_request,
)
from shared.identity import Caller, caller_from
from shared.models import ErrorResponse
from shared.orchestrator.factory import close_orchestrator
from shared.services.context import Context, settings_dependency
from shared.services.perform import perform
from shared.settings import Settings, get_settings
from shared.web.signatures import KEYWORD, Markers, as_route


async def caller_dependency(
    request: Request, settings: Annotated[Settings, Depends(settings_dependency)]
) -> Caller:
    # Mangum puts the API Gateway event in the ASGI scope; locally there is none. async: it
    # only reads the headers, so it runs on the event loop, not in the thread pool.
    return caller_from(request.scope.get("aws.event"), request.headers, settings)


MARKERS = Markers(
    depends=Depends,
    header=Header,
    query=Query,
    body=Body,
    caller=caller_dependency,
    async_context=True,
)


def _error(error: DashboardError) -> JSONResponse:
    return JSONResponse(error.content(), status_code=error.status)


def _endpoint(operation: Operation):
    async def endpoint(response: Response, ctx: Context, **inputs):
        # The use case blocks (botocore, httpx): one hop to the thread pool for all of it, and
        # the answer is serialised back on the event loop.
        result = await run_in_threadpool(perform, operation, ctx, **inputs)
        if not isinstance(result, Answer):
            return result
        if result.status is None:  # the operation's model, serialised by FastAPI, and headers
            response.headers.update(result.headers)
            return result.body
        if result.status in NO_BODY:
            return Response(status_code=result.status, headers=result.headers)
        # A replayed answer, exactly as it was first given.
        return JSONResponse(result.body, status_code=result.status, headers=result.headers)

    response = inspect.Parameter("response", KEYWORD, annotation=Response)
    return as_route(endpoint, operation, MARKERS, response)


def _router(operations: Iterable[Operation]) -> APIRouter:
    errors = {
        status: {"model": ErrorResponse, "description": meaning}
        for status, meaning in ERROR_STATUSES.items()
    }
    router = APIRouter(responses=errors)
    for operation in operations:
        router.add_api_route(
            operation.path,
            _endpoint(operation),
            methods=[operation.method],
            response_model=operation.response_model,
            status_code=operation.status_code,
            name=operation.name,
            tags=list(operation.tags),
            summary=operation.summary,
            include_in_schema=operation.in_schema,
        )
    return router


async def _dashboard_error(_: Request, error: DashboardError) -> JSONResponse:
    return _error(error)


async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
    return _error(invalid_request(error.errors()))


async def _http_error(_: Request, error: HTTPException) -> JSONResponse:
    code = HTTP_CODES.get(error.status_code, "http_error")
    message = error.detail if isinstance(error.detail, str) else "Request failed."
    return JSONResponse(error_content(code, message), error.status_code, error.headers)


async def _answer_faults(request: Request, call_next) -> Response:
    """The generic 500, made inside the CORS middleware so the browser can read it (Starlette's
    handler for Exception answers from outside every middleware)."""
    try:
        return await call_next(request)
    except Exception:
        return _error(internal_error())


class _BodyLimit:
    """Refuse a body past MAX_BODY_BYTES with 413 as it is read, whether its size is announced
    or not; one whose Content-Length announces more is refused at its first read, without
    waiting for bytes a client may never send. FastAPI's own `max_body_size` would do this, but
    answers text/plain in place of any answer when a Content-Length announces too much, so the
    error shape would be lost."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        announced = Headers(scope=scope).get("content-length", "")
        received = 0

        async def counted():
            nonlocal received
            if announced.isascii() and announced.isdigit() and int(announced) > self.max_bytes:
                raise HTTPException(413, TOO_LARGE)
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, TOO_LARGE)  # answered by _http_error, in the shape
            return message

        await self.app(scope, counted, send)


@asynccontextmanager
async def _closing_clients(_: FastAPI) -> AsyncIterator[None]:
    yield
    close_orchestrator()


def create_app(*groups: Iterable[Operation], title: str = "Chiffon Dashboard API") -> FastAPI:
    app = FastAPI(
        title=title,
        version="0.1.0",
        # No redirect of "/path/" to "/path": API Gateway's routes are exact, so the functions
        # answer 404 there, and so does the local app.
        redirect_slashes=False,
        lifespan=_closing_clients,
        exception_handlers={
            DashboardError: _dashboard_error,
            RequestValidationError: _validation_error,
            HTTPException: _http_error,
        },
    )
    app.add_middleware(_BodyLimit)
    app.middleware("http")(_answer_faults)
    for group in groups:
        app.include_router(_router(group))
    get_settings()  # fail at start-up, not on the first request, when the settings are wrong
    return app
