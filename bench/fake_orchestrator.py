"""A tiny fake orchestrator with an artificial delay on every /api/v1 call, to show the status
fan-out: `python -m bench.fake_orchestrator --port N [--delay 0.05]`.

The stand-in makes at most 6 tasks; here a request text containing `tasks=N` gets a plan of N
tasks. Every task stays `executing`. /_fake/stats reports calls per kind and the most
GET /api/v1/status/{task_id} calls that were in flight at once.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import uuid
from collections import Counter

from fastapi import FastAPI, HTTPException, Request

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
app.state.delay = 0.05
requests: dict[str, str] = {}
plans: dict[str, int] = {}
tasks: set[str] = set()
calls: Counter[str] = Counter()
in_flight = {"now": 0, "max": 0}


@app.middleware("http")
async def delay(request: Request, call_next):
    if not request.url.path.startswith("/api/v1/"):
        return await call_next(request)
    counted = request.url.path.startswith("/api/v1/status/")
    if counted:  # task status calls in flight at once: the fan-out made visible
        in_flight["now"] += 1
        in_flight["max"] = max(in_flight["max"], in_flight["now"])
    try:
        await asyncio.sleep(app.state.delay)
        return await call_next(request)
    finally:
        if counted:
            in_flight["now"] -= 1


@app.get("/health")
async def health() -> dict:
    return {"status": "healthy"}


@app.get("/_fake/stats")
async def stats() -> dict:
    return {"calls": dict(calls), "max_in_flight": in_flight["max"], "delay": app.state.delay}


@app.post("/_fake/reset")
async def reset() -> dict:
    calls.clear()
    in_flight["max"] = 0
    return {"status": "reset"}


@app.post("/api/v1/request")
async def submit(body: dict) -> dict:
    calls["request"] += 1
    request_id = str(uuid.uuid4())
    requests[request_id] = body["request"]
    return {"request_id": request_id, "status": "parsing_complete", "decomposed_request": {}}


@app.get("/api/v1/plan/{request_id}")
async def plan(request_id: str) -> dict:
    calls["plan"] += 1
    match = re.search(r"tasks=(\d+)", requests[request_id])
    count = int(match.group(1)) if match else 1
    plan_id = str(uuid.uuid4())
    plans[plan_id] = count
    return {
        "plan_id": plan_id,
        "request_id": request_id,
        "status": "pending_approval",
        "human_readable_summary": f"{count} steps",
        "complexity_level": "simple",
        "will_use_external_ai": False,
        "tasks": [
            {"order": i, "name": f"Step {i}", "work_type": "general", "agent_type": "infra",
             "resource_requirements": {"estimated_duration_seconds": 60}}
            for i in range(1, count + 1)
        ],
    }  # fmt: skip


@app.post("/api/v1/plan/{plan_id}/approve")
async def approve(plan_id: str) -> dict:
    calls["approve"] += 1
    ids = [str(uuid.uuid4()) for _ in range(plans[plan_id])]
    tasks.update(ids)
    return {
        "plan_id": plan_id,
        "status": "approved",
        "dispatch_started": True,
        "dispatch_result": {
            "plan_id": plan_id,
            "status": "executing",
            "dispatched_tasks": [{"task_id": t, "status": "pending"} for t in ids],
        },
    }


@app.get("/api/v1/plan/{plan_id}/status")
async def plan_status(plan_id: str) -> dict:
    calls["plan_status"] += 1
    return {"plan_id": plan_id, "status": "executing"}


@app.get("/api/v1/status/{task_id}")
async def task_status(task_id: str) -> dict:
    calls["task_status"] += 1
    if task_id not in tasks:
        raise HTTPException(404, "Task not found")
    return {"task_id": task_id, "status": "executing", "progress": 50,
            "created_at": "2026-01-01T00:00:00+00:00",
            "updated_at": "2026-01-01T00:00:00+00:00"}  # fmt: skip


@app.post("/api/v1/cancel/{task_id}")
async def cancel(task_id: str) -> dict:
    calls["cancel"] += 1
    return {"task_id": task_id, "status": "cancelled"}


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    app.state.delay = args.delay
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
