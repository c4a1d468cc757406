"""DynamoDB single-table SessionStore.

| item    | PK                    | SK          |
| session | SESSION#<session_id>  | META        |
| message | SESSION#<session_id>  | MSG#<ulid>  |
| plan    | PLAN#<plan_id>        | META        |
| status  | PLAN#<plan_id>        | STATUS      |
| audit   | PLAN#<plan_id>        | AUDIT#<ulid>|
| link    | SESSION#<session_id>  | PLAN#<id>   |
| answer  | IDEMPOTENCY#<key>     | META        |
| pointer | SESSION#<session_id>  | IDEM#<key>  |

Session items also carry the keys of the owner index (template.yaml), which lists a person's
sessions newest activity first: `session_owner` (the user id) and `session_activity` (the last
activity, then the session id). Only session items have them, so only sessions are in it.

Messages are items of their own so a history is never bounded by the 400 KB item limit.
Every session change is a Put conditioned on the version that was read; a change that also adds
messages or touches a plan is one TransactWriteItems. Reads never Scan.

A plan's audit entries sit in its partition too (append-only Puts, each carrying the owner), so
they outlive the plan item and the session when those are deleted. A session lists its plans by
link items in its own partition, written (and renewed) with each write of the plan, so deleting
a session finds every plan of it with the one Query that finds its messages (plans stored
before link items existed are found there too, by the plan ids in its messages' metadata), and
the answers kept for Idempotency-Keys of requests about it, by pointer items written with them.

A running plan's status snapshot sits in the plan's partition, so a poll reads the plan and its
snapshot with one Query; the refresher claims it with a conditional Put (a lease, the last
observation kept in it) and writes what it observed with a second, conditional on still holding
the lease.
"""

import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.errors import ConcurrentChange, StoreUnavailable, TooLargeToStore
from shared.models import ChatMessage, PlanDiff
from shared.store.base import (
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
    ApprovalRequest,
    AuditRecord,
    DispatchedTask,
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

logger = logging.getLogger(__name__)

# The owner index: a person's sessions, newest activity first (a GSI in template.yaml).
OWNER_INDEX = "SessionsByOwner"
OWNER_KEY = "session_owner"
ACTIVITY_KEY = "session_activity"

BATCH_WRITE_LIMIT = 25  # DynamoDB's most requests in one BatchWriteItem
BATCH_ATTEMPTS = 4

_UNAVAILABLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "ResourceNotFoundException",  # the table is missing: an operator's problem, not the caller's
}


def _s(value: str) -> dict:
    return {"S": value}


def _n(value: int) -> dict:
    return {"N": str(value)}


def _session_key(session_id: str) -> dict:
    return {"PK": _s(f"SESSION#{session_id}"), "SK": _s("META")}


def _plan_key(plan_id: str) -> dict:
    return {"PK": _s(f"PLAN#{plan_id}"), "SK": _s("META")}


def _optional(item: dict, name: str, value: str | None) -> None:
    if value is not None:
        item[name] = _s(value)


def _session_item(record: SessionRecord) -> dict:
    item = {
        **_session_key(record.session_id),
        "session_id": _s(record.session_id),
        "user_id": _s(record.user_id),
        "status": _s(record.status),
        "created_at": _s(record.created_at.isoformat()),
        "last_activity": _s(record.last_activity.isoformat()),
        "version": _n(record.version),
        "expires_at": _n(record.expires_at),
        # Every write of a session puts the whole item, so the index keys follow each change.
        OWNER_KEY: _s(record.user_id),
        ACTIVITY_KEY: _s(session_activity_key(record)),
    }
    _optional(item, "current_request_id", record.current_request_id)
    _optional(item, "current_plan_id", record.current_plan_id)
    if record.current_plan_created_at is not None:
        item["current_plan_created_at"] = _s(record.current_plan_created_at.isoformat())
    if record.deleting:
        item["deleting"] = {"BOOL": True}
    return item


