"""The operations as one FastAPI app, with the OpenAPI document: the local stack on port 8001, or
one Lambda function through Mangum. FastAPI reads and validates each request from the route's
signature (signatures.py) and runs the route, a plain function, in its thread pool."""

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Body, Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from shared import errors
from shared.api import MAX_BODY_BYTES, NOT_MODIFIED, Operation, Reply, json_text
from shared.identity import Caller, caller_from
from shared.models import ErrorResponse
from shared.orchestrator.factory import close_orchestrator
from shared.services.context import settings_dependency
from shared.settings import Settings, get_settings
from shared.web.signatures import Markers, as_route


async def caller_dependency(
    request: Request, settings: Annotated[Settings, Depends(settings_dependency)]
) -> Caller:
    # Mangum puts the API Gateway event in the ASGI scope; locally there is none.
    return caller_from(request.scope.get("aws.event"), request.headers, settings)


NOT_MODIFIED_DOC = {"description": "Not Modified: If-None-Match names the current ETag; no body"}


def _respond(reply: Reply) -> Response:
    return Response(reply.text, reply.status, reply.headers)


def _json(status: int, content: dict, headers: dict[str, str] | None = None) -> Response:
    return Response(json_text(content), status, headers, media_type="application/json")


def _error(error: errors.DashboardError) -> Response:
    return _json(error.status, error.content())


MARKERS = Markers(Depends, Header, Query, Body, caller=caller_dependency, respond=_respond)


async def _dashboard_error(_: Request, error: errors.DashboardError) -> Response:
    return _error(error)


async def _validation_error(_: Request, error: RequestValidationError) -> Response:
    return _error(errors.invalid_request(error.errors()))


async def _http_error(_: Request, error: HTTPException) -> Response:
    # 404 and 405 from the routing; 413 from a body past the routes' max_body_size as it is read
    # (said in the Lambda functions' words).
    code = errors.HTTP_CODES.get(error.status_code, "http_error")
    message = errors.TOO_LARGE if error.status_code == 413 else str(error.detail)
    return _json(error.status_code, errors.error_content(code, message), error.headers)


async def _edge(request: Request, call_next) -> Response:
    """Inside the CORS middleware, so that the browser can read them: the generic 500 (Starlette
    answers Exception from outside every middleware), and 413 for a Content-Length past the
    limit (the routes' max_body_size counts what is read, but for an announced size Starlette
    swaps any answer for its text/plain one)."""
    announced = request.headers.get("content-length", "")
    if announced.isascii() and announced.isdigit() and int(announced) > MAX_BODY_BYTES:
        return _error(errors.PayloadTooLarge(errors.TOO_LARGE))
    try:
        return await call_next(request)
    except Exception:
        return _error(errors.internal_error())


@asynccontextmanager
async def _closing_clients(_: FastAPI) -> AsyncIterator[None]:
    yield
    close_orchestrator()


def create_app(*groups: Iterable[Operation]) -> FastAPI:
    app = FastAPI(
        title="Chiffon Dashboard API",
        version="0.1.0",
        # No redirect of "/path/" to "/path": API Gateway's routes are exact, so the functions
        # answer 404 there, and so does the local app.
        redirect_slashes=False,
        lifespan=_closing_clients,
        exception_handlers={
            errors.DashboardError: _dashboard_error,
            RequestValidationError: _validation_error,
            HTTPException: _http_error,
        },
        responses={
            status: {"model": ErrorResponse, "description": meaning}
            for status, meaning in errors.ERROR_STATUSES.items()
        },
    )
    app.middleware("http")(_edge)
    for operation in (operation for group in groups for operation in group):
        app.add_api_route(
            operation.path,
            as_route(operation, MARKERS),
            methods=[operation.method],
            response_model=operation.response_model,
            status_code=operation.status_code,
            name=operation.name,
            tags=list(operation.tags),
            summary=operation.summary,
            include_in_schema=operation.in_schema,
            responses={NOT_MODIFIED: NOT_MODIFIED_DOC} if operation.conditional else None,
            max_body_size=MAX_BODY_BYTES,
        )
    get_settings()  # fail at start-up, not on the first request, when the settings are wrong
    return app
