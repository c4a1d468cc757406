"""The SessionStore protocol, and the pieces every implementation shares."""

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from shared.errors import TooLargeToStore
from shared.models import ChatMessage
from shared.store.records import (
    AuditRecord,
    IdempotencyRecord,
    Lease,
    NewAuditEntry,
    NewMessage,
    PlanChanges,
    PlanRecord,
    SessionChanges,
    SessionPage,
    SessionRecord,
    StatusSnapshot,
    StoredPage,
)

if TYPE_CHECKING:
    from ulid import ULID


class SessionStore(Protocol):
    """Sessions, their message history, and the plans made in them.

    Every write that changes a session is conditional on the version the caller read, so two
    racing requests never lose an update: the loser gets `Conflict`. A write that adds messages,
    changes the session and puts or changes a plan happens all at once or not at all.
    """

    def create_session(self, user_id: str) -> SessionRecord: ...

    def get_session(self, session_id: str) -> SessionRecord | None: ...

    def save(
        self,
        session: SessionRecord,
        *,
        changes: SessionChanges | None = None,
        messages: list[NewMessage] | tuple[NewMessage, ...] = (),
        new_plan: PlanRecord | None = None,
        plan_update: tuple[PlanRecord, PlanChanges] | None = None,
        audit: list[NewAuditEntry] | tuple[NewAuditEntry, ...] = (),
    ) -> tuple[SessionRecord, list[ChatMessage]]:
        """Apply `changes` to `session` (as read, at its version), append `messages` and `audit`
        entries (kept for the audit retention from their plan's creation, beyond the session),
        and put `new_plan` or apply a plan update, atomically. Returns the new session and
        messages. Raises Conflict when the session or plan changed since it was read, NotFound
        when gone."""
        ...

    def append_audit(self, entry: NewAuditEntry) -> None:
        """Append one audit entry by itself (never over another): for a decision that stands
        although its session is gone (deleted meanwhile), as the trail outlives the session.
        An entry whose `entry_ulid` is already stored is not written again (a no-op)."""
        ...

    def list_audit(self, plan_id: str) -> list[AuditRecord]:
        """The plan's live audit entries, oldest first (one Query of AUDIT# in its partition).
        They outlive the plan and its session when those are deleted."""
        ...

    def get_audit_entry(self, plan_id: str, entry_ulid: "ULID") -> AuditRecord | None:
        """One live entry of the plan's trail by its ULID (one GetItem): whether an entry whose
        writer chose its id is stored already."""
        ...

    def delete_session(self, session: SessionRecord) -> None:
        """Remove the session, its messages, its plans and their status snapshots, and the answers
        kept about it for Idempotency-Keys, but not the audit entries; the session item goes
        last. The session must be marked `deleting` first (a save), so nothing writes to it
        meanwhile; a call that fails half way is finished by calling again."""
        ...

    def list_messages(
        self, session_id: str, *, limit: int, cursor: str | None = None
    ) -> StoredPage: ...

    def list_sessions(self, user_id: str, *, limit: int, cursor: str | None = None) -> SessionPage:
        """The owner's live sessions, newest activity first, `limit` at most per page (a page
        may hold fewer when expired sessions were left out). Read from the owner index."""
        ...

    def get_plan(self, plan_id: str) -> PlanRecord | None: ...

    def get_plan_with_status(self, plan_id: str) -> tuple[PlanRecord | None, StatusSnapshot | None]:
        """The plan and its status snapshot in one read (one Query of the plan's partition)."""
        ...

    def claim_status_refresh(
        self, plan: PlanRecord, seen: StatusSnapshot | None, lease: Lease
    ) -> bool:
        """Take the refresh of the plan's snapshot: True for the one caller that finds it absent,
        unobserved, older than the lease's interval or observed at another plan version, not
        final, and not leased to another refresher; False for everyone else. `seen`: the
        snapshot as read, kept readable while it is refreshed."""
        ...

    def save_status_snapshot(
        self, snapshot: StatusSnapshot, lease: Lease, expires_at: int, keep_lease: bool = False
    ) -> bool:
        """Write what the refresher holding `lease` observed, and release the lease, or keep it
        to its end (a failed refresh: the next try waits for it). False, and nothing written,
        when the lease was taken over meanwhile."""
        ...

    def claim_idempotency_key(
        self, key: str, fingerprint: str, ttl_seconds: int
    ) -> IdempotencyRecord | None:
        """Record that a request with this key is in progress. Returns None when the claim is
        new, or the existing record (in progress or completed) when the key was seen before."""
        ...

    def complete_idempotency_key(
        self,
        key: str,
        fingerprint: str,
        status: int,
        body: str,
        ttl_seconds: int,
        session_id: str | None = None,
    ) -> bool:
        """Keep the answer under the key. An answer about a session (`session_id`) is deleted
        with the session, and is not kept (False, nothing written) once the session is gone or
        being deleted."""
        ...

    def release_idempotency_key(self, key: str) -> None:
        """Forget a claim whose request failed in a way the client should retry (5xx)."""
        ...

    def ping(self) -> None:
        """One cheap read; StoreUnavailable when the store cannot be reached (readiness)."""
        ...

    def cleanup_expired(self) -> int:
        """Drop expired items where the backend does not do it itself; returns how many."""
        ...


