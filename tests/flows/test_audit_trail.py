"""The audit trail of a plan (issue 17) over real flows with the stand-in, on both hosts and both
stores: every decision and action in order, with who, when, the comment and the outcome the
orchestrator confirmed; owner-scoped; still there after the session is deleted. And approval
expiry, driven by APPROVAL_TTL_SECONDS."""

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest

from shared.errors import StoreUnavailable
from shared.services import expiry, plans, rules, sessions
from shared.services.context import orchestrator_dependency, settings_dependency, store_dependency
from shared.settings import Settings
from shared.store.memory import InMemorySessionStore
from shared.store.records import utcnow

DEPLOY = "build and deploy the api service to staging"


async def trail(dashboard, plan_id: str, user: str = "alice"):
    return await dashboard.client.get(
        f"/api/dashboard/plan/{plan_id}/audit", headers=dashboard.as_(user)
    )


async def entries(dashboard, plan_id: str) -> list[dict]:
    answer = await trail(dashboard, plan_id)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["plan_id"] == plan_id
    return body["entries"]


def summary(found: list[dict]) -> list[tuple]:
    return [(e["action"], e["actor"], e["comment"], e["outcome"]) for e in found]


def abort_outcome(body: dict) -> str:
    """The outcome an abort's answer stands for, as the trail records it."""
    cancelled, finished = body["cancelled_tasks"], body["already_finished_tasks"]
    return f"aborted: {cancelled} cancelled, {finished} finished"


async def planned(dashboard, user: str = "alice") -> tuple[str, str]:
    session_id = await dashboard.new_session(user)
    answer = await dashboard.chat(session_id, DEPLOY, user)
    assert answer.status_code == 200, answer.text
    return session_id, answer.json()["plan"]["plan_id"]


async def finished(dashboard, plan_id: str) -> dict:
    """Follow the run as the page does until the status says it ended (the stand-in's own clock
    runs the steps)."""
    for _ in range(500):
        status = (await dashboard.client.get(f"/api/dashboard/plan/{plan_id}/status")).json()
        if status["status"] in ("completed", "failed", "aborted"):
            return status
        await asyncio.sleep(0.02)  # noqa: ASYNC110 - waiting for the stand-in's steps
    raise AssertionError("the run never ended")


async def test_created_approved_and_run_finished_in_order_with_who_why_and_outcome(dashboard):
    before = utcnow()
    session_id, plan_id = await planned(dashboard)
    approved = await dashboard.act(plan_id, "approve", session_id, extra={"comment": " ship it "})
    assert approved.status_code == 200, approved.text
    assert (await finished(dashboard, plan_id))["status"] == "completed"

    found = await entries(dashboard, plan_id)

    assert summary(found) == [
        ("created", "alice", None, None),
        ("approved", "alice", "ship it", "executing: 2 of 2 steps dispatched"),
        ("run_finished", "system", None, "completed"),
    ]
    assert all(e["plan_id"] == plan_id and e["session_id"] == session_id for e in found)
    assert all((e["revision"], e["previous_plan_id"]) == (1, None) for e in found)
    moments = [datetime.fromisoformat(e["at"]) for e in found]
    assert before <= moments[0] <= moments[1] <= moments[2] <= utcnow()
    assert [e["id"] for e in found] == sorted(e["id"] for e in found)  # time-ordered ids
    assert len({uuid.UUID(e["id"]) for e in found}) == 3
    # The comment is in the history too, with the decision it was given with.
    decision = next(m for m in await dashboard.history(session_id) if m["content"].startswith(
        "Approved."))  # fmt: skip
    assert decision["content"].endswith(' Comment: "ship it"')
    assert decision["metadata"]["comment"] == "ship it"


async def test_a_revision_is_recorded_with_the_plan_it_replaces(dashboard):
    session_id, first = await planned(dashboard)
    second = (await dashboard.chat(session_id, "also run the tests")).json()["plan"]["plan_id"]
    found = await entries(dashboard, second)
    assert summary(found) == [("revised", "alice", None, None)]
    assert (found[0]["revision"], found[0]["previous_plan_id"]) == (2, first)
    assert [e["action"] for e in await entries(dashboard, first)] == ["created"]


async def test_a_rejection_is_recorded_with_its_comment_once_the_orchestrator_confirmed(dashboard):
    session_id, plan_id = await planned(dashboard)
    answer = await dashboard.act(plan_id, "reject", session_id, extra={"comment": "wrong region"})
    assert answer.status_code == 200, answer.text
    assert summary(await entries(dashboard, plan_id)) == [
        ("created", "alice", None, None),
        ("rejected", "alice", "wrong region", "rejected"),
    ]
    last = (await dashboard.history(session_id))[-1]
    assert last["content"].startswith('The plan was rejected. Comment: "wrong region"')
    assert last["metadata"]["comment"] == "wrong region"


