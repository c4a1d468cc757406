"""The orchestrator client's backoff between attempts: exponential from `backoff_seconds`,
at most 2 s, and no wait after the last attempt."""

import socket
import threading
import time
import uuid

import httpx
import pytest
import respx

from shared.errors import OrchestratorTimeout, OrchestratorUnreachable
from shared.orchestrator.client import OrchestratorClient
from shared.orchestrator.deadline import request_budget

BASE = "http://orchestrator.test"
TASK_ID = str(uuid.uuid4())
REQUEST_ID = str(uuid.uuid4())


@pytest.fixture
def waits(monkeypatch):
    """The waits between attempts (tenacity's time.sleep), without
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
def test_waits_double_up_to_two_seconds(waits, attempts, expected):
    client = OrchestratorClient(BASE, max_attempts=attempts, backoff_seconds=0.2)
    with respx.mock(base_url=BASE) as router:
        route = router.get(f"/api/v1/status/{TASK_ID}")
        route.side_effect = httpx.ReadTimeout("slow")
        with pytest.raises(OrchestratorTimeout):
            client.task_status(TASK_ID)
    client.close()
    assert route.call_count == attempts
    assert waits == pytest.approx(expected)


def test_a_write_that_was_never_sent_is_retried_after_a_wait(waits):
    client = OrchestratorClient(BASE, max_attempts=3, backoff_seconds=0.5)
    with respx.mock(base_url=BASE) as router:
        route = router.post("/api/v1/request")
        route.side_effect = [
            httpx.ConnectError("refused"),
            httpx.Response(200, json={"request_id": REQUEST_ID, "status": "parsing_complete"}),
        ]
        answer = client.submit_request("Restart nginx", "user-1")
    client.close()
    assert answer.request_id == REQUEST_ID
    assert waits == [0.5]


def test_a_write_never_sent_gives_up_after_the_attempts(waits):
    client = OrchestratorClient(BASE, max_attempts=2, backoff_seconds=0)
    with respx.mock(base_url=BASE) as router:
        route = router.post("/api/v1/request")
        route.side_effect = httpx.ConnectError("refused")
        with pytest.raises(OrchestratorUnreachable):
            client.submit_request("Restart nginx", "user-1")
    client.close()
    assert route.call_count == 2
    assert waits == [0]


# The request's time budget ------------------------------------------------------------------


def test_an_attempt_gets_at_most_what_is_left_of_the_budget():
    client = OrchestratorClient(BASE, timeout=30, max_attempts=1)
    given = []

    def answer(request):
        given.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json={"task_id": TASK_ID, "status": "executing"})

    with respx.mock(base_url=BASE) as router:
        router.get(f"/api/v1/status/{TASK_ID}").side_effect = answer
        with request_budget(2.0):
            client.task_status(TASK_ID)
        client.task_status(TASK_ID)  # outside a request: the client's own timeout
    client.close()
    assert 0 < given[0] <= 2.0
    assert given[1] == 30


def test_no_retry_starts_that_the_budget_cannot_cover(waits):
    client = OrchestratorClient(BASE, max_attempts=3, backoff_seconds=0.5)
    with respx.mock(base_url=BASE) as router:
        route = router.get(f"/api/v1/status/{TASK_ID}")
        route.side_effect = httpx.ReadTimeout("slow")
        with request_budget(0.3), pytest.raises(OrchestratorTimeout):
            client.task_status(TASK_ID)  # the first wait (0.5 s) would outlast the budget
    client.close()
    assert route.call_count == 1
    assert waits == []


def test_a_spent_budget_sends_nothing():
    client = OrchestratorClient(BASE, max_attempts=3, backoff_seconds=0)
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        route = router.post("/api/v1/request")
        with request_budget(0.0), pytest.raises(OrchestratorTimeout):
            client.submit_request("Restart nginx", "user-1")
    client.close()
    assert not route.called


def test_an_answer_that_trickles_in_is_dropped_at_the_budget():
    """httpx's timeouts apply to each read: an orchestrator that sends its answer a few bytes at
    a time, each in time, would outlast the budget. The client reads it against the deadline."""
    body = b'{"plan_id": "p", "request_id": "r", "status": "executing", "tasks": []}'
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve():
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               b"Content-Length: %d\r\n\r\n" % len(body))  # fmt: skip
            for start in range(0, len(body), 8):  # about 4 s in all, 0.4 s between reads
                time.sleep(0.4)
                try:
                    connection.sendall(body[start : start + 8])
                except OSError:
                    return  # the client gave up, as it should

    threading.Thread(target=serve, daemon=True).start()
    client = OrchestratorClient(f"http://127.0.0.1:{port}", timeout=30, max_attempts=1)
    try:
        with request_budget(1.0), pytest.raises(OrchestratorTimeout):
            client.plan_status("p")
    finally:
        client.close()
        server.close()
