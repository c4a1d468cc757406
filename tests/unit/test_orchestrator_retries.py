"""The orchestrator client's backoff between attempts: exponential from `backoff_seconds`,
at most 2 s, and no wait after the last attempt."""

import asyncio
import contextlib
import threading
import time
import uuid

import httpx
import pytest
import respx

from shared.errors import OrchestratorTimeout, OrchestratorUnreachable
from shared.orchestrator.client import OrchestratorClient

BASE = "http://orchestrator.test"
TASK_ID = str(uuid.uuid4())
REQUEST_ID = str(uuid.uuid4())


@pytest.fixture
def waits(monkeypatch):
    """The waits between attempts (tenacity's time.sleep, in the client's worker thread), without
    waiting."""
    recorded: list[float] = []

    def sleep(seconds):
        recorded.append(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return recorded


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        (1, []),
        (3, [0.2, 0.4]),
        (7, [0.2, 0.4, 0.8, 1.6, 2.0, 2.0]),
    ],
)
async def test_waits_double_up_to_two_seconds(waits, attempts, expected):
    client = OrchestratorClient(BASE, max_attempts=attempts, backoff_seconds=0.2)
    with respx.mock(base_url=BASE) as router:
        route = router.get(f"/api/v1/status/{TASK_ID}")
        route.side_effect = httpx.ReadTimeout("slow")
        with pytest.raises(OrchestratorTimeout):
            await client.task_status(TASK_ID)
    await client.aclose()
    assert route.call_count == attempts
    assert waits == pytest.approx(expected)


async def test_a_write_that_was_never_sent_is_retried_after_a_wait(waits):
    client = OrchestratorClient(BASE, max_attempts=3, backoff_seconds=0.5)
    with respx.mock(base_url=BASE) as router:
        route = router.post("/api/v1/request")
        route.side_effect = [
            httpx.ConnectError("refused"),
            httpx.Response(200, json={"request_id": REQUEST_ID, "status": "parsing_complete"}),
        ]
        answer = await client.submit_request("Restart nginx", "user-1")
    await client.aclose()
    assert answer.request_id == REQUEST_ID
    assert waits == [0.5]


async def test_a_write_never_sent_gives_up_after_the_attempts(waits):
    client = OrchestratorClient(BASE, max_attempts=2, backoff_seconds=0)
    with respx.mock(base_url=BASE) as router:
        route = router.post("/api/v1/request")
        route.side_effect = httpx.ConnectError("refused")
        with pytest.raises(OrchestratorUnreachable):
            await client.submit_request("Restart nginx", "user-1")
    await client.aclose()
    assert route.call_count == 2
    assert waits == [0]


async def test_cancellation_is_not_retried(waits):
    calls = []

    def cancelled(request):
        calls.append(request)
        raise asyncio.CancelledError()

    client = OrchestratorClient(BASE, max_attempts=3, backoff_seconds=0)
    # respx records no call that ends in a BaseException: count them here
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get(f"/api/v1/status/{TASK_ID}").side_effect = cancelled
        with pytest.raises(asyncio.CancelledError):
            await client.task_status(TASK_ID)
    await client.aclose()
    assert len(calls) == 1
    assert waits == []


def _status(request):
    return httpx.Response(200, json={"task_id": TASK_ID, "status": "executing"})


class SlowTimeout:
    """A task-status side effect: each attempt is held until `release`, then times out."""

    def __init__(self):
        self.attempted, self.release = threading.Event(), threading.Event()

    def __call__(self, request):
        self.attempted.set()
        self.release.wait(5)
        raise httpx.ReadTimeout("slow")

    async def started(self) -> bool:
        return await asyncio.to_thread(self.attempted.wait, 5)


@contextlib.asynccontextmanager
async def held_status_call():
    """A task-status call under way, its first attempt held (SlowTimeout): yields the client,
    the caller's task, the side effect and the respx route. The client is 3 attempts, no wait."""
    slow = SlowTimeout()
    client = OrchestratorClient(BASE, max_attempts=3, backoff_seconds=0)
    with respx.mock(base_url=BASE) as router:
        route = router.get(f"/api/v1/status/{TASK_ID}")
        route.side_effect = slow
        call = asyncio.create_task(client.task_status(TASK_ID))
        assert await slow.started()
        yield client, call, slow, route
    await client.aclose()


async def test_a_cancelled_caller_stops_waiting_and_no_further_attempt_is_made(waits):
    """The call runs in a worker thread, which cannot be interrupted: the caller's await ends
    when it is cancelled, the attempt under way ends on its own, and no retry follows it."""
    async with held_status_call() as (_, call, slow, route):
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(call, 1)
        slow.release.set()
        await asyncio.sleep(0.2)  # time for a retry, were one made
    assert route.call_count == 1
    assert waits == []


async def test_a_call_that_waited_longer_than_its_timeout_for_a_thread_is_not_sent():
    """As the async client's pool bounded the wait for a connection: with every worker thread
    busy, a call is not made once its timeout has passed, and it says it was never sent."""
    release = threading.Event()

    def held(request):
        release.wait(5)
        return _status(request)

    client = OrchestratorClient(BASE, timeout=0.2, max_concurrency=1, backoff_seconds=0)
    with respx.mock(base_url=BASE) as router:
        route = router.get(f"/api/v1/status/{TASK_ID}")
        route.side_effect = held
        first = asyncio.create_task(client.task_status(TASK_ID))
        second = asyncio.create_task(client.task_status(TASK_ID))
        await asyncio.sleep(0.4)  # the second waits for the one thread, past its timeout
        release.set()
        assert (await first).status == "executing"
        with pytest.raises(OrchestratorUnreachable):
            await second
    await client.aclose()
    assert route.call_count == 1


async def test_closing_the_client_ends_its_calls_without_a_further_attempt(waits):
    """The local app's shutdown: calls under way make no further attempt, calls after it are
    refused as never sent, and none of it is an unmapped error."""
    async with held_status_call() as (client, call, slow, route):
        await client.aclose()
        slow.release.set()
        with pytest.raises(OrchestratorTimeout):  # the attempt's own outcome, not retried
            await asyncio.wait_for(call, 5)
        with pytest.raises(OrchestratorUnreachable):
            await client.task_status(TASK_ID)
    assert route.call_count == 1