async def test_an_abort_is_recorded_with_what_the_orchestrator_cancelled(dashboard):
    await dashboard.configure(task_seconds=60)  # the run stays running
    session_id, plan_id = await planned(dashboard)
    assert (await dashboard.act(plan_id, "approve", session_id)).status_code == 200
    answer = await dashboard.act(plan_id, "abort", session_id, extra={"comment": "wrong build"})
    assert answer.status_code == 200, answer.text
    outcome = abort_outcome(answer.json())
    assert summary(await entries(dashboard, plan_id)) == [
        ("created", "alice", None, None),
        ("approved", "alice", None, "executing: 2 of 2 steps dispatched"),
        ("aborted", "alice", "wrong build", outcome),
    ]
    assert (await dashboard.history(session_id))[-1]["content"].endswith(' Comment: "wrong build"')


async def test_an_abort_racing_a_poll_that_sees_the_run_end_is_still_recorded(
    dashboard, monkeypatch
):
    """A poll records the run ended (cancelled) between the abort's cancels and its record: the
    person's abort, with its comment, is recorded all the same, once."""
    await dashboard.configure(task_seconds=60)
    session_id, plan_id = await planned(dashboard)
    assert (await dashboard.act(plan_id, "approve", session_id)).status_code == 200
    record_abort = plans._record_abort

    def after_a_poll(ctx, session, plan, *args):
        assert plans.status(ctx, plan.plan_id).status == "aborted"
        record_abort(ctx, session, plan, *args)

    monkeypatch.setattr(plans, "_record_abort", after_a_poll)
    answer = await dashboard.act(plan_id, "abort", session_id, extra={"comment": "wrong build"})
    assert answer.status_code == 200, answer.text
    monkeypatch.setattr(plans, "_record_abort", record_abort)
    again = await dashboard.act(plan_id, "abort", session_id, extra={"comment": "again"})
    assert again.status_code == 200, again.text

    outcome = abort_outcome(answer.json())
    assert summary(await entries(dashboard, plan_id)) == [
        ("created", "alice", None, None),
        ("approved", "alice", None, "executing: 2 of 2 steps dispatched"),
        ("run_finished", "system", None, outcome),
        ("aborted", "alice", "wrong build", outcome),
    ]
    comments = [m for m in await dashboard.history(session_id) if "wrong build" in m["content"]]
    assert len(comments) == 1 and comments[0]["metadata"]["comment"] == "wrong build"


async def test_a_lost_approval_is_unknown_until_the_orchestrator_says_it_runs(dashboard):
    session_id, plan_id = await planned(dashboard)
    await dashboard.configure(task_seconds=30)
    # The orchestrator dispatches, then neither its answer nor the status check comes back.
    dashboard.link.faults = {"approve": "hang", "plan_status": "hang"}
    lost = await dashboard.act(plan_id, "approve", session_id, extra={"comment": "go"})
    assert lost.status_code == 504, lost.text
    assert summary(await entries(dashboard, plan_id)) == [
        ("created", "alice", None, None),
        ("approval_unknown", "alice", "go", None),
    ]
    dashboard.link.faults = {}
    assert (await dashboard.act(plan_id, "approve", session_id)).status_code == 200
    assert summary(await entries(dashboard, plan_id))[2:] == [
        # It runs; its step ids were lost. Who asked, and why, was kept by the claim.
        ("approved", "alice", "go", "untracked: settled by the system")
    ]


class UnknownNotNoted:
    """The store, down for the one write that notes an approval's outcome as unknown."""

    def __init__(self, store):
        self._store = store

    def save(self, session, **parts):
        if any(entry.action == "approval_unknown" for entry in parts.get("audit", ())):
            raise StoreUnavailable("The session store cannot be reached; try again shortly.")
        return self._store.save(session, **parts)

    def __getattr__(self, name):
        return getattr(self._store, name)


