"""In-memory SessionStore: for use-case tests and a zero-setup local fallback.

Each method holds one lock for the whole call, so every call is atomic across the threads that
serve requests, which gives the same all-or-nothing and conditional-write behaviour as the
DynamoDB store.
"""

import bisect
import functools
import threading
import uuid
from datetime import datetime, timedelta

from shared.errors import ConcurrentChange, Conflict
from shared.models import ChatMessage, Model
from shared.store.base import (
    ITEM_LIMIT_BYTES,
    apply_plan_changes,
    apply_session_changes,
    audit_entry_ulid,
    audit_sort_key,
    build_audit,
    build_message,
    message_sort_key,
    new_message_id,
    session_activity_key,
    too_large,
)
from shared.store.cursor import decode_cursor, decode_session_cursor, encode_cursor
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
    expiry,
    utcnow,
)


def _refuse_if_too_large(record: str, stored: Model) -> None:
    """DynamoDB's 400 KB item limit, held here too so both stores refuse the same plans: the
    record as JSON is about the size of its item (a plan is stored there as JSON text)."""
    size = len(stored.model_dump_json().encode())
    if size > ITEM_LIMIT_BYTES:
        raise too_large(record, size)


def _plan_name(plan: PlanRecord) -> str:
    return "plan with its revision diff" if plan.diff is not None else "plan"


def _atomic(method):
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


