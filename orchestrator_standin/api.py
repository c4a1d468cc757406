"""The imitated orchestrator endpoints: /api/v1/... and /health."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from orchestrator_standin import planner
from orchestrator_standin.progress import task_view
from orchestrator_standin.state import Store, StoredPlan, iso

MAX_REQUEST_CHARS = 10_000

router = APIRouter()


def get_store(request: Request) -> Store:
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]


class RequestBody(BaseModel):
    request: str
    user_id: str


class ApproveBody(BaseModel):
    approved: bool
    user_id: str
    notes: str | None = None


def _plan_or_404(store: Store, plan_id: str) -> StoredPlan:
    plan = store.plans.get(plan_id)
    if plan is None:
        raise HTTPException(status_code=404, detail="Plan not found")
    return plan


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "healthy"}


@router.post("/api/v1/request")
async def submit_request(body: RequestBody, store: StoreDep) -> dict[str, Any]:
    if not body.request.strip():
        raise HTTPException(status_code=400, detail="Request cannot be empty")
    if len(body.request) > MAX_REQUEST_CHARS:
        detail = f"Request too long (maximum {MAX_REQUEST_CHARS} characters)"
        raise HTTPException(status_code=400, detail=detail)
    outcome = planner.parse_outcome(body.request)
    stored = store.add_request(body.request, body.user_id, outcome["status"])
    return {"request_id": stored.request_id, **outcome}


@router.get("/api/v1/plan/{request_id}")
async def generate_plan(request_id: str, store: StoreDep) -> dict[str, Any]:
    stored = store.requests.get(request_id)
    if stored is None or stored.status != "parsing_complete":
        raise HTTPException(status_code=404, detail="Request not found")
    error = planner.planning_error(stored.text)
    if error is not None:
        return {"status": "planning_failed", "error": error}
    plan = store.add_plan(request_id, planner.derive_plan(stored.text))
    return {
        "plan_id": plan.plan_id,
        "request_id": plan.request_id,
        "status": plan.status,
        "human_readable_summary": plan.summary,
        "complexity_level": plan.complexity_level,
        "will_use_external_ai": plan.will_use_external_ai,
        "tasks": plan.tasks,
    }


@router.post("/api/v1/plan/{plan_id}/approve")
async def approve_plan(plan_id: str, body: ApproveBody, store: StoreDep) -> dict[str, Any]:
    plan = _plan_or_404(store, plan_id)
    if not body.approved:
        plan.status = "rejected"
        return {"plan_id": plan_id, "status": "rejected"}
    result = store.dispatch(plan)
    return {
        "plan_id": plan_id,
        "status": "approved",
        "dispatch_started": True,
        "dispatch_result": result,
    }


@router.get("/api/v1/plan/{plan_id}/status")
async def plan_status(plan_id: str, store: StoreDep) -> dict[str, Any]:
    plan = _plan_or_404(store, plan_id)
    return {
        "plan_id": plan.plan_id,
        "request_id": plan.request_id,
        "status": plan.status,
        "tasks": [{k: t[k] for k in ("order", "name", "work_type")} for t in plan.tasks],
        "complexity_level": plan.complexity_level,
        "will_use_external_ai": plan.will_use_external_ai,
        "created_at": iso(plan.created_at),
        "approved_at": iso(plan.approved_at),
    }


@router.get("/api/v1/status/{task_id}")
async def task_status(task_id: uuid.UUID, store: StoreDep) -> dict[str, Any]:
    found = store.tasks.get(str(task_id))
    if found is None:
        raise HTTPException(status_code=404, detail="Task not found")
    batch, index = found
    return task_view(batch, index, store.clock())


@router.post("/api/v1/cancel/{task_id}")
async def cancel_task(task_id: uuid.UUID, store: StoreDep) -> dict[str, Any]:
    found = store.tasks.get(str(task_id))
    if found is None:
        raise HTTPException(status_code=404, detail="Task not found")
    batch, index = found
    now = store.clock()
    status = task_view(batch, index, now)["status"]
    if status not in ("pending", "executing"):
        raise HTTPException(status_code=400, detail=f"Cannot cancel task in status '{status}'")
    batch.tasks[index].cancelled_at = now
    return {"task_id": str(task_id), "status": "cancelled"}
