"""Turn a stored orchestrator plan into what a person reads: summary, checklist, risk, duration,
each step's status and a line about it, and the actions allowed now."""

import json
from typing import Any

from shared.models import DashboardPlanView, ExecutionUpdate, StepStatus
from shared.store.records import PlanRecord, PlanState

RISK_BY_COMPLEXITY = {"simple": "low", "medium": "medium", "complex": "high"}
MAX_DESCRIPTION_CHARS = 120
# A step's status when no update of the run tells it: a plan that will never run (rejected,
# replaced by a newer one, or aborted) did not run it; any other plan has not run it yet.
STEP_STATUS_WITHOUT_UPDATES: dict[PlanState, StepStatus] = {
    "rejected": "skipped",
    "superseded": "skipped",
    "aborted": "skipped",
}


def risk_level(complexity: str | None) -> str:
    # An unknown complexity is treated as the highest risk: a person should look closely.
    return RISK_BY_COMPLEXITY.get(complexity or "", "high")


def duration_in_words(seconds: int) -> str:
    if seconds <= 0:
        return "under a minute"
    if seconds < 60:
        return f"~{seconds} seconds"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"~{minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return f"~{hours} hour{'s' if hours != 1 else ''}"
    return f"~{hours} h {rest} min"


def tasks_of(plan: PlanRecord) -> list[dict[str, Any]]:
    return sorted(plan.plan.get("tasks", []), key=lambda t: t.get("order", 0))


def step_name(task: dict[str, Any], index: int) -> str:
    return str(task.get("name") or f"Step {index}")


def step_duration(task: dict[str, Any]) -> str:
    """In words; a step without an estimate reads as under a minute, as its total counts it."""
    seconds = (task.get("resource_requirements") or {}).get("estimated_duration_seconds", 0)
    return duration_in_words(seconds)


def total_resources(tasks: list[dict[str, Any]]) -> dict[str, int]:
    """Duration adds up (tasks run in turn); GPU memory and cores are the peak any task needs."""
    needs = [t.get("resource_requirements") or {} for t in tasks]
    return {
        "estimated_duration_seconds": sum(n.get("estimated_duration_seconds", 0) for n in needs),
        "gpu_vram_mb": max((n.get("gpu_vram_mb", 0) for n in needs), default=0),
        "cpu_cores": max((n.get("cpu_cores", 0) for n in needs), default=0),
    }


def _parameter_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(_parameter_value(v) for v in value)
    return json.dumps(value, separators=(",", ":"), default=str)


def step_description(task: dict[str, Any]) -> str:
    """One line about a step from what the orchestrator planned, e.g. "build (code agent):
    service=api"; at most MAX_DESCRIPTION_CHARS, cut with an ellipsis."""
    line = str(task.get("work_type") or "step")
    if task.get("agent_type"):
        line += f" ({task['agent_type']} agent)"
    parameters = task.get("parameters")
    if isinstance(parameters, dict) and parameters:
        line += ": " + ", ".join(f"{k}={_parameter_value(v)}" for k, v in parameters.items())
    line = " ".join(line.split())  # one line, whatever the parameters hold
    if len(line) > MAX_DESCRIPTION_CHARS:
        line = line[: MAX_DESCRIPTION_CHARS - 1].rstrip() + "…"
    return line


def checklist(names: list[str], done: list[bool]) -> str:
    return "\n".join(
        f"- [{'x' if finished else ' '}] {i}. {name}"
        for i, (name, finished) in enumerate(zip(names, done, strict=True), start=1)
    )


def plan_view(
    plan: PlanRecord,
    *,
    is_current: bool,
    status: str | None = None,
    updates: list[ExecutionUpdate] | None = None,
) -> DashboardPlanView:
    """`status` is the live status when known; `updates` the per-step progress of a run (a
    finished run's kept steps when not given)."""
    tasks = tasks_of(plan)
    if updates is None:
        updates = plan.final_steps  # a finished run ticks off what completed
    known = {u.step_index: u.status for u in updates or []}
    unknown = STEP_STATUS_WITHOUT_UPDATES.get(plan.state, "pending")
    statuses = [known.get(i, unknown) for i in range(1, len(tasks) + 1)]
    names = [step_name(t, i) for i, t in enumerate(tasks, start=1)]
    done = [step_status == "completed" for step_status in statuses]
    steps = [
        {
            "index": i,
            "name": name,
            "work_type": task.get("work_type"),
            "agent_type": task.get("agent_type"),
            "depends_on": task.get("depends_on", []),
            "estimated_duration": step_duration(task),
            "checked": step_status == "completed",
            "status": step_status,
            "description": step_description(task),
        }
        for i, (task, name, step_status) in enumerate(
            zip(tasks, names, statuses, strict=True), start=1
        )
    ]
    resources = total_resources(tasks)
    state = plan.state
    return DashboardPlanView(
        plan_id=plan.plan_id,
        request_id=plan.request_id,
        summary=plan.plan.get("human_readable_summary")
        or f"A plan of {len(tasks)} step{'s' if len(tasks) != 1 else ''}.",
        steps=steps,
        checklist=checklist(names, done),
        estimated_duration=duration_in_words(resources["estimated_duration_seconds"]),
        risk_level=risk_level(plan.plan.get("complexity_level")),
        resource_requirements=resources,
        status=status or state,
        can_approve=is_current and state == "pending_approval",
        can_modify=is_current and state == "pending_approval",
        can_abort=is_current and state in ("approving", "executing"),
        revision=plan.revision,
        previous_plan_id=plan.previous_plan_id,
        diff=plan.diff,  # computed when the revision was made: no read of the previous plan
    )
