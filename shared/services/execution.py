"""A run's progress: each dispatched task's status, fetched concurrently, as per-step updates."""

import logging
from datetime import datetime
from functools import partial

from shared.errors import OrchestratorError, OrchestratorNotFound
from shared.models import ExecutionUpdate, StepStatus
from shared.orchestrator.answers import TaskStatusAnswer
from shared.orchestrator.client import OrchestratorClient
from shared.planview import tasks_of
from shared.services.fanout import all_of
from shared.store.records import DispatchedTask, PlanRecord

logger = logging.getLogger(__name__)

STEP_STATUS: dict[str, StepStatus] = {
    "pending": "pending",
    "approved": "pending",
    "paused": "pending",
    "executing": "running",
    "running": "running",
    "completed": "completed",
    "failed": "failed",
    "rejected": "failed",
    "cancelled": "skipped",
}
FINISHED: set[StepStatus] = {"completed", "failed", "skipped"}
# What a plan in these states reports, whatever its tasks say.
FIXED_OVERALL = {
    "pending_approval",
    "approving",
    "completed",
    "failed",
    "rejected",
    "aborted",
    "superseded",
}


def _when(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _update(
    plan: PlanRecord, index: int, name: str, answer: TaskStatusAnswer | str | None
) -> ExecutionUpdate:
    if answer is None:
        return ExecutionUpdate(plan_id=plan.plan_id, step_index=index, step_name=name,
                               status="pending")  # fmt: skip
    if isinstance(answer, str):  # the reason the step cannot be followed
        return ExecutionUpdate(plan_id=plan.plan_id, step_index=index, step_name=name,
                               status="failed", error=answer)  # fmt: skip
    status = STEP_STATUS.get(answer.status, "running")
    output = answer.output
    return ExecutionUpdate(
        plan_id=plan.plan_id,
        step_index=index,
        step_name=name,
        status=status,
        output=output if isinstance(output, str) or output is None else str(output),
        error=answer.error_message,
        started_at=_when(answer.created_at) if status != "pending" else None,
        completed_at=_when(answer.updated_at) if status in FINISHED else None,
    )


def _task_answer(orchestrator: OrchestratorClient, task: DispatchedTask) -> TaskStatusAnswer | str:
    if task.task_id is None:
        return f"The orchestrator could not dispatch this step: {task.error or 'no reason given'}"
    try:
        return orchestrator.task_status(task.task_id)
    except OrchestratorNotFound:
        return "The orchestrator no longer knows this step (it may have restarted)."


def execution_updates(orchestrator: OrchestratorClient, plan: PlanRecord) -> list[ExecutionUpdate]:
    """One update per plan step; one orchestrator call per dispatched task, all at once.
    A finished run answers from what was kept, without asking the orchestrator."""
    if plan.final_steps is not None:
        return plan.final_steps
    tasks = tasks_of(plan)
    by_order = {t.order: t for t in plan.dispatched_tasks}
    wanted = [by_order.get(task.get("order", i)) for i, task in enumerate(tasks, start=1)]
    answers: list[TaskStatusAnswer | str | None] = all_of(
        [partial(_task_answer, orchestrator, t) if t else _nothing for t in wanted]
    )
    return [
        _update(plan, i, task.get("name", f"Step {i}"), answer)
        for i, (task, answer) in enumerate(zip(tasks, answers, strict=True), start=1)
    ]


def _nothing() -> None:
    return None


def cancel_all(orchestrator: OrchestratorClient, tasks: list[DispatchedTask]) -> list[str]:
    """Cancel every dispatched task at once; each outcome is "cancelled", "already_finished" or
    "unknown"."""
    return all_of([partial(orchestrator.cancel_task, t.task_id) for t in tasks if t.task_id])


def overall_status(plan: PlanRecord, steps: list[ExecutionUpdate]) -> str:
    if plan.state in FIXED_OVERALL:
        return plan.state
    if not plan.dispatched_tasks:  # nothing to follow: say why
        return plan.dispatch_status or plan.state
    if all(s.status == "completed" for s in steps):
        return "completed"
    if not all(s.status in FINISHED for s in steps):
        return "executing"
    if any(s.status == "skipped" for s in steps) and not any(s.status == "failed" for s in steps):
        return "aborted"  # steps were cancelled, and none failed: an abort ended the run
    return "failed"


__all__ = ["OrchestratorError", "execution_updates", "overall_status", "FINISHED"]
