"""The stand-in application: routers plus one middleware that counts, delays and catches."""

from __future__ import annotations

import asyncio
import re

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.middleware.base import RequestResponseEndpoint

from orchestrator_standin import admin, api
from orchestrator_standin.state import Store

_CALL_KINDS = (
    ("POST", re.compile(r"/api/v1/request"), "request"),
    ("GET", re.compile(r"/api/v1/plan/[^/]+"), "plan"),
    ("POST", re.compile(r"/api/v1/plan/[^/]+/approve"), "approve"),
    ("GET", re.compile(r"/api/v1/plan/[^/]+/status"), "plan_status"),
    ("GET", re.compile(r"/api/v1/status/[^/]+"), "task_status"),
    ("POST", re.compile(r"/api/v1/cancel/[^/]+"), "cancel"),
)


def call_kind(method: str, path: str) -> str | None:
    for kind_method, pattern, kind in _CALL_KINDS:
        if method == kind_method and pattern.fullmatch(path):
            return kind
    return None


async def _standin_middleware(request: Request, call_next: RequestResponseEndpoint) -> Response:
    """Count every API call (failed ones too), answer crashes like the real service does, and
    delay /api/v1 answers by the configured delay *after* the work is done."""
    store: Store = request.app.state.store
    path = request.url.path
    kind = call_kind(request.method, path)
    if kind is not None:
        store.calls[kind] += 1
    try:
        response = await call_next(request)
    except Exception as exc:  # the real service reports crashes as 500 + detail
        response = JSONResponse({"detail": f"Internal error: {exc}"}, status_code=500)
    delay = store.settings.delay_seconds
    if path.startswith("/api/v1/") and delay > 0:
        await asyncio.sleep(delay)
    return response


def create_app(store: Store | None = None) -> FastAPI:
    app = FastAPI(title="Chiffon orchestrator stand-in", version="0.1.0")
    app.state.store = store if store is not None else Store()
    app.middleware("http")(_standin_middleware)
    app.include_router(api.router)
    app.include_router(admin.router)
    return app


app = create_app()
