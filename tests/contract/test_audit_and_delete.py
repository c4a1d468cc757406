"""The audit trail (PLAN#<id>/AUDIT#<ulid>) and the deletion of a session, on the in-memory store,
moto and DynamoDB Local."""

import uuid
from datetime import timedelta

import pytest
from ulid import ULID

from shared.errors import Conflict
from shared.store.base import new_message_id
from shared.store.records import (
    Lease,
    NewAuditEntry,
    NewMessage,
    PlanChanges,
    SessionChanges,
    StatusSnapshot,
    utcnow,
)
from tests.contract.test_store_contract import a_plan, user


def entry(plan, action: str, actor: str = "alice", **fields) -> NewAuditEntry:
    return NewAuditEntry(plan_id=plan.plan_id, plan_created_at=plan.created_at,
                         session_id=plan.session_id, user_id=plan.user_id, action=action,
                         actor=actor, **fields)  # fmt: skip


def session_with_plan(store, owner: str = "alice"):
    session = store.create_session(owner)
    plan = a_plan(session)
    session, _ = store.save(
        session,
        changes=SessionChanges(
            status="plan_ready",
            current_plan_id=plan.plan_id,
            current_plan_created_at=plan.created_at,
        ),
        messages=[user("deploy web")],
        new_plan=plan,
        audit=[entry(plan, "created")],
    )
    return session, store.get_plan(plan.plan_id)


def test_audit_entries_are_kept_oldest_first_with_who_what_and_when(store):
    before = utcnow()
    session, plan = session_with_plan(store)
    store.save(
        session,
        changes=SessionChanges(status="executing"),
        plan_update=(plan, PlanChanges(state="executing")),
        audit=[entry(plan, "approved", comment="ship it", outcome="executing", revision=2,
                     previous_plan_id="p-1")],
    )  # fmt: skip

    trail = store.list_audit(plan.plan_id)

    assert [e.action for e in trail] == ["created", "approved"]
    approved = trail[1]
    assert (approved.actor, approved.comment, approved.outcome) == ("alice", "ship it", "executing")
    assert (approved.revision, approved.previous_plan_id) == (2, "p-1")
    assert (approved.plan_id, approved.session_id, approved.user_id) == (
        plan.plan_id, session.session_id, "alice"
    )  # fmt: skip
    assert trail[0].comment is None and trail[0].outcome is None and trail[0].revision is None
    assert all(uuid.UUID(e.id) for e in trail)
    assert trail[0].id < trail[1].id  # time-ordered ids
    assert before <= trail[0].at <= trail[1].at <= utcnow()
    assert store.list_audit(str(uuid.uuid4())) == []


def test_an_audit_entry_is_written_with_its_state_change_or_not_at_all(store):
    session, plan = session_with_plan(store)
    store.save(session, plan_update=(plan, PlanChanges(state="rejected")))
    with pytest.raises(Conflict):  # the plan changed since it was read: nothing is written
        store.save(store.get_session(session.session_id),
                   plan_update=(plan, PlanChanges(state="aborted")),
                   audit=[entry(plan, "aborted")])  # fmt: skip
    assert [e.action for e in store.list_audit(plan.plan_id)] == ["created"]


def test_the_plan_and_its_snapshot_are_read_without_the_audit_entries(store, backend, request):
    session, plan = session_with_plan(store)
    for action in ("approved", "run_finished"):
        session, _ = store.save(session, audit=[entry(plan, action)])
    lease = Lease(token="t", taken_at=utcnow(), interval=timedelta(seconds=2))
    assert store.claim_status_refresh(plan, None, lease)
    snapshot = StatusSnapshot(plan_id=plan.plan_id, plan_version=plan.version, steps=[],
                              observed_at=utcnow().replace(microsecond=0))  # fmt: skip
    assert store.save_status_snapshot(snapshot, lease, plan.expires_at)
    read = []
    if backend != "memory":  # count what the one Query of the plan's partition returns
        store._client.meta.events.register(
            "after-call.dynamodb.Query", lambda parsed, **_: read.append(len(parsed["Items"]))
        )

    assert store.get_plan_with_status(plan.plan_id) == (plan, snapshot)
    assert read == ([] if backend == "memory" else [2])  # META and STATUS, no AUDIT#


