"""What the store keeps. Internal records (with version and expiry), not the public models."""

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator

from shared.models import (
    AuditAction,
    AuditEntry,
    ChatMessage,
    ExecutionUpdate,
    Model,
    PlanDiff,
    Role,
    SessionStatus,
    empty_list,
)

# The plan's own lifecycle as this service tracks it. `approving` marks an approval claimed
# here whose orchestrator call has not finished yet.
PlanState = Literal[
    "pending_approval",
    "approving",
    "executing",
    "completed",  # the run finished and every step completed
    "failed",  # the run finished with at least one failed step
    "rejected",
    "aborted",
    "superseded",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def expiry(ttl: timedelta, now: datetime | None = None) -> int:
    return int(((now or utcnow()) + ttl).timestamp())


class SessionRecord(Model):
    session_id: str
    user_id: str
    status: SessionStatus = "idle"
    created_at: datetime
    last_activity: datetime
    current_request_id: str | None = None
    current_plan_id: str | None = None
    # When the current plan was made: its approval deadline counts from it (services/expiry.py),
    # so the sessions list can say a plan expired without reading the plan.
    current_plan_created_at: datetime | None = None
    # Being deleted (DELETE /session): gone for every request but the delete that finishes it.
    deleting: bool = False
    version: int = 1
    expires_at: int


class DispatchedTask(Model):
    """One entry of the approve answer's dispatched_tasks, kept because it is given only once."""

    order: int
    name: str
    task_id: str | None = None  # None when the orchestrator could not dispatch this task
    error: str | None = None


class ApprovalRequest(Model):
    """Who asked for an approval, and why: kept by its claim, before the orchestrator is called,
    so an approval whose request was cut off is still credited to them when it is settled."""

    actor: str
    comment: str | None = None


class PlanRecord(Model):
    plan_id: str
    session_id: str
    user_id: str
    request_id: str
    # The person's first request and the changes asked since, in order: the context a
    # modification request must carry (the orchestrator has no modify endpoint).
    original_request: str
    modifications: list[str] = Field(default_factory=empty_list)
    # A modification makes a new plan: revision + 1, linked to the plan it replaces, with the
    # diff against it computed then (the plan view never reads the previous plan).
    revision: int = 1
    previous_plan_id: str | None = None
    diff: PlanDiff | None = None
    state: PlanState = "pending_approval"
    # The plan exactly as GET /api/v1/plan/{request_id} returned it (tasks, summary, complexity).
    plan: dict[str, Any]
    dispatched_tasks: list[DispatchedTask] = Field(default_factory=empty_list)
    # How the approval went: "executing" (tasks dispatched), "paused" (agents lacked capacity)
    # or "untracked" (approved, but the answer with the task ids was lost).
    dispatch_status: str | None = None
    # The steps as they ended, kept when the run finishes: a finished run's outcome never
    # changes afterwards (the orchestrator forgets tasks when it restarts).
    final_steps: list[ExecutionUpdate] | None = None
    created_at: datetime
    approved_at: datetime | None = None
    # When an approval first found it expired (APPROVAL_TTL_SECONDS): recorded once, with its
    # audit entry, by the write that sets this.
    expired_at: datetime | None = None
    # The last approval claimed on it (replaced whole by the next claim).
    approval_request: ApprovalRequest | None = None
    version: int = 1
    expires_at: int


class NewMessage(Model):
    role: Role
    content: str
    metadata: dict[str, Any] | None = None


class SessionChanges(Model):
    """Fields a use case may change on a session; None means 'leave as is' except where listed."""

    status: SessionStatus | None = None
    current_request_id: str | None = None
    current_plan_id: str | None = None
    current_plan_created_at: datetime | None = None  # given with current_plan_id, always
    deleting: bool | None = None
    # Names of optional fields to clear (set to None), since None above means 'unchanged'; the
    # current plan's creation goes with its id.
    clear: frozenset[Literal["current_request_id", "current_plan_id"]] = frozenset()

    @model_validator(mode="after")
    def _plan_with_its_creation(self) -> "SessionChanges":
        # The sessions list says when the plan under review expires from its creation: a plan
        # id set without it would leave the previous plan's there.
        if (self.current_plan_id is None) != (self.current_plan_created_at is None):
            raise ValueError("current_plan_id and current_plan_created_at go together")
        return self


class PlanChanges(Model):
    state: PlanState | None = None
    dispatched_tasks: list[DispatchedTask] | None = None
    dispatch_status: str | None = None
    final_steps: list[ExecutionUpdate] | None = None
    approved_at: datetime | None = None
    expired_at: datetime | None = None
    approval_request: ApprovalRequest | None = None


class NewAuditEntry(Model):
    """An entry to append to a plan's audit trail; the store gives it its id, time and expiry
    (the plan's creation + the audit retention: every entry of a plan expires together)."""

    plan_id: str
    plan_created_at: datetime
    session_id: str
    user_id: str  # the plan's owner: the trail stays readable, owner-scoped, after a delete
    action: AuditAction
    actor: str
    comment: str | None = None
    outcome: str | None = None
    revision: int | None = None
    previous_plan_id: str | None = None
    # The entry's ULID (its item's AUDIT#<ulid> key; the stored AuditEntry.id is the same ULID
    # in UUID form), when its writer chose it before the first try: every retry (and a
    # fallback write) then writes the same item, and a repeat of one that went through is a
    # no-op. None: the store picks one.
    entry_ulid: str | None = None


class AuditRecord(AuditEntry):
    """A stored audit entry, with its owner and expiry."""

    user_id: str
    expires_at: int


class StoredPage(Model):
    messages: list[ChatMessage]  # newest first, as read
    next_cursor: str | None = None


class SessionPage(Model):
    sessions: list[SessionRecord]  # newest activity first
    next_cursor: str | None = None


class IdempotencyRecord(Model):
    """The first answer to a request sent with an Idempotency-Key, kept to answer repeats."""

    key: str  # the caller's identity and the header value, scoped so callers cannot collide
    fingerprint: str  # a hash of method, path and body: the same key with another body is refused
    status: Literal["in_progress", "completed"]
    response_status: int | None = None
    response_body: str | None = None
    expires_at: int


class Lease(Model):
    """A refresher's hold on a plan's status snapshot, taken at `taken_at` for `interval`."""

    token: str
    taken_at: datetime
    interval: timedelta

    @property
    def until(self) -> datetime:
        return self.taken_at + self.interval


class StatusSnapshot(Model):
    """A running plan's last observed steps, shared by every container (PLAN#<id>/STATUS): polls
    answer from it, and one request per poll interval (the one whose conditional claim wins)
    refreshes it from the orchestrator."""

    plan_id: str
    plan_version: int = 0  # the plan's version when observed
    steps: list[ExecutionUpdate] | None = None  # None: claimed, never observed yet
    observed_at: datetime | None = None
    stale: bool = False  # the last refresh failed: the steps are as observed at observed_at
    final: bool = False  # observed after the run ended (aborted): never refreshed again
