"""Assemble a FastAPI app from routers, with the shared error mapping and limits."""

import os

from fastapi import APIRouter, FastAPI

from shared.settings import get_settings
from shared.store import get_store
from shared.web.deps import store_dependency
from shared.web.errors import CatchAllMiddleware, install_error_handlers
from shared.web.idempotency import IdempotencyMiddleware
from shared.web.limits import MAX_BODY_BYTES, BodyLimitMiddleware

__all__ = ["MAX_BODY_BYTES", "create_app", "in_lambda"]


def in_lambda() -> bool:
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


def create_app(*routers: APIRouter, title: str = "Chiffon Dashboard API") -> FastAPI:
    # In Lambda nobody reads the docs, and building the OpenAPI schema costs cold-start time.
    docs = {} if not in_lambda() else {"openapi_url": None, "docs_url": None, "redoc_url": None}
    app = FastAPI(title=title, version="0.1.0", **docs)
    install_error_handlers(app)
    app.add_middleware(CatchAllMiddleware)  # innermost: inside CORS where the app adds it
    # Outermost last: the body limit applies before the idempotency middleware reads a body.
    app.add_middleware(
        IdempotencyMiddleware,
        store=lambda: (app.dependency_overrides.get(store_dependency) or get_store)(),
    )
    app.add_middleware(BodyLimitMiddleware)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict:
        return {"status": "ok"}

    for router in routers:
        app.include_router(router)
    get_settings()  # fail at start-up, not on the first request, when the settings are wrong
    return app