def test_the_expiry_mark_and_the_deleting_mark_are_stored(store):
    session, plan = session_with_plan(store)
    seen = utcnow().replace(microsecond=0)
    session, _ = store.save(session, plan_update=(plan, PlanChanges(expired_at=seen)))
    assert store.get_plan(plan.plan_id).expired_at == seen
    session, _ = store.save(session, changes=SessionChanges(deleting=True))
    assert store.get_session(session.session_id).deleting is True


def test_deleting_a_session_removes_its_messages_plans_and_snapshots_but_not_the_audit(store):
    session, first = session_with_plan(store)
    second = a_plan(session)
    session, _ = store.save(
        session,
        changes=SessionChanges(
            current_plan_id=second.plan_id, current_plan_created_at=second.created_at
        ),
        messages=[user(f"m{i}") for i in range(60)],  # more than one batch of deletes
        new_plan=second,
        plan_update=(first, PlanChanges(state="superseded")),
        audit=[entry(second, "revised")],
    )
    lease = Lease(token="t", taken_at=utcnow(), interval=timedelta(seconds=2))
    assert store.claim_status_refresh(first, None, lease)
    other, other_plan = session_with_plan(store, owner="bob")
    session, _ = store.save(session, changes=SessionChanges(deleting=True))

    store.delete_session(session)

    assert store.get_session(session.session_id) is None
    assert store.list_messages(session.session_id, limit=100).messages == []
    for plan in (first, second):
        assert store.get_plan(plan.plan_id) is None
        assert store.get_plan_with_status(plan.plan_id) == (None, None)
    assert [e.action for e in store.list_audit(first.plan_id)] == ["created"]
    assert [e.action for e in store.list_audit(second.plan_id)] == ["revised"]
    # Another session is untouched.
    assert store.get_session(other.session_id) == other
    assert store.get_plan(other_plan.plan_id) == other_plan
    assert len(store.list_messages(other.session_id, limit=10).messages) == 1
    store.delete_session(session)  # again: nothing left to do, no error


def test_a_deleted_session_takes_no_more_writes(store):
    session, plan = session_with_plan(store)
    marked, _ = store.save(session, changes=SessionChanges(deleting=True))
    store.delete_session(marked)
    with pytest.raises(Conflict):
        store.save(marked, messages=[NewMessage(role="assistant", content="late")])
    assert store.list_messages(session.session_id, limit=10).messages == []


def test_a_plans_whole_trail_expires_together_from_its_creation_beyond_the_session(make_store):
    store = make_store(ttl=timedelta(hours=1))  # the session lives an hour from its last write
    session = store.create_session("alice")
    plan = a_plan(session).model_copy(update={"created_at": utcnow() - timedelta(days=10)})
    session, _ = store.save(session, new_plan=plan, audit=[entry(plan, "created")])
    session, _ = store.save(session, audit=[entry(plan, "rejected")])  # written later

    trail = store.list_audit(plan.plan_id)

    kept_until = int((plan.created_at + timedelta(days=90)).timestamp())  # the default retention
    assert [(e.action, e.expires_at) for e in trail] == [
        ("created", kept_until),
        ("rejected", kept_until),
    ]
    assert kept_until > store.get_session(session.session_id).expires_at


def test_the_trail_of_a_plan_made_longer_ago_than_the_retention_is_gone(make_store):
    store = make_store(ttl=timedelta(days=7))
    session = store.create_session("alice")
    plan = a_plan(session).model_copy(update={"created_at": utcnow() - timedelta(days=91)})
    session, _ = store.save(session, new_plan=plan, audit=[entry(plan, "created")])
    store.save(session, audit=[entry(plan, "expired", actor="system")])

    assert store.list_audit(plan.plan_id) == []