def _session_from_item(item: dict) -> SessionRecord:
    plan_created = item.get("current_plan_created_at")  # not on sessions written before it was
    return SessionRecord(
        session_id=item["session_id"]["S"],
        user_id=item["user_id"]["S"],
        status=item["status"]["S"],
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        last_activity=datetime.fromisoformat(item["last_activity"]["S"]),
        current_request_id=item.get("current_request_id", {}).get("S"),
        current_plan_id=item.get("current_plan_id", {}).get("S"),
        current_plan_created_at=datetime.fromisoformat(plan_created["S"]) if plan_created else None,
        deleting=item.get("deleting", {}).get("BOOL", False),
        version=int(item["version"]["N"]),
        expires_at=int(item["expires_at"]["N"]),
    )


def _message_item(message: ChatMessage, sort_key: str, expires_at: int) -> dict:
    item = {
        "PK": _s(f"SESSION#{message.session_id}"),
        "SK": _s(sort_key),
        "id": _s(message.id),
        "role": _s(message.role),
        "content": _s(message.content),
        "timestamp": _s(message.timestamp.isoformat()),
        "expires_at": _n(expires_at),
    }
    if message.metadata:
        item["metadata"] = _s(json.dumps(message.metadata, separators=(",", ":")))
    return item


def _message_from_item(item: dict, session_id: str) -> ChatMessage:
    metadata = item.get("metadata")
    return ChatMessage(
        id=item["id"]["S"],
        session_id=session_id,
        role=item["role"]["S"],
        content=item["content"]["S"],
        timestamp=datetime.fromisoformat(item["timestamp"]["S"]),
        metadata=json.loads(metadata["S"]) if metadata else None,
    )


def _plan_item(plan: PlanRecord) -> dict:
    # The orchestrator's plan is kept as JSON text: it has floats and free-form parameters that
    # DynamoDB's number type would not round-trip, and it is only ever read whole.
    item = {
        **_plan_key(plan.plan_id),
        "plan_id": _s(plan.plan_id),
        "session_id": _s(plan.session_id),
        "user_id": _s(plan.user_id),
        "request_id": _s(plan.request_id),
        "original_request": _s(plan.original_request),
        "modifications": _s(json.dumps(plan.modifications)),
        "revision": _n(plan.revision),
        "state": _s(plan.state),
        "plan": _s(json.dumps(plan.plan, separators=(",", ":"))),
        "dispatched_tasks": _s(
            json.dumps([t.model_dump() for t in plan.dispatched_tasks], separators=(",", ":"))
        ),
        "created_at": _s(plan.created_at.isoformat()),
        "version": _n(plan.version),
        "expires_at": _n(plan.expires_at),
    }
    _optional(item, "previous_plan_id", plan.previous_plan_id)
    if plan.diff is not None:
        item["diff"] = _s(plan.diff.model_dump_json())
    if plan.approved_at is not None:
        item["approved_at"] = _s(plan.approved_at.isoformat())
    if plan.expired_at is not None:
        item["expired_at"] = _s(plan.expired_at.isoformat())
    if plan.approval_request is not None:
        item["approval_request"] = _s(plan.approval_request.model_dump_json())
    if plan.dispatch_status is not None:
        item["dispatch_status"] = _s(plan.dispatch_status)
    if plan.final_steps is not None:
        steps = [s.model_dump(mode="json") for s in plan.final_steps]
        item["final_steps"] = _s(json.dumps(steps, separators=(",", ":")))
    return item


