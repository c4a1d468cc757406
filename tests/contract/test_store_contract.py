"""The SessionStore contract: every test runs on the in-memory store, moto and DynamoDB Local."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from shared.errors import Conflict, InvalidInput
from shared.services.sessions import session_summary
from shared.settings import Settings
from shared.store.records import (
    DispatchedTask,
    NewMessage,
    PlanChanges,
    PlanRecord,
    SessionChanges,
    utcnow,
)


def user(text: str, **metadata) -> NewMessage:
    return NewMessage(role="user", content=text, metadata=metadata or None)


def a_plan(session, plan_id: str | None = None) -> PlanRecord:
    return PlanRecord(
        plan_id=plan_id or str(uuid.uuid4()),
        session_id=session.session_id,
        user_id=session.user_id,
        request_id=str(uuid.uuid4()),
        original_request="deploy web to staging",
        modifications=["also run the tests"],
        plan={"summary": "Deploy web", "routing_score": 0.87, "tasks": [{"order": 1}]},
        created_at=utcnow(),
        expires_at=int(utcnow().timestamp()) + 3600,
    )


def all_messages(store, session_id, page_size):
    """Read the whole history page by page (newest first), as the web client would."""
    pages, cursor = [], None
    while True:
        page = store.list_messages(session_id, limit=page_size, cursor=cursor)
        pages.append(page.messages)
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_new_session_is_idle_with_a_uuid_and_can_be_read_back(store):
    created = store.create_session("alice")
    assert uuid.UUID(created.session_id).version == 4
    assert (created.user_id, created.status, created.version) == ("alice", "idle", 1)
    assert store.get_session(created.session_id) == created


def test_unknown_session_is_absent(store):
    assert store.get_session(str(uuid.uuid4())) is None


def test_messages_round_trip_newest_first_with_metadata(store):
    session = store.create_session("alice")
    session, added = store.save(session, messages=[user("deploy web", plan_id="p1")])
    session, more = store.save(
        session, messages=[NewMessage(role="assistant", content="Here is the plan")]
    )
    page = store.list_messages(session.session_id, limit=10)
    assert [m.content for m in page.messages] == ["Here is the plan", "deploy web"]
    assert page.messages[1].metadata == {"plan_id": "p1"}
    assert page.messages == [*more, *added]
    assert all(uuid.UUID(m.id) for m in page.messages)
    assert page.next_cursor is None


def test_messages_of_one_save_keep_their_order(store):
    session = store.create_session("alice")
    texts = [f"m{i}" for i in range(30)]
    store.save(session, messages=[user(t) for t in texts])
    page = store.list_messages(session.session_id, limit=50)
    assert [m.content for m in page.messages] == texts[::-1]


def test_save_applies_changes_bumps_version_and_touches_activity(store):
    session = store.create_session("alice")
    updated, _ = store.save(
        session,
        changes=SessionChanges(
            status="plan_ready",
            current_request_id="r1",
            current_plan_id="p1",
            current_plan_created_at=utcnow(),
        ),
    )
    assert (updated.status, updated.current_plan_id, updated.version) == ("plan_ready", "p1", 2)
    assert updated.last_activity >= session.last_activity
    assert store.get_session(session.session_id) == updated

    cleared, _ = store.save(
        updated, changes=SessionChanges(status="idle", clear=frozenset({"current_plan_id"}))
    )
    reread = store.get_session(session.session_id)
    assert (reread.status, reread.current_plan_id, reread.current_request_id) == (
        "idle",
        None,
        "r1",
    )
    assert reread == cleared


def test_the_current_plans_creation_is_kept_with_its_id_and_cleared_with_it(store):
    """What the sessions list reads to say a plan expired (plan_approval_expires_at): kept as
    given, left alone by changes that do not name the plan, cleared when the plan id is."""
    session = store.create_session("alice")
    made = utcnow() - timedelta(minutes=5)
    planned, _ = store.save(
        session,
        changes=SessionChanges(
            status="plan_ready", current_plan_id="p1", current_plan_created_at=made
        ),
    )
    assert store.get_session(session.session_id).current_plan_created_at == made
    approving, _ = store.save(planned, changes=SessionChanges(status="executing"))
    assert store.get_session(session.session_id).current_plan_created_at == made

    store.save(
        approving, changes=SessionChanges(status="idle", clear=frozenset({"current_plan_id"}))
    )
    reread = store.get_session(session.session_id)
    assert (reread.current_plan_id, reread.current_plan_created_at) == (None, None)


@pytest.mark.parametrize(  # only a table keeps items written by an older version
    "backend", ["moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)]
)
def test_a_session_stored_before_the_plans_creation_was_kept_reads_without_it(store):
    """Sessions written before current_plan_created_at existed (ec38ffc) hold the plan id alone.
    They read with no creation, and the sessions list gives them no deadline, not an error."""
    session = store.create_session("alice")
    store.save(
        session,
        changes=SessionChanges(
            status="plan_ready", current_plan_id="p1", current_plan_created_at=utcnow()
        ),
    )
    store._client.update_item(  # the item as the older version wrote it
        TableName=store._table,
        Key={"PK": {"S": f"SESSION#{session.session_id}"}, "SK": {"S": "META"}},
        UpdateExpression="REMOVE current_plan_created_at",
    )
    reread = store.get_session(session.session_id)
    assert (reread.status, reread.current_plan_id, reread.current_plan_created_at) == (
        "plan_ready",
        "p1",
        None,
    )
    (listed,) = store.list_sessions("alice", limit=10).sessions
    summary = session_summary(listed, Settings())
    assert (summary.current_plan_id, summary.plan_approval_expires_at) == ("p1", None)


def test_stale_write_is_refused_and_writes_nothing(store):
    session = store.create_session("alice")
    store.save(session, changes=SessionChanges(status="awaiting_plan"))
    with pytest.raises(Conflict):
        store.save(
            session,  # the version read before the first save
            changes=SessionChanges(status="plan_ready"),
            messages=[user("lost?")],
            new_plan=a_plan(session),
        )
    reread = store.get_session(session.session_id)
    assert (reread.status, reread.version) == ("awaiting_plan", 2)
    assert (store.list_messages(session.session_id, limit=10)).messages == []


def test_two_writers_on_one_session_lose_no_update(store):
    session = store.create_session("alice")
    first_read = store.get_session(session.session_id)
    second_read = store.get_session(session.session_id)

    store.save(first_read, changes=SessionChanges(current_request_id="from-first"))
    with pytest.raises(Conflict):
        store.save(
            second_read,
            changes=SessionChanges(current_plan_id="from-second", current_plan_created_at=utcnow()),
        )

    # The loser re-reads and applies its change on top: both changes are present.
    fresh = store.get_session(session.session_id)
    store.save(
        fresh,
        changes=SessionChanges(current_plan_id="from-second", current_plan_created_at=utcnow()),
    )
    final = store.get_session(session.session_id)
    assert (final.current_request_id, final.current_plan_id) == ("from-first", "from-second")
    assert final.version == 3


def test_concurrent_writers_with_retry_keep_every_message(store):
    session = store.create_session("alice")
    conflicts = 0

    def writer(n: int) -> None:
        nonlocal conflicts
        while True:
            current = store.get_session(session.session_id)
            try:
                store.save(current, messages=[user(f"writer {n}")])
                return
            except Conflict:
                conflicts += 1
                time.sleep(0.01 * (n % 3))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(writer, range(8)))
    page = store.list_messages(session.session_id, limit=50)
    assert sorted(m.content for m in page.messages) == sorted(f"writer {n}" for n in range(8))
    assert (store.get_session(session.session_id)).version == 1 + 8


def test_history_pages_newest_first_with_opaque_cursor(store):
    session = store.create_session("alice")
    for start in range(0, 120, 40):
        session, _ = store.save(
            session, messages=[user(f"msg {i:03}") for i in range(start, start + 40)]
        )
    pages = all_messages(store, session.session_id, page_size=50)
    assert [len(p) for p in pages] == [50, 50, 20]
    flat = [m.content for page in pages for m in page]
    assert flat == [f"msg {i:03}" for i in range(119, -1, -1)]


def test_exact_multiple_of_page_size_ends_without_an_empty_page(store):
    session = store.create_session("alice")
    store.save(session, messages=[user(f"m{i}") for i in range(20)])
    pages = all_messages(store, session.session_id, page_size=10)
    assert [len(p) for p in pages] == [10, 10]


@pytest.mark.parametrize("cursor", ["not-a-cursor!", "bXNnIzE", "TVNHIzEyMw"])
def test_malformed_cursor_is_invalid_input(store, cursor):
    session = store.create_session("alice")
    with pytest.raises(InvalidInput):
        store.list_messages(session.session_id, limit=10, cursor=cursor)


def test_plan_is_stored_with_the_session_change_and_read_back_whole(store):
    session = store.create_session("alice")
    plan = a_plan(session)
    session, _ = store.save(
        session,
        changes=SessionChanges(
            current_plan_id=plan.plan_id, current_plan_created_at=plan.created_at
        ),
        new_plan=plan,
    )
    # A plan lives as long as its session: it takes the session's renewed expiry.
    assert store.get_plan(plan.plan_id) == plan.model_copy(
        update={"expires_at": session.expires_at}
    )
    assert (store.get_session(session.session_id)).current_plan_id == plan.plan_id
    assert store.get_plan(str(uuid.uuid4())) is None


def test_plan_update_is_conditional_on_the_plan_version(store):
    session = store.create_session("alice")
    plan = a_plan(session)
    session, _ = store.save(session, new_plan=plan)
    tasks = [DispatchedTask(order=1, name="deploy", task_id=str(uuid.uuid4()))]
    session, _ = store.save(
        session,
        changes=SessionChanges(status="executing"),
        plan_update=(
            plan,
            PlanChanges(state="executing", dispatched_tasks=tasks, dispatch_status="executing"),
        ),
    )
    stored = store.get_plan(plan.plan_id)
    assert (stored.state, stored.dispatched_tasks, stored.version) == ("executing", tasks, 2)
    assert stored.dispatch_status == "executing"

    # A second claim from the same stale read fails, and its session change is not applied.
    with pytest.raises(Conflict):
        store.save(
            session,
            changes=SessionChanges(status="idle"),
            plan_update=(plan, PlanChanges(state="approving")),
        )
    assert (store.get_session(session.session_id)).status == "executing"
    assert (store.get_plan(plan.plan_id)).state == "executing"


def test_a_plan_id_is_stored_once(store):
    session = store.create_session("alice")
    plan = a_plan(session)
    session, _ = store.save(session, new_plan=plan)
    with pytest.raises(Conflict):
        store.save(session, new_plan=plan.model_copy(update={"request_id": "other"}))
    assert (store.get_plan(plan.plan_id)).request_id == plan.request_id


def test_expired_items_read_as_absent(make_store):
    store = make_store(ttl=timedelta(seconds=-1))
    session = store.create_session("alice")
    assert store.get_session(session.session_id) is None


def test_cleanup_expired_returns_a_count(store):
    store.create_session("alice")
    assert store.cleanup_expired() == 0


def test_idempotency_key_is_claimed_once_then_replays_the_answer(store):
    assert store.claim_idempotency_key("k1", "fp", 60) is None
    in_progress = store.claim_idempotency_key("k1", "fp", 60)
    assert (in_progress.status, in_progress.fingerprint) == ("in_progress", "fp")

    store.complete_idempotency_key("k1", "fp", 200, '{"ok":true}', 60)
    done = store.claim_idempotency_key("k1", "other", 60)
    assert (done.status, done.response_status, done.response_body) == (
        "completed",
        200,
        '{"ok":true}',
    )
    assert done.fingerprint == "fp"


def test_released_or_expired_idempotency_key_can_be_claimed_again(store):
    assert store.claim_idempotency_key("k2", "fp", 60) is None
    store.release_idempotency_key("k2")
    assert store.claim_idempotency_key("k2", "fp", -5) is None  # expires at once
    assert store.claim_idempotency_key("k2", "fp", 60) is None


# The sessions list (the owner index) ------------------------------------------------------


def all_sessions(store, user_id, page_size):
    """Read the owner's whole list page by page (newest first), as the web client would."""
    pages, cursor = [], None
    while True:
        page = store.list_sessions(user_id, limit=page_size, cursor=cursor)
        pages.append([s.session_id for s in page.sessions])
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_sessions_are_listed_newest_activity_first_as_they_were_saved(store):
    first, second, third = (store.create_session("alice") for _ in range(3))
    # The oldest session becomes the newest by being written to.
    first, _ = store.save(first, messages=[user("deploy web")])

    page = store.list_sessions("alice", limit=10)

    assert [s.session_id for s in page.sessions] == [
        first.session_id, third.session_id, second.session_id,
    ]  # fmt: skip
    assert page.sessions[0] == first  # the whole session as it is now, not as it was
    assert page.next_cursor is None