def test_an_entry_appended_by_itself_outlives_its_deleted_session(store):
    session, plan = session_with_plan(store)
    session, _ = store.save(session, changes=SessionChanges(deleting=True))
    store.delete_session(session)

    store.append_audit(entry(plan, "rejected", comment="not in the freeze"))

    trail = store.list_audit(plan.plan_id)
    assert [(e.action, e.comment) for e in trail] == [
        ("created", None),
        ("rejected", "not in the freeze"),
    ]
    assert trail[1].expires_at == trail[0].expires_at  # the trail still expires together
    assert store.get_session(session.session_id) is None


def test_an_entry_whose_id_its_writer_chose_is_written_once_however_often_it_is_tried(store):
    """A decision's entry tried again after a write that went through unconfirmed (a lost
    answer): the repeat in a transaction fails whole, and appended by itself is a no-op."""
    session, plan = session_with_plan(store)
    rejected = entry(plan, "rejected", comment="not now", entry_ulid=str(new_message_id()))
    session, _ = store.save(session, audit=[rejected])

    with pytest.raises(Conflict):
        store.save(session, messages=[NewMessage(role="assistant", content="again")],
                   audit=[rejected])  # fmt: skip
    store.append_audit(rejected)
    store.append_audit(entry(plan, "rejected", comment="another decision"))

    trail = store.list_audit(plan.plan_id)
    assert [(e.action, e.comment) for e in trail] == [
        ("created", None),
        ("rejected", "not now"),
        ("rejected", "another decision"),
    ]
    assert trail[1].id == str(ULID.from_str(rejected.entry_ulid).to_uuid())
    assert [m.content for m in store.list_messages(session.session_id, limit=10).messages] == [
        "deploy web"
    ]


def test_an_entry_is_read_by_the_id_its_writer_chose(store):
    """Whether a decision's entry is stored already: one read of its item, not of the trail."""
    session, plan = session_with_plan(store)
    chosen = ULID()
    rejected = entry(plan, "rejected", comment="not now", entry_ulid=str(chosen))
    assert store.get_audit_entry(plan.plan_id, chosen) is None

    store.save(session, audit=[rejected])

    found = store.get_audit_entry(plan.plan_id, chosen)
    assert found is not None and found.id == str(chosen.to_uuid())
    assert (found.action, found.comment, found.user_id) == ("rejected", "not now", "alice")
    assert store.get_audit_entry(str(uuid.uuid4()), chosen) is None
    assert store.get_audit_entry(plan.plan_id, ULID()) is None