def _plan_from_item(item: dict) -> PlanRecord:
    approved_at = item.get("approved_at")
    expired_at = item.get("expired_at")
    approval = item.get("approval_request")
    return PlanRecord(
        plan_id=item["plan_id"]["S"],
        session_id=item["session_id"]["S"],
        user_id=item["user_id"]["S"],
        request_id=item["request_id"]["S"],
        original_request=item["original_request"]["S"],
        modifications=json.loads(item["modifications"]["S"]),
        # Plans stored before revisions existed have neither: revision 1, no diff.
        revision=int(item.get("revision", {}).get("N", 1)),
        previous_plan_id=item.get("previous_plan_id", {}).get("S"),
        diff=PlanDiff.model_validate_json(item["diff"]["S"]) if "diff" in item else None,
        state=item["state"]["S"],
        plan=json.loads(item["plan"]["S"]),
        dispatched_tasks=[DispatchedTask(**t) for t in json.loads(item["dispatched_tasks"]["S"])],
        dispatch_status=item.get("dispatch_status", {}).get("S"),
        final_steps=json.loads(item["final_steps"]["S"]) if "final_steps" in item else None,
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        approved_at=datetime.fromisoformat(approved_at["S"]) if approved_at else None,
        expired_at=datetime.fromisoformat(expired_at["S"]) if expired_at else None,
        approval_request=ApprovalRequest.model_validate_json(approval["S"]) if approval else None,
        version=int(item["version"]["N"]),
        expires_at=int(item["expires_at"]["N"]),
    )


def _plan_id_of(message_item: dict) -> str | None:
    """The plan a stored message is about, per its metadata (the chat's reply with a plan and
    the replies about a plan carry `plan_id`)."""
    metadata = message_item.get("metadata")
    plan_id = json.loads(metadata["S"]).get("plan_id") if metadata else None
    return plan_id if isinstance(plan_id, str) else None


def _plan_link_item(plan: PlanRecord, expires_at: int) -> dict:
    """The session's pointer to one of its plans: it lives as long as the plan item does."""
    return {
        "PK": _s(f"SESSION#{plan.session_id}"),
        "SK": _s(f"PLAN#{plan.plan_id}"),
        "plan_id": _s(plan.plan_id),
        "expires_at": _n(expires_at),
    }


def _audit_item(entry: AuditRecord, sort_key: str) -> dict:
    item = {
        "PK": _s(f"PLAN#{entry.plan_id}"),
        "SK": _s(sort_key),
        "id": _s(entry.id),
        "session_id": _s(entry.session_id),
        "user_id": _s(entry.user_id),
        "action": _s(entry.action),
        "actor": _s(entry.actor),
        "at": _s(entry.at.isoformat()),
        "expires_at": _n(entry.expires_at),
    }
    _optional(item, "comment", entry.comment)
    _optional(item, "outcome", entry.outcome)
    _optional(item, "previous_plan_id", entry.previous_plan_id)
    if entry.revision is not None:
        item["revision"] = _n(entry.revision)
    return item


def _audit_from_item(item: dict, plan_id: str) -> AuditRecord:
    return AuditRecord(
        id=item["id"]["S"],
        plan_id=plan_id,
        session_id=item["session_id"]["S"],
        user_id=item["user_id"]["S"],
        action=item["action"]["S"],
        actor=item["actor"]["S"],
        at=datetime.fromisoformat(item["at"]["S"]),
        comment=item.get("comment", {}).get("S"),
        outcome=item.get("outcome", {}).get("S"),
        revision=int(item["revision"]["N"]) if "revision" in item else None,
        previous_plan_id=item.get("previous_plan_id", {}).get("S"),
        expires_at=int(item["expires_at"]["N"]),
    )


def _status_key(plan_id: str) -> dict:
    return {"PK": _s(f"PLAN#{plan_id}"), "SK": _s("STATUS")}


def _ms(moment: datetime) -> dict:
    return _n(int(moment.timestamp() * 1000))


_STATUS_FIELDS = (
    "expires_at",
    "observed_at_ms",
    "plan_version",
    "lease_until_ms",
    "final",
    "lease_token",
)


def _snapshot_item(snapshot: StatusSnapshot, expires_at: int) -> dict:
    item = {
        **_status_key(snapshot.plan_id),
        "plan_version": _n(snapshot.plan_version),
        "stale": {"BOOL": snapshot.stale},
        "final": {"BOOL": snapshot.final},
        "expires_at": _n(expires_at),
    }
    if snapshot.steps is not None:
        steps = [s.model_dump(mode="json") for s in snapshot.steps]
        item["steps"] = _s(json.dumps(steps, separators=(",", ":")))
    if snapshot.observed_at is not None:
        item["observed_at_ms"] = _ms(snapshot.observed_at)
    return item


