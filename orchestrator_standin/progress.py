"""Task progression computed from the clock: no background work, only arithmetic.

The tasks of one dispatch run one after another from the dispatch time, each taking the
batch's task_seconds. A task whose name contains "fail" fails half-way through its slot. A
cancelled task ends its slot when it was cancelled, so the next task starts then.
"""

from __future__ import annotations

from typing import Any

from orchestrator_standin.state import RunBatch, iso

FAIL_FRACTION = 0.5


def _natural_length(batch: RunBatch, index: int) -> float:
    fraction = FAIL_FRACTION if batch.tasks[index].fails else 1.0
    return batch.task_seconds * fraction


def _slots(batch: RunBatch) -> list[tuple[float, float]]:
    """(start, end) of every task of the batch, cancellations included."""
    slots = []
    start = batch.dispatched_at
    for index, task in enumerate(batch.tasks):
        end = start + _natural_length(batch, index)
        if task.cancelled_at is not None and task.cancelled_at < end:
            end = max(start, task.cancelled_at)
        slots.append((start, end))
        start = end
    return slots


def _percent(batch: RunBatch, start: float, at: float) -> int:
    if batch.task_seconds <= 0:
        return 0
    return max(0, min(99, int((at - start) / batch.task_seconds * 100)))


def task_view(batch: RunBatch, index: int, now: float) -> dict[str, Any]:
    """The body of GET /api/v1/status/{task_id} at time `now`."""
    task = batch.tasks[index]
    start, end = _slots(batch)[index]
    output = None
    error = None
    if task.cancelled_at is not None:
        status, updated, progress = "cancelled", task.cancelled_at, _percent(batch, start, end)
    elif now < start:
        status, updated, progress = "pending", batch.dispatched_at, 0
    elif now < end:
        status, updated, progress = "executing", start, _percent(batch, start, now)
    elif task.fails:
        status, updated, progress = "failed", end, _percent(batch, start, end)
        error = f"{task.name} failed: the agent reported a non-zero exit (stand-in 'fail' word)"
    else:
        status, updated, progress = "completed", end, 100
        output = {"message": f"{task.name} finished"}
    return {
        "task_id": task.task_id,
        "status": status,
        "progress": progress,
        "output": output,
        "error_message": error,
        "created_at": iso(batch.dispatched_at),
        "updated_at": iso(updated),
    }