def new_message_id() -> "ULID":
    # Imported on first use: python-ulid reads its package metadata when imported (a few ms),
    # and the sessions function never writes a message.
    from ulid import ULID

    return ULID()


def message_sort_key(message_ulid: "ULID") -> str:
    return f"MSG#{message_ulid}"


def session_activity_key(session: SessionRecord) -> str:
    """The owner index's sort key: the last activity (fixed width, UTC, so text order is time
    order), then the session id, so sessions active in the same microsecond still sort apart."""
    activity = session.last_activity.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{activity}#{session.session_id}"


def audit_sort_key(entry_ulid: "ULID") -> str:
    return f"AUDIT#{entry_ulid}"


def audit_entry_ulid(new: NewAuditEntry) -> "ULID":
    """The ULID its writer chose for the entry (so a retry writes the same item), or a new one."""
    from ulid import ULID

    return ULID.from_str(new.entry_ulid) if new.entry_ulid else ULID()


def build_audit(
    new: NewAuditEntry, entry_ulid: "ULID", timestamp: datetime, retention: timedelta
) -> AuditRecord:
    """Expiring at the plan's creation + `retention`, whenever it is written: a plan's whole
    trail expires together."""
    return AuditRecord(
        id=str(entry_ulid.to_uuid()),
        at=timestamp,
        expires_at=int((new.plan_created_at + retention).timestamp()),
        **new.model_dump(exclude={"plan_created_at", "entry_ulid"}),
    )


def build_message(
    session_id: str, new: NewMessage, message_ulid: "ULID", timestamp: datetime
) -> ChatMessage:
    # The public id is the ULID in UUID form: a valid UUID that still sorts by time.
    return ChatMessage(
        id=str(message_ulid.to_uuid()),
        session_id=session_id,
        role=new.role,
        content=new.content,
        timestamp=timestamp,
        metadata=new.metadata,
    )


def apply_session_changes(
    session: SessionRecord, changes: SessionChanges | None, now: datetime, ttl: timedelta
) -> SessionRecord:
    update: dict = {
        "last_activity": now,
        "version": session.version + 1,
        "expires_at": int((now + ttl).timestamp()),
    }
    if changes is not None:
        for field in (
            "status",
            "current_request_id",
            "current_plan_id",
            "current_plan_created_at",
            "deleting",
        ):
            value = getattr(changes, field)
            if value is not None:
                update[field] = value
        for field in changes.clear:
            update[field] = None
        if "current_plan_id" in changes.clear:
            update["current_plan_created_at"] = None
    return session.model_copy(update=update)


def apply_plan_changes(
    plan: PlanRecord, changes: PlanChanges, expires_at: int | None = None
) -> PlanRecord:
    """`expires_at`: the session's renewed expiry; a plan lives as long as its session, so a
    long-running session never points at an expired plan."""
    update: dict = {"version": plan.version + 1}
    if expires_at is not None:
        update["expires_at"] = expires_at
    update.update(changes.model_dump(exclude_none=True, exclude_unset=True))
    # model_dump turned nested models into dicts; keep the models themselves
    for field in ("dispatched_tasks", "final_steps", "approval_request"):
        if getattr(changes, field) is not None:
            update[field] = getattr(changes, field)
    return plan.model_copy(update=update)


ITEM_LIMIT_BYTES = 400 * 1024  # DynamoDB's largest item, 400 KB: names and values, in UTF-8


def too_large(record: str, size_bytes: int | None = None) -> TooLargeToStore:
    """The refusal of a record over the item limit, saying what it was and how large."""
    size = f"about {math.ceil(size_bytes / 1024)} KB; " if size_bytes else ""
    return TooLargeToStore(
        f"The {record} is too large to store ({size}the session store keeps at most 400 KB a "
        "record).",
        record=record,
        size_bytes=size_bytes,
    )
