"""The orchestrator's answers, validated. Extra fields are tolerated (it may add more)."""

import uuid
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from shared.models import Model, empty_dict, empty_list


def _is_uuid(value: str | None) -> bool:
    try:
        return value is not None and bool(uuid.UUID(value))
    except ValueError:
        return False


class _Answer(Model):
    model_config = ConfigDict(extra="allow")


class RequestAnswer(_Answer):
    request_id: str
    status: str  # parsing_complete | requires_clarification | parsing_failed
    decomposed_request: dict[str, Any] | None = None
    ambiguities: list[str] = Field(default_factory=empty_list)
    out_of_scope: list[str] = Field(default_factory=empty_list)
    error: str | None = None


class WorkTask(_Answer):
    order: int
    name: str
    work_type: str = ""
    agent_type: str = ""
    parameters: dict[str, Any] = Field(default_factory=empty_dict)
    resource_requirements: dict[str, int] = Field(default_factory=empty_dict)
    depends_on: list[int] = Field(default_factory=empty_list)
    alternatives: list[Any] = Field(default_factory=empty_list)
    estimated_external_ai_calls: int = 0


class PlanAnswer(_Answer):
    status: str  # pending_approval | planning_failed
    plan_id: str | None = None
    request_id: str | None = None
    human_readable_summary: str = ""
    complexity_level: Literal["simple", "medium", "complex"] | None = None
    will_use_external_ai: bool = False
    tasks: list[WorkTask] = Field(default_factory=empty_list)
    error: str | None = None

    @model_validator(mode="after")
    def _a_plan_has_ids_and_tasks(self) -> "PlanAnswer":
        if self.status == "planning_failed":
            return self
        if not self.tasks or not _is_uuid(self.plan_id) or not _is_uuid(self.request_id):
            raise ValueError("a plan answer needs UUID plan_id and request_id, and tasks")
        return self


class DispatchedEntry(_Answer):
    """{task_id, trace_id, ...} for a dispatched task, {name, work_type, error} for one that
    could not be. The task id is what status and cancel need later: it must be a UUID."""

    task_id: str | None = None
    name: str | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _an_id_or_an_error(self) -> "DispatchedEntry":
        if self.task_id is None and self.error is None:
            raise ValueError("a dispatched task needs a task_id or an error")
        if self.task_id is not None and not _is_uuid(self.task_id):
            raise ValueError("a task_id must be a UUID")
        return self


class DispatchResult(_Answer):
    plan_id: str | None = None
    status: str  # executing | paused
    dispatched_tasks: list[DispatchedEntry] = Field(default_factory=empty_list)
    paused_tasks: int | None = None
    message: str | None = None


class ApproveAnswer(_Answer):
    plan_id: str
    status: str  # approved | rejected
    dispatch_started: bool = False
    dispatch_result: DispatchResult | None = None


class PlanStatusAnswer(_Answer):
    plan_id: str
    status: str
    request_id: str | None = None


class TaskStatusAnswer(_Answer):
    task_id: str
    status: str
    progress: float | None = None
    output: Any = None
    error_message: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class CancelAnswer(_Answer):
    task_id: str
    status: str
