"""The orchestrator client's backoff between attempts: exponential from `backoff_seconds`,
at most 2 s, and no wait after the last attempt."""

import asyncio
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


async def test_a_cancelled_caller_stops_waiting_at_once():
    """The call runs in a worker thread, which cannot be interrupted: the caller's await ends
    when it is cancelled, and the thread finishes the call on its own."""
    release, answered = threading.Event(), threading.Event()

    def slow(request):
        release.wait(5)
        answered.set()
        return httpx.Response(200, json={"task_id": TASK_ID, "status": "executing"})

    client = OrchestratorClient(BASE, max_attempts=3, backoff_seconds=0)
    with respx.mock(base_url=BASE) as router:
        route = router.get(f"/api/v1/status/{TASK_ID}")
        route.side_effect = slow
        call = asyncio.create_task(client.task_status(TASK_ID))
        await asyncio.sleep(0.05)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(call, 1)
        assert not answered.is_set()
        release.set()
        assert await asyncio.to_thread(answered.wait, 5)
    await client.aclose()
    assert route.call_count == 1
