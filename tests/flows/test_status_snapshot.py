"""Watching a run (issue 18), on both hosts and both stores (DynamoDB Local included), against the
stand-in: many pollers share one orchestrator refresh per poll interval; a refresh that fails
keeps the last snapshot, marked stale; a finished run costs the orchestrator nothing; /poll,
/status and the plan view answer 304 to an If-None-Match naming their ETag; and the snapshot is
never shown to another person.

The poll interval is a minute here, so the whole test happens within one interval; a snapshot is
made old by writing it back through the store with an old observation time."""

import asyncio
from datetime import timedelta

import pytest

from shared.services.context import settings_dependency
from shared.settings import Settings
from shared.store.records import Lease, utcnow

SIX_STEPS = (
    "back up the database, migrate it, build, test and deploy the api service, then monitor it"
)
INTERVAL_MS = 60_000
POLLERS = 25


@pytest.fixture
def watched(dashboard):
    settings = Settings(session_store="memory", poll_interval_ms=INTERVAL_MS)
    dashboard.app.dependency_overrides[settings_dependency] = lambda: settings
    return dashboard


def _url(plan_id: str, what: str = "poll") -> str:
    return f"/api/dashboard/plan/{plan_id}" + (f"/{what}" if what else "")


async def _running(dashboard, task_seconds: float = 30) -> tuple[str, str]:
    session_id = await dashboard.new_session()
    plan_id = (await dashboard.chat(session_id, SIX_STEPS)).json()["plan"]["plan_id"]
    await dashboard.configure(task_seconds=task_seconds)
    assert (await dashboard.act(plan_id, "approve", session_id)).status_code == 200
    return session_id, plan_id


async def _get(dashboard, plan_id: str, what: str = "poll", user: str = "alice", **headers):
    return await dashboard.client.get(
        _url(plan_id, what), headers={**dashboard.as_(user), **headers}
    )


async def _task_status_calls(dashboard) -> int:
    return (await dashboard.calls()).get("task_status", 0)


def _age(store, plan_id: str, by: timedelta) -> None:
    """Make the plan's snapshot `by` older, through the store's own claim and write."""
    plan, snapshot = store.get_plan_with_status(plan_id)
    then = snapshot.observed_at - by
    interval = timedelta(milliseconds=INTERVAL_MS)
    later = snapshot.observed_at + 2 * interval  # when the snapshot is old enough to claim
    lease = Lease(token="test", taken_at=later, interval=interval)
    assert store.claim_status_refresh(plan, snapshot, lease)
    older = snapshot.model_copy(update={"observed_at": then})
    assert store.save_status_snapshot(older, lease, plan.expires_at)  # and the lease released


async def test_many_pollers_share_one_refresh_per_interval(watched):
    _, plan_id = await _running(watched)
    first = await _get(watched, plan_id)
    assert first.status_code == 200, first.text
    steps = len(first.json()["steps"])
    assert steps == 6 and await _task_status_calls(watched) == steps  # one refresh

    answers = await asyncio.gather(*(_get(watched, plan_id, what) for what in
                                     ("poll", "status", "") * POLLERS))  # fmt: skip
    assert all(a.status_code == 200 for a in answers)
    assert await _task_status_calls(watched) == steps  # answered from the snapshot

    _age(watched.store, plan_id, timedelta(minutes=5))
    answers = await asyncio.gather(*(_get(watched, plan_id) for _ in range(POLLERS)))
    assert all(a.status_code == 200 and not a.json()["stale"] for a in answers)
    assert await _task_status_calls(watched) == 2 * steps  # one refresh for all of them


async def test_a_failed_refresh_keeps_the_last_snapshot_marked_stale(watched):
    _, plan_id = await _running(watched)
    seen = (await _get(watched, plan_id)).json()
    _age(watched.store, plan_id, timedelta(minutes=5))
    watched.link.faults = {"task_status": "http_500"}
    stale = await _get(watched, plan_id)
    assert stale.status_code == 200, stale.text
    body = stale.json()
    assert body["stale"] is True and body["steps"] == seen["steps"]
    observed = utcnow() - timedelta(minutes=5)
    assert body["last_update"] < observed.isoformat().replace("+00:00", "Z")  # its age shows
    status = (await _get(watched, plan_id, "status")).json()
    assert status["stale"] is True and status["observed_at"] == body["last_update"]


async def test_without_any_snapshot_a_failed_refresh_is_an_error_as_before(watched):
    _, plan_id = await _running(watched)
    watched.link.faults = {"task_status": "http_500"}
    answer = await _get(watched, plan_id)
    assert answer.status_code == 502, answer.text


async def test_a_finished_run_costs_the_orchestrator_nothing(watched):
    session_id, plan_id = await _running(watched)
    assert (await _get(watched, plan_id)).status_code == 200
    assert (await watched.act(plan_id, "abort", session_id)).status_code == 200
    ended = await _get(watched, plan_id, "status")  # the run changed: observed once more
    assert ended.json()["status"] == "aborted"
    before = await watched.calls()
    for what in ("poll", "status", "") * 3:
        assert (await _get(watched, plan_id, what)).status_code == 200
    assert await watched.calls() == before


async def _ended(dashboard, task_id: str) -> None:
    url = f"/api/v1/status/{task_id}"
    for _ in range(500):
        if (await dashboard.orchestrator.get(url)).json()["status"] in ("completed", "failed"):
            return
        await asyncio.sleep(0.02)  # noqa: ASYNC110 - the stand-in's own clock runs the task
    raise AssertionError(f"task {task_id} never ended")


async def test_a_completed_run_costs_the_orchestrator_nothing(watched):
    _, plan_id = await _running(watched, task_seconds=0.05)
    tasks = [t.task_id for t in watched.store.get_plan(plan_id).dispatched_tasks]
    for task_id in tasks:  # wait at the stand-in itself until every task ended
        await _ended(watched, task_id)
    assert (await _get(watched, plan_id, "status")).json()["status"] == "completed"
    before = await watched.calls()
    for what in ("poll", "status", "") * 3:
        assert (await _get(watched, plan_id, what)).status_code == 200
    assert await watched.calls() == before


@pytest.mark.parametrize("what", ["poll", "status", ""])
async def test_an_unchanged_answer_is_304_without_a_body(watched, what):
    _, plan_id = await _running(watched)
    first = await _get(watched, plan_id, what)
    tag = first.headers["ETag"]
    again = await _get(watched, plan_id, what, **{"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == tag
    other = await _get(watched, plan_id, what, **{"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.json() == first.json()


async def test_a_changed_answer_gets_a_new_etag(watched):
    _, plan_id = await _running(watched)
    tag = (await _get(watched, plan_id)).headers["ETag"]
    _age(watched.store, plan_id, timedelta(minutes=5))
    watched.link.faults = {"task_status": "http_500"}
    stale = await _get(watched, plan_id, **{"If-None-Match": tag})  # stale now: not the same
    assert stale.status_code == 200 and stale.headers["ETag"] != tag


@pytest.mark.parametrize("what", ["poll", "status", ""])
async def test_another_person_gets_404_and_no_snapshot(watched, what):
    _, plan_id = await _running(watched)
    mine = await _get(watched, plan_id, what)
    answer = await _get(
        watched, plan_id, what, user="mallory", **{"If-None-Match": mine.headers["ETag"]}
    )
    assert answer.status_code == 404, answer.text
    assert "steps" not in answer.text