@pytest.mark.parametrize("then", ["abort", "status"])
@pytest.mark.parametrize("cut", ["note-lost", "stopped"])
async def test_an_approval_cut_off_after_its_claim_is_credited_to_who_asked(
    dashboard, monkeypatch, cut, then
):
    """Approve was cut off after its claim, with nothing but the claim written: its note of the
    unknown outcome failed, or the function stopped once the orchestrator had the approval. The
    next action learns the plan runs, and the trail names the person who approved it, and why."""
    session_id, plan_id = await planned(dashboard)
    await dashboard.configure(task_seconds=30)
    if cut == "note-lost":
        lossy = UnknownNotNoted(dashboard.store)
        dashboard.app.dependency_overrides[store_dependency] = lambda: lossy
        dashboard.link.faults = {"approve": "hang", "plan_status": "hang"}
    else:
        orchestrator = dashboard.app.dependency_overrides[orchestrator_dependency]()
        sent = orchestrator.approve

        def stopped_after_sending(*args, **kwargs):
            sent(*args, **kwargs)
            raise RuntimeError("the function was stopped")  # as a Lambda timeout cuts it off

        monkeypatch.setattr(orchestrator, "approve", stopped_after_sending)
    cut_off = await dashboard.act(plan_id, "approve", session_id, extra={"comment": "go"})
    assert cut_off.status_code == (504 if cut == "note-lost" else 500), cut_off.text
    assert [e["action"] for e in await entries(dashboard, plan_id)] == ["created"]

    dashboard.link.faults = {}
    dashboard.app.dependency_overrides[store_dependency] = lambda: dashboard.store
    # Later: the claim is old enough to settle (nothing said its request gave up on it).
    monkeypatch.setattr(rules, "utcnow", lambda: utcnow() + timedelta(minutes=10))
    if then == "abort":
        refused = await dashboard.act(plan_id, "abort", session_id)
        assert refused.status_code == 409, refused.text  # an untracked run: it says so
    else:
        answer = await dashboard.client.get(f"/api/dashboard/plan/{plan_id}/status")
        assert answer.json()["status"] == "untracked", answer.text
    assert summary(await entries(dashboard, plan_id)) == [
        ("created", "alice", None, None),
        ("approved", "alice", "go", "untracked: settled by the system"),
    ]
    noted = [(m["metadata"] or {}).get("comment") for m in await dashboard.history(session_id)]
    assert [comment for comment in noted if comment] == ["go"]


async def test_a_rejection_racing_a_delete_of_its_session_is_still_recorded(dashboard, monkeypatch):
    """The orchestrator confirmed the rejection, then the session was deleted before the
    rejection was written down: the decision stands, and so does its audit entry."""
    session_id, plan_id = await planned(dashboard)
    record_rejection = plans._record_rejection

    def after_a_delete(ctx, session, plan, decision):
        sessions.delete_session(ctx, session.session_id)
        record_rejection(ctx, session, plan, decision)

    monkeypatch.setattr(plans, "_record_rejection", after_a_delete)
    answer = await dashboard.act(plan_id, "reject", session_id, extra={"comment": "in freeze"})

    assert answer.status_code == 200, answer.text
    assert (await dashboard.calls())["approve"] == 1
    assert summary(await entries(dashboard, plan_id)) == [
        ("created", "alice", None, None),
        ("rejected", "alice", "in freeze", "rejected"),
    ]
    assert (await dashboard.client.get(f"/api/dashboard/session/{session_id}")).status_code == 404


class AnswersLost:
    """The store, where a write of a rejection's record goes through and its answer is lost (a
    timeout after DynamoDB applied it), so its writer sees a store fault: every time, or once
    with the store down for the writes after it (the record is then appended by itself)."""

    def __init__(self, store, then_down: bool):
        self._store, self._then_down, self._tries = store, then_down, 0

    def save(self, session, **parts):
        if not any(entry.action == "rejected" for entry in parts.get("audit", ())):
            return self._store.save(session, **parts)
        self._tries += 1
        if self._tries == 1 or not self._then_down:
            self._store.save(session, **parts)
        raise StoreUnavailable("The session store cannot be reached; try again shortly.")

    def __getattr__(self, name):
        return getattr(self._store, name)


@pytest.mark.parametrize("then_down", [False, True], ids=["every-answer-lost", "then-down"])
async def test_a_rejection_whose_write_went_through_unconfirmed_is_recorded_once(
    dashboard, then_down
):
    session_id, plan_id = await planned(dashboard)
    lossy = AnswersLost(dashboard.store, then_down)
    dashboard.app.dependency_overrides[store_dependency] = lambda: lossy

    answer = await dashboard.act(plan_id, "reject", session_id, extra={"comment": "not now"})

    assert answer.status_code == 200, answer.text
    assert summary(await entries(dashboard, plan_id)) == [
        ("created", "alice", None, None),
        ("rejected", "alice", "not now", "rejected"),
    ]
    said = [m["content"] for m in await dashboard.history(session_id)]
    assert [line for line in said if line.startswith("The plan was rejected.")] == [
        'The plan was rejected. Comment: "not now" Send a new request whenever you like.'
    ]


