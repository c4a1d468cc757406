"""A fake Chiffon orchestrator on respx, answering as the contract in orchestrator-api.md says.

It keeps just enough state (requests, plans, tasks) to answer like the real service: every plan
call makes a new plan with a new plan_id, approve dispatches one task per plan task, cancel
refuses finished tasks with 400. Each endpoint is a named respx route, so a test can count the
calls that reached the orchestrator or swap an answer for a fault.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import respx

ORCHESTRATOR_URL = "http://orchestrator.test"

FIRST_REQUEST = "Deploy the billing service to staging"
SUMMARY = "Provision a staging VM, deploy the billing service on it, then run smoke tests."


def new_id() -> str:
    return str(uuid.uuid4())


def work_task(
    order: int,
    name: str,
    work_type: str,
    agent_type: str,
    seconds: int,
    *,
    depends_on: list[int] | None = None,
    gpu_vram_mb: int = 0,
    cpu_cores: int = 1,
) -> dict[str, Any]:
    """One WorkTask as GET /api/v1/plan/{request_id} returns it."""
    return {
        "order": order,
        "name": name,
        "work_type": work_type,
        "agent_type": agent_type,
        "parameters": {"environment": "staging"},
        "resource_requirements": {
            "estimated_duration_seconds": seconds,
            "gpu_vram_mb": gpu_vram_mb,
            "cpu_cores": cpu_cores,
        },
        "depends_on": depends_on or [],
        "alternatives": [],
        "estimated_external_ai_calls": 0,
    }


def sample_tasks() -> list[dict[str, Any]]:
    """Three tasks taking 120 + 120 + 60 = 300 seconds: "~5 minutes"."""
    return [
        work_task(1, "Provision staging VM", "provision_vm", "infra", 120, cpu_cores=2),
        work_task(2, "Deploy billing service", "deploy_service", "code", 120, depends_on=[1]),
        work_task(
            3, "Run smoke tests", "run_tests", "research", 60, depends_on=[2], gpu_vram_mb=512
        ),
    ]


def plan_answer(request_id: str, plan_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    answer = {
        "plan_id": plan_id or new_id(),
        "request_id": request_id,
        "status": "pending_approval",
        "human_readable_summary": SUMMARY,
        "complexity_level": "medium",
        "will_use_external_ai": False,
        "tasks": sample_tasks(),
    }
    answer.update(overrides)
    return answer


def not_found(what: str) -> httpx.Response:
    return httpx.Response(404, json={"detail": f"{what} not found"})


@dataclass
class FakePlan:
    plan_id: str
    request_id: str
    tasks: list[dict[str, Any]]
    status: str = "pending_approval"
    task_ids: list[str] = field(default_factory=list)


class FakeOrchestrator:
    """The orchestrator's endpoints as respx routes over a little in-memory state.

    Knobs a test may turn:
    - `request_outcome`: the next POST /api/v1/request answers with these fields instead of
      parsing_complete (e.g. requires_clarification with ambiguities);
    - `plan_outcome`: the next plan generation answers with these fields (e.g. planning_failed);
    - `task_status[task_id]`: what GET /api/v1/status/{task_id} says about a task.
    """

    def __init__(self, router: respx.MockRouter):
        self.requests: dict[str, str] = {}
        self.plans: dict[str, FakePlan] = {}
        self.task_status: dict[str, str] = {}
        self.request_outcome: dict[str, Any] | None = None
        self.plan_outcome: dict[str, Any] | None = None

        self.submit_route = router.post("/api/v1/request", name="submit")
        self.plan_status_route = router.route(
            method="GET", path__regex=r"^/api/v1/plan/(?P<plan_id>[^/]+)/status$", name="status"
        )
        self.generate_route = router.route(
            method="GET", path__regex=r"^/api/v1/plan/(?P<request_id>[^/]+)$", name="generate"
        )
        self.approve_route = router.route(
            method="POST", path__regex=r"^/api/v1/plan/(?P<plan_id>[^/]+)/approve$", name="approve"
        )
        self.task_status_route = router.route(
            method="GET", path__regex=r"^/api/v1/status/(?P<task_id>[^/]+)$", name="task"
        )
        self.cancel_route = router.route(
            method="POST", path__regex=r"^/api/v1/cancel/(?P<task_id>[^/]+)$", name="cancel"
        )
        self.health_route = router.get("/health", name="health")
        self.health_route.return_value = httpx.Response(200, json={"status": "healthy"})
        self.restore()

    def restore(self) -> None:
        """Put every route back to answering like the real service (after a fault)."""
        self.submit_route.side_effect = self._submit
        self.generate_route.side_effect = self._generate_plan
        self.approve_route.side_effect = self._approve
        self.plan_status_route.side_effect = self._plan_status
        self.task_status_route.side_effect = self._task_status
        self.cancel_route.side_effect = self._cancel

    # What tests read ----------------------------------------------------------------------

    def submitted_texts(self) -> list[str]:
        return [json.loads(call.request.content)["request"] for call in self.submit_route.calls]

    def approve_bodies(self) -> list[dict[str, Any]]:
        return [json.loads(call.request.content) for call in self.approve_route.calls]

    def cancelled_task_ids(self) -> list[str]:
        return [call.request.url.path.rsplit("/", 1)[-1] for call in self.cancel_route.calls]

    # The endpoints --------------------------------------------------------------------------

    def _submit(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert set(body) == {"request", "user_id"}, body
        request_id = new_id()
        self.requests[request_id] = body["request"]
        if self.request_outcome is not None:
            outcome, self.request_outcome = self.request_outcome, None
            return httpx.Response(200, json={"request_id": request_id, **outcome})
        return httpx.Response(
            200,
            json={
                "request_id": request_id,
                "status": "parsing_complete",
                "decomposed_request": {
                    "original_request": body["request"],
                    "subtasks": [{"name": "deploy", "intent": "deploy_service"}],
                    "ambiguities": [],
                    "out_of_scope": [],
                    "complexity_level": "medium",
                },
            },
        )

    def _generate_plan(self, request: httpx.Request, request_id: str) -> httpx.Response:
        if request_id not in self.requests:
            return not_found("Request")
        if self.plan_outcome is not None:
            outcome, self.plan_outcome = self.plan_outcome, None
            return httpx.Response(200, json=outcome)
        answer = plan_answer(request_id)
        self.plans[answer["plan_id"]] = FakePlan(answer["plan_id"], request_id, answer["tasks"])
        return httpx.Response(200, json=answer)

    def _approve(self, request: httpx.Request, plan_id: str) -> httpx.Response:
        body = json.loads(request.content)
        plan = self.plans.get(plan_id)
        if plan is None:
            return not_found("Plan")
        if not body["approved"]:
            plan.status = "rejected"
            return httpx.Response(200, json={"plan_id": plan_id, "status": "rejected"})
        plan.status = "executing"
        dispatched = []
        for task in plan.tasks:
            task_id = new_id()
            plan.task_ids.append(task_id)
            self.task_status[task_id] = "pending"
            dispatched.append(
                {
                    "task_id": task_id,
                    "trace_id": new_id(),
                    "request_id": plan.request_id,
                    "status": "pending",
                    "agent_id": new_id(),
                    "agent_type": task["agent_type"],
                    "routing_score": 0.87,
                    "selection_reason": "lowest load among capable agents",
                }
            )
        return httpx.Response(
            200,
            json={
                "plan_id": plan_id,
                "status": "approved",
                "dispatch_started": True,
                "dispatch_result": {
                    "plan_id": plan_id,
                    "status": "executing",
                    "dispatched_tasks": dispatched,
                },
            },
        )

    def _plan_status(self, request: httpx.Request, plan_id: str) -> httpx.Response:
        plan = self.plans.get(plan_id)
        if plan is None:
            return not_found("Plan")
        return httpx.Response(
            200,
            json={
                "plan_id": plan_id,
                "request_id": plan.request_id,
                "status": plan.status,
                "tasks": [
                    {"order": t["order"], "name": t["name"], "work_type": t["work_type"]}
                    for t in plan.tasks
                ],
                "complexity_level": "medium",
                "will_use_external_ai": False,
                "created_at": "2026-03-02T10:00:00+00:00",
                "approved_at": None
                if plan.status == "pending_approval"
                else "2026-03-02T10:01:00+00:00",
            },
        )

    def _task_status(self, request: httpx.Request, task_id: str) -> httpx.Response:
        status = self.task_status.get(task_id)
        if status is None:
            return not_found("Task")
        finished = status in ("completed", "failed", "cancelled")
        return httpx.Response(
            200,
            json={
                "task_id": task_id,
                "status": status,
                "progress": 1.0 if finished else 0.3,
                "output": "all checks passed" if status == "completed" else None,
                "error_message": "agent crashed" if status == "failed" else None,
                "created_at": "2026-03-02T10:01:00+00:00",
                "updated_at": "2026-03-02T10:03:00+00:00",
                "agent_id": new_id(),
            },
        )

    def _cancel(self, request: httpx.Request, task_id: str) -> httpx.Response:
        status = self.task_status.get(task_id)
        if status is None:
            return not_found("Task")
        if status not in ("pending", "executing"):
            return httpx.Response(400, json={"detail": f"Cannot cancel task in status {status}"})
        self.task_status[task_id] = "cancelled"
        return httpx.Response(200, json={"task_id": task_id, "status": "cancelled"})