def _snapshot_from_item(plan_id: str, item: dict) -> StatusSnapshot:
    observed = item.get("observed_at_ms")
    return StatusSnapshot(
        plan_id=plan_id,
        plan_version=int(item.get("plan_version", {}).get("N", 0)),
        steps=json.loads(item["steps"]["S"]) if "steps" in item else None,
        observed_at=(datetime.fromtimestamp(int(observed["N"]) / 1000, UTC) if observed else None),
        stale=item.get("stale", {}).get("BOOL", False),
        final=item.get("final", {}).get("BOOL", False),
    )


IDEMPOTENCY_POINTER = "IDEM#"  # SESSION#<id>/IDEM#<key>: an answer kept about the session


def _idempotency_key(key: str) -> dict:
    return {"PK": _s(f"IDEMPOTENCY#{key}"), "SK": _s("META")}


def _idempotency_from_item(key: str, item: dict) -> IdempotencyRecord:
    return IdempotencyRecord(
        key=key,
        fingerprint=item["fingerprint"]["S"],
        status=item["status"]["S"],
        response_status=int(item["response_status"]["N"]) if "response_status" in item else None,
        response_body=item.get("response_body", {}).get("S"),
        expires_at=int(item["expires_at"]["N"]),
    )


def _item_too_large(error: ClientError) -> bool:
    """DynamoDB tells an item over 400 KB only in words: a ValidationException "Item size has
    exceeded the maximum allowed size" (or "Item size to update has exceeded..."), or, inside
    a transaction, a cancellation reason ValidationError saying the same."""
    raised = error.response.get("Error", {})
    said = [(raised.get("Code"), raised.get("Message"))]
    said += [
        (r.get("Code"), r.get("Message")) for r in error.response.get("CancellationReasons", [])
    ]
    return any(
        code in ("ValidationException", "ValidationError")
        and "item size" in (message or "").lower()
        for code, message in said
    )


def _item_size(item: dict) -> int:
    """An item's size as DynamoDB counts it against 400 KB: each attribute's name and value in
    UTF-8 (a number counted by its digits, a little over what DynamoDB counts)."""
    return sum(
        len(name.encode()) + len(str(next(iter(value.values()))).encode())
        for name, value in item.items()
    )


def _item_name(item: dict) -> str:
    """What an item of the table holds, in words (see the module's table)."""
    partition, sort = item["PK"]["S"], item["SK"]["S"]
    if sort.startswith("MSG#"):
        return "message"
    if sort.startswith("AUDIT#"):
        return "audit entry"
    if sort.startswith("PLAN#"):
        return "plan link"
    if partition.startswith("PLAN#"):
        return "plan with its revision diff" if "diff" in item else "plan"
    return "session"