async def test_a_rejection_the_orchestrator_never_got_is_not_recorded(dashboard):
    session_id, plan_id = await planned(dashboard)
    dashboard.link.faults = {"approve": "refused"}
    failed = await dashboard.act(plan_id, "reject", session_id, extra={"comment": "no"})
    assert failed.status_code == 503, failed.text
    assert [e["action"] for e in await entries(dashboard, plan_id)] == ["created"]


async def test_the_trail_is_the_owners_only(dashboard):
    _, plan_id = await planned(dashboard)
    for user, plan in (("bob", plan_id), ("alice", str(uuid.uuid4())), ("alice", "not-a-uuid")):
        answer = await trail(dashboard, plan, user)
        assert answer.status_code == 404, (user, plan)
        assert answer.json()["error"]["code"] == "not_found"


def forget_the_trail(store, plan_id: str) -> None:
    """As for a plan made before the trail existed."""
    if isinstance(store, InMemorySessionStore):
        store._audit.pop(plan_id)
        return
    client, table = store._client, store._table
    for item in client.query(
        TableName=table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :audit)",
        ExpressionAttributeValues={":pk": {"S": f"PLAN#{plan_id}"}, ":audit": {"S": "AUDIT#"}},
    )["Items"]:
        client.delete_item(TableName=table, Key={"PK": item["PK"], "SK": item["SK"]})


async def test_a_plan_of_ones_own_without_entries_has_an_empty_trail(dashboard):
    _, plan_id = await planned(dashboard)
    forget_the_trail(dashboard.store, plan_id)

    answer = await trail(dashboard, plan_id)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"plan_id": plan_id, "entries": []}
    refused = await trail(dashboard, plan_id, "bob")
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"


async def test_the_trail_outlives_the_deleted_session(dashboard):
    session_id, plan_id = await planned(dashboard)
    assert (await dashboard.act(plan_id, "reject", session_id)).status_code == 200
    kept = await entries(dashboard, plan_id)
    deleted = await dashboard.client.delete(
        f"/api/dashboard/session/{session_id}", headers=dashboard.as_("alice")
    )
    assert deleted.status_code == 204, deleted.text
    plan = await dashboard.client.get(
        f"/api/dashboard/plan/{plan_id}", headers=dashboard.as_("alice")
    )
    assert plan.status_code == 404
    assert await entries(dashboard, plan_id) == kept
    assert (await trail(dashboard, plan_id, "bob")).status_code == 404


# Approval expiry -------------------------------------------------------------------------------


