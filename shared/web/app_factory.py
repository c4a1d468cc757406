"""Assemble a FastAPI app from routers, with the shared error mapping and limits."""

import os

from fastapi import APIRouter, FastAPI, Request

from shared.settings import get_settings
from shared.web.errors import error_response, install_error_handlers
from shared.web.idempotency import install_idempotency

MAX_BODY_BYTES = 64 * 1024  # a chat message is at most 10,000 characters; nothing needs more


def in_lambda() -> bool:
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


def create_app(*routers: APIRouter, title: str = "Chiffon Dashboard API") -> FastAPI:
    # In Lambda nobody reads the docs, and building the OpenAPI schema costs cold-start time.
    docs = {} if not in_lambda() else {"openapi_url": None, "docs_url": None, "redoc_url": None}
    app = FastAPI(title=title, version="0.1.0", **docs)
    install_error_handlers(app)
    install_idempotency(app)

    @app.middleware("http")
    async def refuse_large_bodies(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return error_response(413, "payload_too_large", "The request body is too large.")
        return await call_next(request)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict:
        return {"status": "ok"}

    for router in routers:
        app.include_router(router)
    get_settings()  # fail at start-up, not on the first request, when the settings are wrong
    return app