def test_sessions_list_pages_with_an_opaque_cursor(store):
    made = [store.create_session("alice").session_id for _ in range(7)]

    pages = all_sessions(store, "alice", page_size=3)

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [s for page in pages for s in page] == made[::-1]


def test_sessions_list_of_an_exact_multiple_of_the_page_size_ends_without_an_empty_page(store):
    for _ in range(4):
        store.create_session("alice")

    assert [len(p) for p in all_sessions(store, "alice", page_size=2)] == [2, 2]


def test_sessions_list_holds_only_the_owners_sessions(store):
    alices = [store.create_session("alice").session_id for _ in range(2)]
    bobs = store.create_session("bob")
    store.save(bobs, messages=[user("bob is the most recent")])

    assert [s for page in all_sessions(store, "alice", page_size=1) for s in page] == alices[::-1]
    assert [s for page in all_sessions(store, "bob", page_size=1) for s in page] == [
        bobs.session_id
    ]
    assert store.list_sessions("carol", limit=10).sessions == []


def test_a_cursor_of_one_owner_lists_nothing_of_another(store):
    for _ in range(3):
        store.create_session("alice")
    cursor = store.list_sessions("alice", limit=1).next_cursor
    bobs = store.create_session("bob")  # newer than everything alice has

    page = store.list_sessions("bob", limit=10, cursor=cursor)

    assert bobs.session_id not in [s.session_id for s in page.sessions]
    assert all(s.user_id == "bob" for s in page.sessions)


def test_expired_sessions_are_left_out_of_the_list(make_store):
    store = make_store(ttl=timedelta(seconds=-1))
    for _ in range(3):
        store.create_session("alice")

    page = store.list_sessions("alice", limit=10)

    assert (page.sessions, page.next_cursor) == ([], None)


A_HISTORY_CURSOR = "TVNHIzAxSDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw"  # MSG#01H000...: not a list's


@pytest.mark.parametrize("cursor", ["not-a-cursor!", "bXNnIzE", A_HISTORY_CURSOR])
def test_malformed_sessions_cursor_is_invalid_input(store, cursor):
    store.create_session("alice")
    with pytest.raises(InvalidInput):
        store.list_sessions("alice", limit=10, cursor=cursor)
