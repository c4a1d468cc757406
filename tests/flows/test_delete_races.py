"""A DELETE of a session racing an approve or a chat turn of it (issue 17), on both hosts and
both stores. One of the two wins cleanly: the delete is refused (409 session_busy) while an
approval is in flight, or the approve answers 404 and nothing reaches the orchestrator; a chat
turn cut off by the delete answers 404 or 409 and leaves no plan or message behind.

A race is driven by pausing one request at a chosen point (a store write, or its call to the
orchestrator) in the worker thread that serves it, sending the other request meanwhile, then
letting the first one go on."""

import asyncio
import threading
from collections.abc import Awaitable, Callable

from httpx import Response

from shared.services.context import store_dependency
from tests.flows.test_delete_session import DEPLOY, assert_gone, delete, get

WAIT = 30  # seconds a paused request is waited for: a bound against hanging, not a timing


class Pause:
    """Holds the first call that `matches` (in the thread serving the request) until released."""

    def __init__(self, matches: Callable[..., bool]):
        self.matches = matches
        self.reached, self.released = threading.Event(), threading.Event()
        self._taken = threading.Lock()
        self.caught: dict = {}

    def hold(self, *args, **kwargs) -> None:
        if not self.matches(*args, **kwargs) or not self._taken.acquire(blocking=False):
            return  # not the call to hold, or not the first one
        self.caught = kwargs
        self.reached.set()
        self.released.wait(WAIT)

    async def reached_by(self, request: asyncio.Task) -> None:
        waiting = asyncio.ensure_future(asyncio.to_thread(self.reached.wait, WAIT))
        await asyncio.wait({waiting, request}, return_when=asyncio.FIRST_COMPLETED)
        assert self.reached.is_set(), "the request finished without reaching the pause"

    def release(self) -> None:
        self.released.set()


class PausingStore:
    """The dashboard's store, with one of its methods held where the test says."""

    def __init__(self, store, method: str, pause: Pause):
        self._store, self._method, self._pause = store, method, pause

    def __getattr__(self, name):
        method = getattr(self._store, name)
        if name != self._method:
            return method

        def held(*args, **kwargs):
            self._pause.hold(*args, **kwargs)
            return method(*args, **kwargs)

        return held


def pause_store(dashboard, method: str, matches: Callable[..., bool]) -> Pause:
    pause = Pause(matches)
    paused = PausingStore(dashboard.store, method, pause)
    dashboard.app.dependency_overrides[store_dependency] = lambda: paused
    return pause


def pause_orchestrator(dashboard, kind: str) -> Pause:
    pause = Pause(lambda sent: sent == kind)
    dashboard.link.before_send = pause.hold
    return pause


def marking_for_deletion(session, changes=None, **_) -> bool:
    return changes is not None and changes.deleting


def claiming_approval(session, plan_update=None, **_) -> bool:
    return plan_update is not None and plan_update[1].state == "approving"


def storing_a_new_plan(session, new_plan=None, **_) -> bool:
    return new_plan is not None


def any_call(*_, **__) -> bool:
    return True


async def calls_of(dashboard, kind: str) -> int:
    return (await dashboard.calls()).get(kind, 0)


async def session_with_a_plan(dashboard) -> tuple[str, str]:
    session_id = await dashboard.new_session()
    answer = await dashboard.chat(session_id, DEPLOY)
    assert answer.status_code == 200, answer.text
    return session_id, answer.json()["plan"]["plan_id"]


# (a) approve against DELETE


async def race(pause: Pause, paused: Awaitable[Response], other: Callable[[], Awaitable[Response]]):
    """Send `paused` and hold it at the pause, send `other` meanwhile, then let the first go on.
    The answers: the paused request's, then the other's."""
    held = asyncio.ensure_future(paused)
    await pause.reached_by(held)
    try:
        second = await other()
    finally:
        pause.release()
    return await held, second


async def assert_the_approval_won(dashboard, approved, refused, session_id, plan_id) -> None:
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "session_busy"
    assert approved.status_code == 200, approved.text
    assert approved.json()["execution_started"] is True
    assert await calls_of(dashboard, "approve") == 1
    assert (await get(dashboard, f"/session/{session_id}")).json()["status"] == "executing"
    assert (await get(dashboard, f"/plan/{plan_id}")).json()["can_abort"] is True


async def assert_the_delete_won(dashboard, deleted, approved, session_id, plan_id) -> None:
    assert deleted.status_code == 204, deleted.text
    assert approved.status_code == 404, approved.text
    assert approved.json()["error"]["code"] == "not_found"
    assert await calls_of(dashboard, "approve") == 0  # nothing was sent, so nothing runs
    await assert_gone(dashboard, session_id, [plan_id])


