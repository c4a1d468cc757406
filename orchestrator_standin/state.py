"""The stand-in's in-memory store: requests, plans, dispatched tasks, call counts, settings."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_TASK_SECONDS = 2.0
TASK_SECONDS_ENV = "STANDIN_TASK_SECONDS"
CALL_KINDS = ("request", "plan", "approve", "plan_status", "task_status", "cancel")


def env_task_seconds() -> float:
    try:
        value = float(os.environ.get(TASK_SECONDS_ENV, DEFAULT_TASK_SECONDS))
    except ValueError:
        return DEFAULT_TASK_SECONDS
    return value if value >= 0 else DEFAULT_TASK_SECONDS


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Settings:
    capacity: bool = True
    task_seconds: float | None = None  # None: read STANDIN_TASK_SECONDS at each dispatch
    delay_seconds: float = 0.0

    def effective_task_seconds(self) -> float:
        return env_task_seconds() if self.task_seconds is None else self.task_seconds


@dataclass
class StoredRequest:
    request_id: str
    text: str
    user_id: str
    status: str
    created_at: float


@dataclass
class StoredPlan:
    plan_id: str
    request_id: str
    summary: str
    complexity_level: str
    will_use_external_ai: bool
    tasks: list[dict[str, Any]]
    created_at: float
    status: str = "pending_approval"
    approved_at: float | None = None


@dataclass
class RunTask:
    task_id: str
    name: str
    fails: bool
    cancelled_at: float | None = None


@dataclass
class RunBatch:
    """The tasks one approval dispatched; they run one after another from dispatched_at."""

    plan_id: str
    request_id: str
    dispatched_at: float
    task_seconds: float
    tasks: list[RunTask] = field(default_factory=list)


@dataclass
class Store:
    clock: Callable[[], float] = time.time
    settings: Settings = field(default_factory=Settings)
    requests: dict[str, StoredRequest] = field(default_factory=dict)
    plans: dict[str, StoredPlan] = field(default_factory=dict)
    tasks: dict[str, tuple[RunBatch, int]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CALL_KINDS, 0))

    def reset(self) -> None:
        """Forget everything: requests, plans, tasks, call counts and settings."""
        self.settings = Settings()
        self.requests.clear()
        self.plans.clear()
        self.tasks.clear()
        self.calls = dict.fromkeys(CALL_KINDS, 0)

    def add_request(self, text: str, user_id: str, status: str) -> StoredRequest:
        stored = StoredRequest(new_id(), text, user_id, status, self.clock())
        self.requests[stored.request_id] = stored
        return stored

    def add_plan(self, request_id: str, draft: dict[str, Any]) -> StoredPlan:
        plan = StoredPlan(
            plan_id=new_id(),
            request_id=request_id,
            summary=draft["human_readable_summary"],
            complexity_level=draft["complexity_level"],
            will_use_external_ai=draft["will_use_external_ai"],
            tasks=draft["tasks"],
            created_at=self.clock(),
        )
        self.plans[plan.plan_id] = plan
        return plan

    def dispatch(self, plan: StoredPlan) -> dict[str, Any]:
        """Dispatch every task of the plan again (approval is not idempotent)."""
        now = self.clock()
        plan.approved_at = now
        if not self.settings.capacity:
            plan.status = "approved"
            count = len(plan.tasks)
            message = f"No agent has capacity right now; {count} task(s) paused"
            return {
                "plan_id": plan.plan_id,
                "status": "paused",
                "paused_tasks": count,
                "message": message,
            }
        plan.status = "executing"
        batch = RunBatch(plan.plan_id, plan.request_id, now, self.settings.effective_task_seconds())
        dispatched = [self._dispatch_one(batch, task) for task in plan.tasks]
        return {"plan_id": plan.plan_id, "status": "executing", "dispatched_tasks": dispatched}

    def _dispatch_one(self, batch: RunBatch, task: dict[str, Any]) -> dict[str, Any]:
        name, work_type, agent_type = task["name"], task["work_type"], task["agent_type"]
        if "undispatchable" in name.lower():
            error = f"No {agent_type} agent can take work type {work_type}"
            return {"name": name, "work_type": work_type, "error": error}
        run = RunTask(new_id(), name, fails="fail" in name.lower())
        self.tasks[run.task_id] = (batch, len(batch.tasks))
        batch.tasks.append(run)
        score = round(0.95 - 0.05 * ((task["order"] - 1) % 5), 2)
        return {
            "task_id": run.task_id,
            "trace_id": new_id(),
            "request_id": batch.request_id,
            "status": "pending",
            "agent_id": f"{agent_type}-agent-{(task['order'] - 1) % 2 + 1}",
            "agent_type": agent_type,
            "routing_score": score,
            "selection_reason": f"Highest routing score ({score}) among idle {agent_type} agents",
        }