class Clock:
    """The time the expiry rules see, moved on by the test (the stores keep the real time)."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.ahead


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(expiry, "utcnow", moved)
    return moved


async def view(dashboard, plan_id: str) -> dict:
    answer = await dashboard.client.get(
        f"/api/dashboard/plan/{plan_id}", headers=dashboard.as_("alice")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_an_expired_plan_cannot_be_approved_and_is_recorded_once(dashboard, clock):
    settings = Settings(approval_ttl_seconds=600)
    dashboard.app.dependency_overrides[settings_dependency] = lambda: settings
    session_id, plan_id = await planned(dashboard)
    created = datetime.fromisoformat((await entries(dashboard, plan_id))[0]["at"])

    fresh = await view(dashboard, plan_id)
    deadline = datetime.fromisoformat(fresh["approval_expires_at"])
    assert (fresh["expired"], fresh["can_approve"]) == (False, True)
    assert abs(deadline - created - timedelta(seconds=600)) < timedelta(seconds=1)

    clock.ahead = timedelta(seconds=601)
    stale = await view(dashboard, plan_id)
    assert (stale["expired"], stale["can_approve"], stale["can_modify"]) == (True, False, True)
    assert stale["approval_expires_at"] == fresh["approval_expires_at"]
    for _ in range(2):
        refused = await dashboard.act(plan_id, "approve", session_id)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "plan_expired"
        assert refused.json()["error"]["message"].startswith("expired: ask for a fresh plan")
    assert (await dashboard.calls())["approve"] == 0
    assert summary(await entries(dashboard, plan_id)) == [
        ("created", "alice", None, None),
        ("expired", "system", None, None),
    ]
    # The trail records it; the history is left as it was (the view and the 409 say it).
    assert not [m for m in await dashboard.history(session_id) if "expired" in m["content"]]

    # A fresh plan, asked for by a modification, can be approved.
    clock.ahead = timedelta(0)
    fresh_plan = (await dashboard.chat(session_id, "also run the tests")).json()["plan"]
    assert (fresh_plan["can_approve"], fresh_plan["expired"]) == (True, False)
    approved = await dashboard.act(fresh_plan["plan_id"], "approve", session_id)
    assert approved.status_code == 200, approved.text
    assert approved.json()["plan"]["approval_expires_at"] is None


async def test_an_expired_plan_rejected_or_replaced_is_recorded_expired_first(dashboard, clock):
    settings = Settings(approval_ttl_seconds=600)
    dashboard.app.dependency_overrides[settings_dependency] = lambda: settings
    session_id, rejected = await planned(dashboard)
    clock.ahead = timedelta(seconds=601)
    assert (await view(dashboard, rejected))["expired"] is True  # the view only looks
    assert [e["action"] for e in await entries(dashboard, rejected)] == ["created"]

    answer = await dashboard.act(rejected, "reject", session_id, extra={"comment": "too late"})

    assert answer.status_code == 200, answer.text
    assert summary(await entries(dashboard, rejected)) == [
        ("created", "alice", None, None),
        ("expired", "system", None, None),
        ("rejected", "alice", "too late", "rejected"),
    ]

    clock.ahead = timedelta(0)
    replaced = (await dashboard.chat(session_id, DEPLOY)).json()["plan"]["plan_id"]
    clock.ahead = timedelta(seconds=601)
    revision = await dashboard.chat(session_id, "also run the tests")
    assert revision.status_code == 200, revision.text
    assert summary(await entries(dashboard, replaced)) == [
        ("created", "alice", None, None),
        ("expired", "system", None, None),
    ]
    assert [e["action"] for e in await entries(dashboard, revision.json()["plan"]["plan_id"])] == [
        "revised"
    ]

    # Once decided on, each still says it expired, and when, as recorded (whatever the clock).
    clock.ahead = timedelta(0)
    for plan_id in (rejected, replaced):
        shown = await view(dashboard, plan_id)
        assert (shown["expired"], shown["can_approve"]) == (True, False)
        created = datetime.fromisoformat((await entries(dashboard, plan_id))[0]["at"])
        deadline = datetime.fromisoformat(shown["approval_expires_at"])
        assert abs(deadline - created - timedelta(seconds=600)) < timedelta(seconds=1)


async def deadlines(dashboard, session_id: str) -> tuple:
    """Until when the session's plan can be approved, as the session and the list say it."""
    session = await dashboard.client.get(
        f"/api/dashboard/session/{session_id}", headers=dashboard.as_("alice")
    )
    listed = await dashboard.client.get("/api/dashboard/sessions", headers=dashboard.as_("alice"))
    (summary,) = [s for s in listed.json()["sessions"] if s["session_id"] == session_id]
    return session.json()["plan_approval_expires_at"], summary["plan_approval_expires_at"]


async def test_the_session_and_the_list_say_until_when_its_plan_can_be_approved(dashboard, clock):
    """What the sessions list needs to say a plan expired without reading each plan: the same
    deadline as the plan view's, for the plan under review, and none once nothing waits."""
    settings = Settings(approval_ttl_seconds=600)
    dashboard.app.dependency_overrides[settings_dependency] = lambda: settings
    session_id, plan_id = await planned(dashboard)
    first = (await view(dashboard, plan_id))["approval_expires_at"]
    assert await deadlines(dashboard, session_id) == (first, first)

    clock.ahead = timedelta(seconds=30)  # a fresh plan has a later deadline
    revision = (await dashboard.chat(session_id, "also run the tests")).json()["plan"]
    assert revision["approval_expires_at"] > first
    assert await deadlines(dashboard, session_id) == (revision["approval_expires_at"],) * 2

    # A rejection the orchestrator could not be told is undone: the plan waits again.
    dashboard.link.fault = "refused"
    undone = await dashboard.act(revision["plan_id"], "reject", session_id)
    dashboard.link.fault = None
    assert undone.status_code == 503, undone.text
    assert await deadlines(dashboard, session_id) == (revision["approval_expires_at"],) * 2

    rejected = await dashboard.act(revision["plan_id"], "reject", session_id)
    assert rejected.status_code == 200, rejected.text
    assert await deadlines(dashboard, session_id) == (None, None)


async def test_a_plan_within_the_setting_is_approved(dashboard, clock):
    settings = Settings(approval_ttl_seconds=600)
    dashboard.app.dependency_overrides[settings_dependency] = lambda: settings
    session_id, plan_id = await planned(dashboard)
    clock.ahead = timedelta(seconds=590)
    assert (await view(dashboard, plan_id))["can_approve"] is True
    assert (await dashboard.act(plan_id, "approve", session_id)).status_code == 200
