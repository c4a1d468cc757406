"""Test-only control endpoints under /_standin (not part of the real orchestrator API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from orchestrator_standin.api import StoreDep
from orchestrator_standin.state import Store

router = APIRouter(prefix="/_standin")


class ConfigBody(BaseModel):
    """Only the fields sent are changed."""

    capacity: bool | None = None
    task_seconds: float | None = Field(default=None, ge=0)
    delay_seconds: float | None = Field(default=None, ge=0)


def _config(store: Store) -> dict[str, Any]:
    settings = store.settings
    return {
        "capacity": settings.capacity,
        "task_seconds": settings.effective_task_seconds(),
        "delay_seconds": settings.delay_seconds,
    }


@router.get("/calls")
async def calls(store: StoreDep) -> dict[str, int]:
    return dict(store.calls)


@router.post("/reset")
async def reset(store: StoreDep) -> dict[str, str]:
    store.reset()
    return {"status": "reset"}


@router.get("/config")
async def get_config(store: StoreDep) -> dict[str, Any]:
    return _config(store)


@router.post("/config")
async def set_config(body: ConfigBody, store: StoreDep) -> dict[str, Any]:
    if body.capacity is not None:
        store.settings.capacity = body.capacity
    if body.task_seconds is not None:
        store.settings.task_seconds = body.task_seconds
    if body.delay_seconds is not None:
        store.settings.delay_seconds = body.delay_seconds
    return _config(store)
