"""The dashboard's public models: what the web client sends and receives."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

SessionStatus = Literal["idle", "awaiting_plan", "plan_ready", "executing", "completed"]
Role = Literal["user", "assistant", "system"]
StepStatus = Literal["pending", "running", "completed", "failed", "skipped"]

# Limits are generous for people and tight enough that nothing can grow an item past 400 KB.
MAX_MESSAGE_CHARS = 10_000
UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS)
]
# Ids arrive as plain strings and are checked by the use cases, so a malformed id of any length
# is "not found" (404) rather than a validation error, and never reaches DynamoDB. The body
# limit bounds their size.
IdText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
MAX_COMMENT_CHARS = 2_000


def _blank_is_none(value: Any) -> Any:
    """A comment of nothing but whitespace is no comment."""
    if isinstance(value, str):
        return value.strip() or None
    return value


Comment = Annotated[
    Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS)] | None,
    BeforeValidator(_blank_is_none),
]


def empty_list() -> list:
    """A default_factory for an empty list. Not the builtin `list`: pydantic inspects a factory's
    signature, and for a builtin that compiles the tokenizer's regexes (~1.5 ms, once)."""
    return []


def empty_dict() -> dict:
    """A default_factory for an empty dict (see empty_list)."""
    return {}


class Model(BaseModel):
    """The base of this service's models (public, stored and the orchestrator's answers).

    defer_build: a model's validator and serializer are built when it is first used, not when
    its class is defined, so each Lambda function pays only for the models it uses (building
    all of them at import was a noticeable part of a cold start). Behaviour is the same.
    """

    model_config = ConfigDict(defer_build=True)


class _Strict(Model):
    # Request bodies are built at import (they are few and small): FastAPI wraps a body model in
    # a TypeAdapter with a Field(alias=...) and silences pydantic's warning about that alias only
    # while it makes the adapter, so a deferred build would warn at the first request instead.
    model_config = ConfigDict(extra="forbid", defer_build=False)


class ChatMessage(Model):
    id: str = Field(description="UUID; time-ordered (a ULID in UUID form)")
    session_id: str
    role: Role
    content: str
    timestamp: datetime
    metadata: dict[str, Any] | None = None


class SessionSummary(Model):
    """A session without its history: an entry of the sessions list."""

    session_id: str
    user_id: str
    created_at: datetime
    last_activity: datetime
    status: SessionStatus
    current_request_id: str | None = None
    current_plan_id: str | None = None
    plan_approval_expires_at: datetime | None = Field(
        default=None,
        description="While the plan waits for review (status plan_ready): until when it can be "
        "approved. Once past, it has expired: modify it for a fresh plan, or reject it",
    )
    deleting: bool = Field(
        default=False,
        description="A delete of it stopped half way (a store fault): it is gone for everything "
        "but the list; DELETE it again to finish",
    )


class ChatSession(SessionSummary):
    messages: list[ChatMessage] = Field(
        default_factory=empty_list, description="The newest page of the history, oldest first"
    )
    older_messages_cursor: str | None = Field(
        default=None, description="Pass to GET .../messages?cursor= for the page before these"
    )


class SessionList(Model):
    sessions: list[SessionSummary] = Field(description="Newest activity first")
    next_cursor: str | None = Field(
        default=None, description="Pass to GET /sessions?cursor= for the next (older) page"
    )


class MessagePage(Model):
    messages: list[ChatMessage] = Field(description="Oldest first within the page")
    next_cursor: str | None = Field(default=None, description="Cursor of the next older page")


class StepSummary(Model):
    """A step as a diff names it."""

    name: str
    work_type: str | None = None
    estimated_duration: str = Field(description="In words, as the plan view shows it")


class ValueChange(Model):
    """A value too long to keep whole (over 80 characters as JSON) is a short preview with its
    length and a hash: "<start>… (17,000 characters, sha256 1a2b3c4d5e6f)"."""

    before: Any
    after: Any
    more_keys: int = Field(
        default=0, description="For parameters and resource_requirements: keys that differ "
        "beyond the ones listed (at most 8 are)"
    )  # fmt: skip


class TextChange(Model):
    before: str
    after: str


StepField = Literal[
    "name",
    "work_type",
    "agent_type",
    "parameters",
    "estimated_duration",
    "resource_requirements",
    "depends_on",
    "alternatives",
    "estimated_external_ai_calls",
    "position",
]


class StepChange(Model):
    name: str = Field(description="The step's name in this revision")
    changes: dict[StepField, ValueChange] = Field(
        description="Only what changed. parameters, resource_requirements (but the duration, "
        "told as estimated_duration): only the keys that differ, on each side that has them. "
        "depends_on: the names of the steps depended on. position (1-based): only for a step "
        "that moved against the others, not for one shifted by a step added or removed before it"
    )


