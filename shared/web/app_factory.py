"""Assemble the FastAPI app from groups of operations, with the shared error mapping and limits."""

import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shared.orchestrator.factory import close_orchestrator
from shared.settings import get_settings
from shared.web.errors import CatchAllMiddleware
from shared.web.fastapi_errors import install_error_handlers
from shared.web.fastapi_routes import router_for
from shared.web.idempotency import IdempotencyMiddleware
from shared.web.limits import MAX_BODY_BYTES, BodyLimitMiddleware
from shared.web.operations import Operation
from shared.web.providers import store_unless_overridden

__all__ = ["MAX_BODY_BYTES", "create_app", "in_lambda"]


def in_lambda() -> bool:
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await close_orchestrator()  # its calls make no further attempt; the process can exit


def create_app(*groups: Iterable[Operation], title: str = "Chiffon Dashboard API") -> FastAPI:
    # In Lambda nobody reads the docs, and building the OpenAPI schema costs cold-start time.
    docs = {} if not in_lambda() else {"openapi_url": None, "docs_url": None, "redoc_url": None}
    # No redirect of "/path/" to "/path": API Gateway's routes are exact, so the functions
    # answer 404 there, and so does the local app (a redirect would also spend an
    # Idempotency-Key on a request no operation serves).
    app = FastAPI(title=title, version="0.1.0", redirect_slashes=False, lifespan=_lifespan, **docs)
    install_error_handlers(app)
    app.add_middleware(CatchAllMiddleware)  # innermost: inside CORS where the app adds it
    # Outermost last: the body limit applies before the idempotency middleware reads a body.
    app.add_middleware(
        IdempotencyMiddleware,
        store=lambda: store_unless_overridden(app.dependency_overrides),
    )
    app.add_middleware(BodyLimitMiddleware)

    for group in groups:
        app.include_router(router_for(group))
    get_settings()  # fail at start-up, not on the first request, when the settings are wrong
    return app