async def test_a_delete_while_the_approval_is_with_the_orchestrator_is_refused(dashboard):
    await dashboard.configure(task_seconds=60)  # the run stays running
    session_id, plan_id = await session_with_a_plan(dashboard)
    pause = pause_orchestrator(dashboard, "approve")

    approved, refused = await race(
        pause, dashboard.act(plan_id, "approve", session_id), lambda: delete(dashboard, session_id)
    )

    await assert_the_approval_won(dashboard, approved, refused, session_id, plan_id)


async def test_a_delete_whose_mark_lost_to_an_approval_is_refused(dashboard):
    """The delete read the session (nothing running yet), then the approve claimed it and
    dispatched the run before the delete's mark was written: read again, the session is busy."""
    await dashboard.configure(task_seconds=60)
    session_id, plan_id = await session_with_a_plan(dashboard)
    pause = pause_store(dashboard, "save", marking_for_deletion)

    refused, approved = await race(
        pause, delete(dashboard, session_id), lambda: dashboard.act(plan_id, "approve", session_id)
    )

    await assert_the_approval_won(dashboard, approved, refused, session_id, plan_id)


async def test_an_approve_whose_claim_lost_to_a_delete_sends_nothing(dashboard):
    """The approve read the session, then the delete marked and removed it before the approve's
    claim was written: the claim fails, and read again the session is gone."""
    session_id, plan_id = await session_with_a_plan(dashboard)
    pause = pause_store(dashboard, "save", claiming_approval)

    approved, deleted = await race(
        pause, dashboard.act(plan_id, "approve", session_id), lambda: delete(dashboard, session_id)
    )

    await assert_the_delete_won(dashboard, deleted, approved, session_id, plan_id)


async def test_an_approve_after_the_delete_marked_the_session_sends_nothing(dashboard):
    """The delete marked the session and is removing what it holds: an approve meanwhile finds
    no session."""
    session_id, plan_id = await session_with_a_plan(dashboard)
    pause = pause_store(dashboard, "delete_session", any_call)

    deleted, approved = await race(
        pause, delete(dashboard, session_id), lambda: dashboard.act(plan_id, "approve", session_id)
    )

    await assert_the_delete_won(dashboard, deleted, approved, session_id, plan_id)


# (b) chat against DELETE


async def assert_no_trace_of(dashboard, session_id: str, plan_id: str) -> None:
    """Nobody can read the plan the cut-off turn made, nor the session's messages."""
    await assert_gone(dashboard, session_id, [plan_id])
    store = dashboard.store
    assert store.get_plan(plan_id) is None
    assert store.list_messages(session_id, limit=50).messages == []


async def assert_the_turn_was_refused(dashboard, answer, deleted) -> None:
    assert deleted.status_code == 204, deleted.text
    assert answer.status_code == 404, answer.text  # gone, not "changed, try again"
    assert answer.json()["error"]["code"] == "not_found"


async def test_a_chat_turn_cut_off_by_a_delete_leaves_no_plan_behind(dashboard):
    """The turn asked the orchestrator for a plan and was about to store it when the session was
    deleted: the plan is not stored, and the turn says the session is gone."""
    session_id = await dashboard.new_session()
    pause = pause_store(dashboard, "save", storing_a_new_plan)

    answer, deleted = await race(
        pause, dashboard.chat(session_id, DEPLOY), lambda: delete(dashboard, session_id)
    )

    await assert_the_turn_was_refused(dashboard, answer, deleted)
    await assert_no_trace_of(dashboard, session_id, pause.caught["new_plan"].plan_id)


async def test_a_chat_turn_waiting_for_its_plan_when_the_session_is_deleted(dashboard):
    """Deleted while the orchestrator was making the plan: nothing the turn does afterwards
    (its plan, the assistant's reply) lands in the deleted session."""
    session_id = await dashboard.new_session()
    pause = pause_orchestrator(dashboard, "plan")

    answer, deleted = await race(
        pause, dashboard.chat(session_id, DEPLOY), lambda: delete(dashboard, session_id)
    )

    await assert_the_turn_was_refused(dashboard, answer, deleted)
    assert await calls_of(dashboard, "plan") == 1  # the orchestrator made one: it is not kept
    await assert_gone(dashboard, session_id, [])
    assert dashboard.store.list_messages(session_id, limit=50).messages == []