class InMemorySessionStore:
    def __init__(
        self, ttl: timedelta = timedelta(days=7), audit_retention: timedelta = timedelta(days=90)
    ):
        self._ttl = ttl
        self._audit_retention = audit_retention
        self._lock = threading.RLock()  # re-entrant: save reads the session it changes
        self._sessions: dict[str, SessionRecord] = {}
        # Per session: sort keys in order, and the message with its expiry under each key.
        self._message_keys: dict[str, list[str]] = {}
        self._messages: dict[str, dict[str, tuple[ChatMessage, int]]] = {}
        self._plans: dict[str, PlanRecord] = {}
        self._idempotency: dict[str, IdempotencyRecord] = {}
        # Per session: the keys of the answers kept about it (deleted with it).
        self._answers_about: dict[str, set[str]] = {}
        # Per plan: its status snapshot, the refresh lease (token, until) and the expiry.
        self._snapshots: dict[str, tuple[StatusSnapshot, str | None, datetime | None, int]] = {}
        # Per plan: its audit entries by sort key, each with its expiry.
        self._audit: dict[str, dict[str, tuple[AuditRecord, int]]] = {}

    @staticmethod
    def _live(expires_at: int) -> bool:
        return expires_at > utcnow().timestamp()

    @_atomic
    def create_session(self, user_id: str) -> SessionRecord:
        now = utcnow()
        record = SessionRecord(
            session_id=str(uuid.uuid4()),
            user_id=user_id,
            created_at=now,
            last_activity=now,
            expires_at=expiry(self._ttl, now),
        )
        self._sessions[record.session_id] = record
        self._message_keys[record.session_id] = []
        self._messages[record.session_id] = {}
        return record

    @_atomic
    def get_session(self, session_id: str) -> SessionRecord | None:
        record = self._sessions.get(session_id)
        return record if record is not None and self._live(record.expires_at) else None

    @_atomic
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
        # DynamoDB refuses an item over its limit before it checks a condition; so does this.
        # Sessions and audit entries are small whatever a plan holds: not measured.
        for new in messages:
            _refuse_if_too_large("message", new)
        if new_plan is not None:
            _refuse_if_too_large(_plan_name(new_plan), new_plan)
        if plan_update is not None:
            _refuse_if_too_large(_plan_name(plan_update[0]), apply_plan_changes(*plan_update))
        # Check every condition first, then write: all or nothing.
        current = self.get_session(session.session_id)
        if current is None or current.version != session.version:
            raise ConcurrentChange("The session changed while this request was being handled.")
        if new_plan is not None and new_plan.plan_id in self._plans:
            raise Conflict("A plan with this id is already stored.")
        if plan_update is not None:
            stored = self._plans.get(plan_update[0].plan_id)
            if stored is None or stored.version != plan_update[0].version:
                raise ConcurrentChange("The plan changed while this request was being handled.")
        keyed = [(new, audit_entry_ulid(new)) for new in audit]
        if any(self._audit_exists(new.plan_id, ulid) for new, ulid in keyed):
            raise ConcurrentChange("This audit entry is already stored.")

        now = utcnow()
        updated = apply_session_changes(current, changes, now, self._ttl)
        self._sessions[updated.session_id] = updated
        added = []
        for new in messages:
            message_ulid = new_message_id()
            key = message_sort_key(message_ulid)
            message = build_message(session.session_id, new, message_ulid, now)
            bisect.insort(self._message_keys[session.session_id], key)
            self._messages[session.session_id][key] = (message, expiry(self._ttl, now))
            added.append(message)
        if new_plan is not None:
            self._plans[new_plan.plan_id] = new_plan.model_copy(
                update={"expires_at": updated.expires_at}
            )
        if plan_update is not None:
            plan, plan_changes = plan_update
            self._plans[plan.plan_id] = apply_plan_changes(plan, plan_changes, updated.expires_at)
        for new, entry_ulid in keyed:
            trail = self._audit.setdefault(new.plan_id, {})
            entry = build_audit(new, entry_ulid, now, self._audit_retention)
            trail[audit_sort_key(entry_ulid)] = (entry, entry.expires_at)
        return updated, added

    def _audit_exists(self, plan_id: str, entry_ulid) -> bool:
        return audit_sort_key(entry_ulid) in self._audit.get(plan_id, {})

    @_atomic
    def append_audit(self, entry: NewAuditEntry) -> None:
        entry_ulid = audit_entry_ulid(entry)
        if self._audit_exists(entry.plan_id, entry_ulid):
            return  # written before (a retry of one that went through)
        record = build_audit(entry, entry_ulid, utcnow(), self._audit_retention)
        trail = self._audit.setdefault(entry.plan_id, {})
        trail[audit_sort_key(entry_ulid)] = (record, record.expires_at)

    @_atomic
    def list_audit(self, plan_id: str) -> list[AuditRecord]:
        trail = self._audit.get(plan_id, {})
        return [trail[key][0] for key in sorted(trail) if self._live(trail[key][1])]

    @_atomic
    def get_audit_entry(self, plan_id: str, entry_ulid) -> AuditRecord | None:
        stored = self._audit.get(plan_id, {}).get(audit_sort_key(entry_ulid))
        return stored[0] if stored and self._live(stored[1]) else None

    @_atomic
    def delete_session(self, session: SessionRecord) -> None:
        for plan_id in [p for p, r in self._plans.items() if r.session_id == session.session_id]:
            del self._plans[plan_id]
            self._snapshots.pop(plan_id, None)  # the audit entries stay
        for key in self._answers_about.pop(session.session_id, set()):
            self._idempotency.pop(key, None)
        self._messages.pop(session.session_id, None)
        self._message_keys.pop(session.session_id, None)
        self._sessions.pop(session.session_id, None)

    @_atomic
    def list_messages(
        self, session_id: str, *, limit: int, cursor: str | None = None
    ) -> StoredPage:
        keys = self._message_keys.get(session_id, [])
        end = bisect.bisect_left(keys, decode_cursor(cursor)) if cursor else len(keys)
        start = max(0, end - limit)
        page_keys = keys[start:end][::-1]  # newest first, like a descending Query
        stored = self._messages[session_id] if page_keys else {}
        page = [stored[k][0] for k in page_keys if self._live(stored[k][1])]
        next_cursor = encode_cursor(page_keys[-1]) if start > 0 else None
        return StoredPage(messages=page, next_cursor=next_cursor)

    @_atomic
    def list_sessions(self, user_id: str, *, limit: int, cursor: str | None = None) -> SessionPage:
        after = decode_session_cursor(cursor) if cursor else None
        keyed = sorted(
            (
                (session_activity_key(record), record)
                for record in self._sessions.values()
                if record.user_id == user_id and self._live(record.expires_at)
            ),
            key=lambda pair: pair[0],
            reverse=True,  # newest first, like a descending Query of the owner index
        )
        if after is not None:
            keyed = [pair for pair in keyed if pair[0] < after]
        page = keyed[:limit]
        next_cursor = encode_cursor(page[-1][0]) if len(keyed) > limit else None
        return SessionPage(sessions=[record for _, record in page], next_cursor=next_cursor)

    @_atomic
    def get_plan(self, plan_id: str) -> PlanRecord | None:
        plan = self._plans.get(plan_id)
        return plan if plan is not None and self._live(plan.expires_at) else None

    @_atomic
    def get_plan_with_status(self, plan_id: str) -> tuple[PlanRecord | None, StatusSnapshot | None]:
        held = self._snapshots.get(plan_id)
        snapshot = held[0] if held is not None and self._live(held[3]) else None
        return self.get_plan(plan_id), snapshot

    @_atomic
    def claim_status_refresh(
        self, plan: PlanRecord, seen: StatusSnapshot | None, lease: Lease
    ) -> bool:
        held = self._snapshots.get(plan.plan_id)
        if held is not None and self._live(held[3]):
            snapshot, _, lease_until, _ = held
            observed = snapshot.observed_at
            recent = observed is not None and observed >= lease.taken_at - lease.interval
            if snapshot.final or (recent and snapshot.plan_version == plan.version):
                return False
            if lease_until is not None and lease_until >= lease.taken_at:
                return False
        else:
            snapshot = seen or StatusSnapshot(plan_id=plan.plan_id)
        self._snapshots[plan.plan_id] = (snapshot, lease.token, lease.until, plan.expires_at)
        return True

    @_atomic
    def save_status_snapshot(
        self, snapshot: StatusSnapshot, lease: Lease, expires_at: int, keep_lease: bool = False
    ) -> bool:
        held = self._snapshots.get(snapshot.plan_id)
        if held is None or held[1] != lease.token:
            return False
        until = lease.until if keep_lease else None
        self._snapshots[snapshot.plan_id] = (snapshot, lease.token, until, expires_at)
        return True

    @_atomic
    def claim_idempotency_key(
        self, key: str, fingerprint: str, ttl_seconds: int
    ) -> IdempotencyRecord | None:
        existing = self._idempotency.get(key)
        if existing is not None and self._live(existing.expires_at):
            return existing
        self._idempotency[key] = IdempotencyRecord(
            key=key, fingerprint=fingerprint, status="in_progress",
            expires_at=expiry(timedelta(seconds=ttl_seconds)),
        )  # fmt: skip
        return None

    @_atomic
    def complete_idempotency_key(
        self,
        key: str,
        fingerprint: str,
        status: int,
        body: str,
        ttl_seconds: int,
        session_id: str | None = None,
    ) -> bool:
        if session_id is not None:
            session = self.get_session(session_id)
            if session is None or session.deleting:
                return False
            self._answers_about.setdefault(session_id, set()).add(key)
        self._idempotency[key] = IdempotencyRecord(
            key=key, fingerprint=fingerprint, status="completed", response_status=status,
            response_body=body, expires_at=expiry(timedelta(seconds=ttl_seconds)),
        )  # fmt: skip
        return True

    @_atomic
    def release_idempotency_key(self, key: str) -> None:
        self._idempotency.pop(key, None)

    def ping(self) -> None:
        return None  # in this process: always there

    @_atomic
    def cleanup_expired(self) -> int:
        removed = 0
        for session_id in [s for s, r in self._sessions.items() if not self._live(r.expires_at)]:
            del self._sessions[session_id]
            removed += 1 + len(self._messages.pop(session_id, {}))
            self._message_keys.pop(session_id, None)
        for session_id, stored in self._messages.items():
            for key in [k for k, (_, exp) in stored.items() if not self._live(exp)]:
                del stored[key]
                self._message_keys[session_id].remove(key)
                removed += 1
        for plan_id in [p for p, r in self._plans.items() if not self._live(r.expires_at)]:
            del self._plans[plan_id]
            removed += 1
        for plan_id in [p for p, held in self._snapshots.items() if not self._live(held[3])]:
            del self._snapshots[plan_id]
            removed += 1
        for trail in self._audit.values():
            for key in [k for k, (_, exp) in trail.items() if not self._live(exp)]:
                del trail[key]
                removed += 1
        return removed