@pytest.mark.parametrize(
    "backend", ["moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)]
)
def test_deleting_a_session_removes_plans_stored_before_link_items_existed(store):
    """A session's plans written before it listed them by link items (SESSION#<id>/PLAN#<id>)
    are found by the plan id the chat's replies carry, and deleted with the rest."""
    session = store.create_session("alice")
    first, second = a_plan(session), a_plan(session)
    session, _ = store.save(
        session,
        changes=SessionChanges(
            status="plan_ready",
            current_plan_id=first.plan_id,
            current_plan_created_at=first.created_at,
        ),
        messages=[user("deploy web"), reply("Here is the plan.", plan_id=first.plan_id)],
        new_plan=first,
    )
    session, _ = store.save(
        session,
        changes=SessionChanges(
            current_plan_id=second.plan_id, current_plan_created_at=second.created_at
        ),
        messages=[user("also run the tests", modifies_plan_id=first.plan_id),
                  reply("Here is the updated plan.", plan_id=second.plan_id)],
        new_plan=second,
        plan_update=(first, PlanChanges(state="superseded")),
    )  # fmt: skip
    lease = Lease(token="t", taken_at=utcnow(), interval=timedelta(seconds=2))
    assert store.claim_status_refresh(first, None, lease)
    for plan in (first, second):  # as the old data is: no link items
        store._client.delete_item(
            TableName=store._table,
            Key={"PK": {"S": f"SESSION#{session.session_id}"}, "SK": {"S": f"PLAN#{plan.plan_id}"}},
        )
    session, _ = store.save(session, changes=SessionChanges(deleting=True))

    store.delete_session(session)

    for plan in (first, second):
        assert store.get_plan(plan.plan_id) is None
        assert store.get_plan_with_status(plan.plan_id) == (None, None)
    assert store.list_messages(session.session_id, limit=10).messages == []
    assert store.get_session(session.session_id) is None


def reply(text: str, **metadata) -> NewMessage:
    return NewMessage(role="assistant", content=text, metadata=metadata)


def answer_about(store, session, key: str) -> bool:
    """An answer to a request on `session` stored under the Idempotency-Key record `key`."""
    assert store.claim_idempotency_key(key, "fp", 60) is None
    return store.complete_idempotency_key(
        key, "fp", 200, '{"said": "deploy payroll"}', 3600, session_id=session.session_id
    )


def test_deleting_a_session_removes_the_answers_stored_about_it(store):
    """An answer kept for an Idempotency-Key repeats what the person said and the plan: it goes
    with the session. Another session's answer stays."""
    session, _ = session_with_plan(store)
    other, _ = session_with_plan(store)
    assert answer_about(store, session, "k-mine") is True
    assert answer_about(store, other, "k-other") is True
    session, _ = store.save(session, changes=SessionChanges(deleting=True))

    store.delete_session(session)

    assert store.claim_idempotency_key("k-mine", "fp", 60) is None  # nothing kept: a new claim
    kept = store.claim_idempotency_key("k-other", "fp", 60)
    assert (kept.status, kept.response_body) == ("completed", '{"said": "deploy payroll"}')


def test_an_answer_about_a_session_being_deleted_or_gone_is_not_stored(store):
    """A request that finishes while its session is being deleted (or after) keeps no answer:
    the delete could no longer find it."""
    session, _ = session_with_plan(store)
    marked, _ = store.save(session, changes=SessionChanges(deleting=True))
    assert answer_about(store, marked, "k-late") is False
    assert store.claim_idempotency_key("k-late", "fp", 60).status == "in_progress"
    store.delete_session(marked)
    assert answer_about(store, marked, "k-later") is False


@pytest.mark.parametrize(
    "backend", ["moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)]
)
def test_after_a_delete_only_the_audit_items_of_the_session_remain(store):
    """Read raw, as an operator would: nothing is left in the session's partition, only AUDIT#
    items in its plans' partitions, and no stored answer about it."""
    session, first = session_with_plan(store)
    second = a_plan(session)
    session, _ = store.save(
        session,
        changes=SessionChanges(
            current_plan_id=second.plan_id, current_plan_created_at=second.created_at
        ),
        messages=[user("also run the tests"), reply("Here is the updated plan.")],
        new_plan=second,
        plan_update=(first, PlanChanges(state="superseded")),
        audit=[entry(second, "revised")],
    )
    lease = Lease(token="t", taken_at=utcnow(), interval=timedelta(seconds=2))
    assert store.claim_status_refresh(second, None, lease)
    assert answer_about(store, session, "k-chat") is True
    session, _ = store.save(session, changes=SessionChanges(deleting=True))

    store.delete_session(session)

    def partition(pk: str) -> list[str]:
        found = store._client.query(
            TableName=store._table, KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}}, ConsistentRead=True,
        )  # fmt: skip
        return [item["SK"]["S"] for item in found["Items"]]

    assert partition(f"SESSION#{session.session_id}") == []
    for plan in (first, second):
        left = partition(f"PLAN#{plan.plan_id}")
        assert left and all(sk.startswith("AUDIT#") for sk in left), left
    assert partition("IDEMPOTENCY#k-chat") == []