class PlanDiff(Model):
    """What a revision changed against the plan it replaces: a comparison of the two plans the
    orchestrator returned (shared/plandiff.py)."""

    previous_plan_id: str
    previous_revision: int
    added: list[StepSummary] = Field(default_factory=empty_list)
    removed: list[StepSummary] = Field(default_factory=empty_list)
    changed: list[StepChange] = Field(default_factory=empty_list)
    # The lists are capped so the diff stays small beside the plan stored with it.
    more_added: int = Field(default=0, description="Steps added beyond those listed")
    more_removed: int = Field(default=0, description="Steps removed beyond those listed")
    more_changed: int = Field(default=0, description="Steps changed beyond those listed")
    duration: TextChange | None = Field(default=None, description="None when it reads the same")
    risk: TextChange | None = Field(default=None, description="None when unchanged")


class DashboardPlanView(Model):
    plan_id: str
    request_id: str
    summary: str
    steps: list[dict[str, Any]]
    checklist: str
    estimated_duration: str
    risk_level: Literal["low", "medium", "high"]
    resource_requirements: dict[str, int]
    status: str
    can_approve: bool
    can_modify: bool
    can_abort: bool
    approval_expires_at: datetime | None = Field(
        default=None,
        description="While it waits for approval: when it can no longer be approved; for a plan "
        "that expired (also once rejected or replaced since): when it did",
    )
    expired: bool = Field(
        default=False,
        description="Waited for approval too long: it can no longer be approved, only rejected or "
        "modified (a fresh plan); stays true once it was seen expired",
    )
    revision: int = Field(description="1 for a plan made from a request; +1 per modification")
    previous_plan_id: str | None = Field(default=None, description="The plan this one replaces")
    diff: PlanDiff | None = Field(
        default=None, description="Against the plan this one replaces; None for revision 1"
    )


class ExecutionUpdate(Model):
    plan_id: str
    step_index: int
    step_name: str
    status: StepStatus
    output: str | None = None
    error: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


# Request bodies ---------------------------------------------------------------------------


class CreateSessionRequest(_Strict):
    user_id: UserId | None = None


class ChatRequest(_Strict):
    session_id: IdText
    message: MessageText


class PlanActionRequest(_Strict):
    session_id: IdText
    comment: Comment = Field(
        default=None,
        description="Why (at most 2,000 characters): kept in the history and the audit trail, "
        "and sent to the orchestrator as the decision's notes",
    )


class ModificationRequest(_Strict):
    plan_id: IdText
    session_id: IdText
    user_message: MessageText


# Response bodies --------------------------------------------------------------------------


class ChatResponse(Model):
    messages: list[ChatMessage] = Field(description="The messages this turn added, oldest first")
    plan: DashboardPlanView | None = None
    session_status: SessionStatus


class ApproveResponse(Model):
    status: Literal["approved"]
    execution_started: bool
    plan: DashboardPlanView


class RejectResponse(Model):
    status: Literal["rejected"]


class ModifyResponse(Model):
    new_plan: DashboardPlanView | None
    messages: list[ChatMessage]


class AbortResponse(Model):
    status: Literal["aborted"]
    cancelled_tasks: int
    already_finished_tasks: int


class StatusResponse(Model):
    plan_id: str
    status: str
    steps: list[ExecutionUpdate]
    # When the steps were observed; stale: the last refresh from the orchestrator failed, so
    # these are the steps as they were then.
    observed_at: datetime | None = None
    stale: bool = False


class PollResponse(Model):
    overall_status: str
    steps: list[ExecutionUpdate]
    last_update: datetime  # when the steps were observed
    stale: bool = False  # the last refresh failed: the steps are as observed at last_update


AuditAction = Literal[
    "created",
    "revised",
    "approved",
    "approval_unknown",
    "rejected",
    "aborted",
    "expired",
    "run_finished",
]


class AuditEntry(Model):
    """One record of a plan's audit trail: append-only, never changed."""

    id: str = Field(description="UUID; time-ordered (a ULID in UUID form)")
    plan_id: str
    session_id: str
    action: AuditAction
    actor: str = Field(
        description="The caller's user id, or 'system' for what no person did (an expiry, a run "
        "finishing). An approval whose answer was lost names the person who asked for it, with "
        "their comment, also when the system learned its outcome later (outcome 'untracked: "
        "settled by the system')"
    )
    at: datetime
    comment: str | None = None
    outcome: str | None = Field(
        default=None, description="What the orchestrator confirmed (executing, completed, ...)"
    )
    revision: int | None = None
    previous_plan_id: str | None = None


class AuditTrail(Model):
    plan_id: str
    entries: list[AuditEntry] = Field(description="Oldest first")


class ErrorBody(Model):
    code: str
    message: str


class ErrorResponse(Model):
    error: ErrorBody