def _store_error(error: Exception) -> Exception:
    """Map a botocore failure to the domain error the HTTP edge understands."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if _item_too_large(error):
            return too_large("record")
        if code == "ConditionalCheckFailedException":
            return ConcurrentChange("The session changed while this request was being handled.")
        if code == "TransactionCanceledException":
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                return ConcurrentChange("The session changed while this request was being handled.")
            logger.warning("dynamodb transaction cancelled: %s", reasons)
            return StoreUnavailable("The session store is busy; try again shortly.")
        if code == "TransactionConflictException":
            return ConcurrentChange("The session changed while this request was being handled.")
        if code in _UNAVAILABLE_CODES:
            logger.warning("dynamodb unavailable: %s", code)
            return StoreUnavailable("The session store is busy; try again shortly.")
    logger.error("dynamodb call failed", exc_info=error)
    return StoreUnavailable("The session store cannot be reached; try again shortly.")


class DynamoDBSessionStore:
    def __init__(
        self,
        client: Any,
        table_name: str,
        ttl: timedelta = timedelta(days=7),
        audit_retention: timedelta = timedelta(days=90),
    ):
        self._client = client
        self._table = table_name
        self._ttl = ttl
        self._audit_retention = audit_retention

    def _call(self, operation: str, **kwargs: Any) -> dict:
        try:
            return getattr(self._client, operation)(**kwargs)
        except (ClientError, BotoCoreError) as error:
            raise _store_error(error) from error

    @staticmethod
    def _live(item: dict) -> bool:
        # TTL deletion lags by up to days: an expired item that is still there counts as absent.
        return int(item["expires_at"]["N"]) > utcnow().timestamp()

    def create_session(self, user_id: str) -> SessionRecord:
        now = utcnow()
        record = SessionRecord(
            session_id=str(uuid.uuid4()),
            user_id=user_id,
            created_at=now,
            last_activity=now,
            expires_at=expiry(self._ttl, now),
        )
        self._call(
            "put_item",
            TableName=self._table,
            Item=_session_item(record),
            ConditionExpression="attribute_not_exists(PK)",
        )
        return record

    def get_session(self, session_id: str) -> SessionRecord | None:
        answer = self._call(
            "get_item", TableName=self._table, Key=_session_key(session_id), ConsistentRead=True
        )
        item = answer.get("Item")
        return _session_from_item(item) if item and self._live(item) else None

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
        now = utcnow()
        updated = apply_session_changes(session, changes, now, self._ttl)
        session_put = {
            "TableName": self._table,
            "Item": _session_item(updated),
            "ConditionExpression": "#v = :expected",
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": {":expected": _n(session.version)},
        }
        writes: list[dict] = [{"Put": session_put}]
        added: list[ChatMessage] = []
        message_expiry = expiry(self._ttl, now)
        for new in messages:
            # python-ulid's default generator is monotonic, so messages of one turn keep order.
            message_ulid = new_message_id()
            message = build_message(session.session_id, new, message_ulid, now)
            added.append(message)
            item = _message_item(message, message_sort_key(message_ulid), message_expiry)
            writes.append({"Put": {"TableName": self._table, "Item": item}})
        if new_plan is not None:
            writes.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _plan_item(
                            new_plan.model_copy(update={"expires_at": updated.expires_at})
                        ),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
            )
            link = _plan_link_item(new_plan, updated.expires_at)
            writes.append({"Put": {"TableName": self._table, "Item": link}})
        if plan_update is not None:
            plan, plan_changes = plan_update
            # The plan lives on with the session: so does the session's link to it.
            link = _plan_link_item(plan, updated.expires_at)
            writes.append({"Put": {"TableName": self._table, "Item": link}})
            writes.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _plan_item(
                            apply_plan_changes(plan, plan_changes, updated.expires_at)
                        ),
                        "ConditionExpression": "#v = :expected",
                        "ExpressionAttributeNames": {"#v": "version"},
                        "ExpressionAttributeValues": {":expected": _n(plan.version)},
                    }
                }
            )
        for new in audit:
            entry_ulid = audit_entry_ulid(new)
            entry = build_audit(new, entry_ulid, now, self._audit_retention)
            item = _audit_item(entry, audit_sort_key(entry_ulid))
            # Append-only: an entry is never written over.
            put = {"TableName": self._table, "Item": item,
                   "ConditionExpression": "attribute_not_exists(PK)"}  # fmt: skip
            writes.append({"Put": put})

        try:
            if len(writes) == 1:
                self._call("put_item", **session_put)
            else:
                self._call("transact_write_items", TransactItems=writes)
        except TooLargeToStore as error:
            # DynamoDB does not say which item: the largest one sent is the one over.
            item = max((write["Put"]["Item"] for write in writes), key=_item_size)
            raise too_large(_item_name(item), _item_size(item)) from error
        return updated, added

    def list_messages(
        self, session_id: str, *, limit: int, cursor: str | None = None
    ) -> StoredPage:
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :msg)",
            "ExpressionAttributeValues": {":pk": _s(f"SESSION#{session_id}"), ":msg": _s("MSG#")},
            "ScanIndexForward": False,  # newest first
            "Limit": limit + 1,  # one more than asked tells whether an older page exists
        }
        if cursor:
            query["ExclusiveStartKey"] = {
                "PK": _s(f"SESSION#{session_id}"),
                "SK": _s(decode_cursor(cursor)),
            }
        answer = self._call("query", **query)
        items = answer.get("Items", [])
        page_items = items[:limit]
        more = len(items) > limit or "LastEvaluatedKey" in answer
        next_cursor = encode_cursor(page_items[-1]["SK"]["S"]) if more and page_items else None
        return StoredPage(
            messages=[_message_from_item(i, session_id) for i in page_items if self._live(i)],
            next_cursor=next_cursor,
        )

    def list_sessions(self, user_id: str, *, limit: int, cursor: str | None = None) -> SessionPage:
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": OWNER_INDEX,
            "KeyConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": OWNER_KEY},
            "ExpressionAttributeValues": {":owner": _s(user_id)},
            "ScanIndexForward": False,  # newest activity first
            "Limit": limit + 1,  # one more than asked tells whether another page exists
        }
        if cursor:
            activity = decode_session_cursor(cursor)
            # An index's start key holds the index keys and the table keys of the last item.
            query["ExclusiveStartKey"] = {
                **_session_key(activity.rsplit("#", 1)[1]),
                OWNER_KEY: _s(user_id),
                ACTIVITY_KEY: _s(activity),
            }
        answer = self._call("query", **query)
        items = answer.get("Items", [])
        page_items = items[:limit]
        more = len(items) > limit or "LastEvaluatedKey" in answer
        next_cursor = (
            encode_cursor(page_items[-1][ACTIVITY_KEY]["S"]) if more and page_items else None
        )
        return SessionPage(
            sessions=[_session_from_item(i) for i in page_items if self._live(i)],
            next_cursor=next_cursor,
        )

    def get_plan(self, plan_id: str) -> PlanRecord | None:
        answer = self._call(
            "get_item", TableName=self._table, Key=_plan_key(plan_id), ConsistentRead=True
        )
        item = answer.get("Item")
        return _plan_from_item(item) if item and self._live(item) else None

    def get_plan_with_status(self, plan_id: str) -> tuple[PlanRecord | None, StatusSnapshot | None]:
        answer = self._call(
            "query",
            TableName=self._table,
            # META and STATUS, not the audit entries (AUDIT#... sorts before both).
            KeyConditionExpression="PK = :pk AND SK BETWEEN :meta AND :status",
            ExpressionAttributeValues={
                ":pk": _s(f"PLAN#{plan_id}"),
                ":meta": _s("META"),
                ":status": _s("STATUS"),
            },
            ConsistentRead=True,
        )
        items = {i["SK"]["S"]: i for i in answer.get("Items", []) if self._live(i)}
        plan = _plan_from_item(items["META"]) if "META" in items else None
        snapshot = _snapshot_from_item(plan_id, items["STATUS"]) if "STATUS" in items else None
        return plan, snapshot

    def _query_all(self, **query: Any) -> list[dict]:
        """Every item a Query finds, page after page (a page stops at 1 MB read): botocore's
        Query paginator, one call a page."""
        pages = self._client.get_paginator("query").paginate(TableName=self._table, **query)
        try:
            return [item for page in pages for item in page.get("Items", [])]
        except (ClientError, BotoCoreError) as error:
            raise _store_error(error) from error

    def append_audit(self, entry: NewAuditEntry) -> None:
        entry_ulid = audit_entry_ulid(entry)
        record = build_audit(entry, entry_ulid, utcnow(), self._audit_retention)
        try:
            self._call("put_item", TableName=self._table,
                       Item=_audit_item(record, audit_sort_key(entry_ulid)),
                       ConditionExpression="attribute_not_exists(PK)")  # fmt: skip
        except ConcurrentChange:
            if entry.entry_ulid is None:
                raise
            # Its writer's id is already stored: written before (a retry of one that went
            # through).

    def list_audit(self, plan_id: str) -> list[AuditRecord]:
        items = self._query_all(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :audit)",
            ExpressionAttributeValues={":pk": _s(f"PLAN#{plan_id}"), ":audit": _s("AUDIT#")},
            ConsistentRead=True,
        )
        return [_audit_from_item(i, plan_id) for i in items if self._live(i)]

    def get_audit_entry(self, plan_id: str, entry_ulid) -> AuditRecord | None:
        key = {"PK": _s(f"PLAN#{plan_id}"), "SK": _s(audit_sort_key(entry_ulid))}
        answer = self._call("get_item", TableName=self._table, Key=key, ConsistentRead=True)
        item = answer.get("Item")
        return _audit_from_item(item, plan_id) if item and self._live(item) else None

    def delete_session(self, session: SessionRecord) -> None:
        # Every item of the session's partition, expired or not: its messages and plan links.
        items = self._query_all(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": _s(f"SESSION#{session.session_id}")},
            ProjectionExpression="PK, SK, plan_id, #metadata, expires_at",
            ExpressionAttributeNames={"#metadata": "metadata"},
            ConsistentRead=True,
        )
        messages, links, answers = [], [], []
        plan_ids = {session.current_plan_id} - {None}
        for item in items:
            key = {"PK": item["PK"], "SK": item["SK"]}
            if item["SK"]["S"].startswith("MSG#"):
                messages.append(key)
                # Plans stored before link items existed are found by the replies about them.
                plan_ids.add(_plan_id_of(item))
            elif item["SK"]["S"].startswith("PLAN#"):
                links.append(key)
                plan_ids.add(item["plan_id"]["S"])
            elif item["SK"]["S"].startswith(IDEMPOTENCY_POINTER):
                links.append(key)
                # The answer kept for an Idempotency-Key (what was said, the plan); an expired
                # pointer's key may hold another request's answer since.
                if self._live(item):
                    answers.append(_idempotency_key(item["SK"]["S"][len(IDEMPOTENCY_POINTER) :]))
        plan_ids.discard(None)
        plans = [key for p in sorted(plan_ids) for key in (_plan_key(p), _status_key(p))]
        # The links go after the plans and answers they find: a retry after a fault finds what
        # is left.
        self._delete_keys(plans + answers + messages)
        self._delete_keys(links)
        self._call("delete_item", TableName=self._table, Key=_session_key(session.session_id))

    def _delete_keys(self, keys: list[dict]) -> None:
        """BatchWriteItem, 25 deletes a call; what it leaves unprocessed (throttled) is sent
        again a few times, then the delete is given up as a store fault (a retry finishes it).

        Not boto3's batch_writer, which does the same batching: it is on boto3's resource layer
        (this store holds only a botocore client, and the functions do not import boto3), and
        it sends unprocessed items again with no pause and no bound, so a throttled table would
        hold the request until its time ran out instead of answering 503."""
        for start in range(0, len(keys), BATCH_WRITE_LIMIT):
            chunk = keys[start : start + BATCH_WRITE_LIMIT]
            requests = [{"DeleteRequest": {"Key": key}} for key in chunk]
            for attempt in range(BATCH_ATTEMPTS):
                answer = self._call("batch_write_item", RequestItems={self._table: requests})
                requests = answer.get("UnprocessedItems", {}).get(self._table, [])
                if not requests:
                    break
                time.sleep(0.05 * 2**attempt)
            else:
                raise StoreUnavailable("The session store is busy; try again shortly.")

    def _conditional_put(self, item: dict, condition: str, values: dict) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeNames={
                    "#" + k: k for k in _STATUS_FIELDS if "#" + k in condition
                },
                ExpressionAttributeValues=values,
            )
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise _store_error(error) from error
        except BotoCoreError as error:
            raise _store_error(error) from error

    def claim_status_refresh(
        self, plan: PlanRecord, seen: StatusSnapshot | None, lease: Lease
    ) -> bool:
        # A Put of the whole item: what was observed (as read with the plan) stays readable by
        # the other polls while this one refreshes it.
        kept = seen or StatusSnapshot(plan_id=plan.plan_id)
        item = _snapshot_item(kept, plan.expires_at)
        item.update(lease_token=_s(lease.token), lease_until_ms=_ms(lease.until))
        now = lease.taken_at
        return self._conditional_put(
            item,
            # Absent or expired; else older than the interval (or of another plan version),
            # not final, and not leased.
            "attribute_not_exists(PK) OR #expires_at < :now_s OR ("
            "(attribute_not_exists(#observed_at_ms) OR #observed_at_ms < :fresh_from "
            "OR #plan_version <> :version) AND "
            "(attribute_not_exists(#lease_until_ms) OR #lease_until_ms < :now) AND "
            "(attribute_not_exists(#final) OR #final = :false))",
            {
                ":now_s": _n(int(now.timestamp())),
                ":fresh_from": _ms(now - lease.interval),
                ":version": _n(plan.version),
                ":now": _ms(now),
                ":false": {"BOOL": False},
            },
        )

    def save_status_snapshot(
        self, snapshot: StatusSnapshot, lease: Lease, expires_at: int, keep_lease: bool = False
    ) -> bool:
        item = _snapshot_item(snapshot, expires_at)
        item["lease_token"] = _s(lease.token)  # a late write of a lease taken over still fails
        if keep_lease:
            item["lease_until_ms"] = _ms(lease.until)
        return self._conditional_put(item, "#lease_token = :token", {":token": _s(lease.token)})

    def claim_idempotency_key(
        self, key: str, fingerprint: str, ttl_seconds: int
    ) -> IdempotencyRecord | None:
        now = utcnow()
        item = {
            **_idempotency_key(key),
            "fingerprint": _s(fingerprint),
            "status": _s("in_progress"),
            "expires_at": _n(expiry(timedelta(seconds=ttl_seconds), now)),
        }
        try:
            # Claim the key unless a live record holds it; an expired one is taken over.
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(PK) OR expires_at < :now",
                ExpressionAttributeValues={":now": _n(int(now.timestamp()))},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return None
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise _store_error(error) from error
            old = error.response.get("Item")
            if old is None:  # an emulator that does not return the item: read it
                old = (
                    self._call(
                        "get_item",
                        TableName=self._table,
                        Key=_idempotency_key(key),
                        ConsistentRead=True,
                    )
                )["Item"]
            return _idempotency_from_item(key, old)
        except BotoCoreError as error:
            raise _store_error(error) from error

    def complete_idempotency_key(
        self,
        key: str,
        fingerprint: str,
        status: int,
        body: str,
        ttl_seconds: int,
        session_id: str | None = None,
    ) -> bool:
        expires_at = _n(expiry(timedelta(seconds=ttl_seconds)))
        item = {
            **_idempotency_key(key),
            "fingerprint": _s(fingerprint),
            "status": _s("completed"),
            "response_status": _n(status),
            "response_body": _s(body),
            "expires_at": expires_at,
        }
        if session_id is None:
            self._call("put_item", TableName=self._table, Item=item)
            return True
        # An answer about a session is found by its delete through a pointer in the session's
        # partition, written with it, and only while the session is there and not being
        # deleted (the delete marks it before its Query): one transaction, as one Put was.
        pointer = {"PK": _s(f"SESSION#{session_id}"), "SK": _s(f"{IDEMPOTENCY_POINTER}{key}"),
                   "expires_at": expires_at}  # fmt: skip
        there = "attribute_exists(PK) AND attribute_not_exists(deleting)"
        try:
            self._client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self._table, "Item": item}},
                {"Put": {"TableName": self._table, "Item": pointer}},
                {"ConditionCheck": {"TableName": self._table, "Key": _session_key(session_id),
                                    "ConditionExpression": there}},
            ])  # fmt: skip
        except ClientError as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if reasons[2:3] == ["ConditionalCheckFailed"]:
                return False
            raise _store_error(error) from error
        except BotoCoreError as error:
            raise _store_error(error) from error
        return True

    def release_idempotency_key(self, key: str) -> None:
        self._call("delete_item", TableName=self._table, Key=_idempotency_key(key))

    def ping(self) -> None:
        # A GetItem of a key no item has: the cheapest read that needs the table to be there.
        self._call("get_item", TableName=self._table, Key={"PK": _s("READINESS"), "SK": _s("-")})

    def cleanup_expired(self) -> int:
        return 0  # the table's TTL deletes expired items; reads already skip them
