"""The status snapshot contract (PLAN#<id>/STATUS): read with its plan in one call, refreshed by
the one caller whose claim wins; on the in-memory store, moto and DynamoDB Local."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from shared.models import ExecutionUpdate
from shared.store.records import Lease, SessionChanges, StatusSnapshot, utcnow
from tests.contract.test_store_contract import a_plan

INTERVAL = timedelta(seconds=2)


def stored_plan(store):
    session = store.create_session("alice")
    plan = a_plan(session)
    store.save(
        session,
        changes=SessionChanges(
            current_plan_id=plan.plan_id, current_plan_created_at=plan.created_at
        ),
        new_plan=plan,
    )
    return store.get_plan(plan.plan_id)


def observed(plan, status="running", **fields) -> StatusSnapshot:
    step = ExecutionUpdate(plan_id=plan.plan_id, step_index=1, step_name="build", status=status)
    return StatusSnapshot(plan_id=plan.plan_id, plan_version=plan.version, steps=[step],
                          observed_at=utcnow().replace(microsecond=0), **fields)  # fmt: skip


def lease(token: str, at, interval=INTERVAL) -> Lease:
    return Lease(token=token, taken_at=at, interval=interval)


def test_a_plan_reads_with_no_snapshot_until_one_is_claimed(store):
    plan = stored_plan(store)
    assert store.get_plan_with_status(plan.plan_id) == (plan, None)
    assert store.get_plan_with_status(str(uuid.uuid4())) == (None, None)
    assert store.claim_status_refresh(plan, None, lease("a", utcnow()))
    read, snapshot = store.get_plan_with_status(plan.plan_id)
    assert read == plan and snapshot.steps is None and snapshot.observed_at is None


def test_one_of_many_concurrent_claims_wins_and_only_it_can_write(store):
    plan = stored_plan(store)
    now = utcnow()
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(
            lambda token: store.claim_status_refresh(plan, None, lease(token, now)),
            [f"t{i}" for i in range(8)],
        ))  # fmt: skip
    assert won.count(True) == 1
    winner = f"t{won.index(True)}"
    loser = next(f"t{i}" for i, w in enumerate(won) if not w)
    assert not store.save_status_snapshot(
        observed(plan, "failed"), lease(loser, now), plan.expires_at
    )
    snapshot = observed(plan)
    assert store.save_status_snapshot(snapshot, lease(winner, now), plan.expires_at)
    assert store.get_plan_with_status(plan.plan_id) == (plan, snapshot)


def test_a_recent_snapshot_is_not_claimed_an_older_one_is_once(store):
    plan = stored_plan(store)
    snapshot = observed(plan)
    now = snapshot.observed_at
    assert store.claim_status_refresh(plan, None, lease("a", now))
    assert store.save_status_snapshot(snapshot, lease("a", now), plan.expires_at)
    assert not store.claim_status_refresh(plan, snapshot, lease("b", now + INTERVAL / 2))
    later = now + INTERVAL * 2
    assert store.claim_status_refresh(plan, snapshot, lease("b", later))
    assert not store.claim_status_refresh(plan, snapshot, lease("c", later))  # leased
    # While "b" refreshes, the last observation stays readable.
    assert store.get_plan_with_status(plan.plan_id)[1] == snapshot
    assert store.claim_status_refresh(plan, snapshot, lease("c", later + INTERVAL * 2))


def test_a_snapshot_of_another_plan_version_is_claimed_at_once(store):
    plan = stored_plan(store)
    snapshot = observed(plan)
    now = snapshot.observed_at - INTERVAL * 0.9  # the refresh took most of the interval
    assert store.claim_status_refresh(plan, None, lease("a", now))
    assert store.save_status_snapshot(snapshot, lease("a", now), plan.expires_at)
    changed = plan.model_copy(update={"version": plan.version + 1})
    later = now + INTERVAL * 1.5  # past the lease, within the snapshot's interval
    assert not store.claim_status_refresh(plan, snapshot, lease("b", later))
    assert store.claim_status_refresh(changed, snapshot, lease("b", later))


def test_a_final_or_stale_snapshot_round_trips_and_a_final_one_is_never_claimed(store):
    plan = stored_plan(store)
    now = utcnow()
    assert store.claim_status_refresh(plan, None, lease("a", now))
    final = observed(plan, "skipped", final=True, stale=True)
    assert store.save_status_snapshot(final, lease("a", now), plan.expires_at)
    assert store.get_plan_with_status(plan.plan_id)[1] == final
    assert not store.claim_status_refresh(plan, final, lease("b", now + INTERVAL * 10))


def test_a_kept_lease_holds_off_the_next_claim_a_released_one_does_not(store):
    plan = stored_plan(store)
    snapshot = observed(plan)
    now = snapshot.observed_at + INTERVAL * 2  # the snapshot is old from here on
    assert store.claim_status_refresh(plan, snapshot, lease("a", now))
    stale = snapshot.model_copy(update={"stale": True})
    assert store.save_status_snapshot(stale, lease("a", now), plan.expires_at, keep_lease=True)
    assert store.get_plan_with_status(plan.plan_id)[1] == stale
    assert not store.claim_status_refresh(plan, stale, lease("b", now + INTERVAL / 2))
    later = now + INTERVAL * 1.5
    assert store.claim_status_refresh(plan, stale, lease("b", later))
    assert store.save_status_snapshot(stale, lease("b", later), plan.expires_at)
    assert store.claim_status_refresh(plan, stale, lease("c", later))  # released, still old
