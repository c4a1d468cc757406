"""Faults between the dashboard and the orchestrator stand-in, injected in the HTTP transport
the dashboard's orchestrator client uses. Shared by tests/flows and tests/hostile."""

import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack

import httpx
from anyio.from_thread import start_blocking_portal

# The faults of docs/reliability.md's table (a "stall" is a "hang" that takes its time).
FAULTS = ("refused", "dropped", "hang", "http_500", "forgot_404", "non_json", "wrong_shape")
# Faults that happen after the orchestrator got the request (and acted on it).
AFTER_RECEIPT = {"dropped", "hang", "non_json", "wrong_shape"}
OVERSIZED_BYTES = 460_000  # what the "oversized" fault adds to a plan


def call_kind(request: httpx.Request) -> str:
    """Which orchestrator endpoint a request is for (the stand-in's /_standin/calls names)."""
    path = request.url.path
    if path == "/api/v1/request":
        return "request"
    if path.startswith("/api/v1/status/"):
        return "task_status"
    if path.startswith("/api/v1/cancel/"):
        return "cancel"
    if path.endswith("/approve"):
        return "approve"
    if path.endswith("/status"):
        return "plan_status"
    return "plan"


class ASGIBridge(httpx.BaseTransport):
    """A synchronous transport to an ASGI app (the orchestrator client is synchronous, in worker
    threads): the app runs on one event loop of its own, in a thread (an anyio blocking portal,
    as Starlette's TestClient does), started on first use, stopped by close(). One loop, so the
    stand-in handles the dashboard's concurrent calls as a server would, one event at a time."""

    def __init__(self, app):
        self._inner = httpx.ASGITransport(app=app)
        self._exit = ExitStack()
        self._portal = None
        self._closed = False
        self._lock = threading.Lock()  # the client's worker threads call at the same time

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if self._closed:
                raise httpx.ConnectError("the stand-in bridge is closed", request=request)
            if self._portal is None:
                self._portal = self._exit.enter_context(start_blocking_portal())
            portal = self._portal
        return portal.call(self._handle, request)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    def close(self) -> None:
        with self._lock:
            self._closed, self._portal = True, None
        self._exit.close()  # stops the portal, if one was started


class FaultyTransport(httpx.BaseTransport):
    """The stand-in (over ASGIBridge), with faults injected per endpoint kind (`faults`) or on
    every call (`fault`):

    refused       connection refused: the request never arrives
    dropped       the orchestrator acts, then the connection drops before the answer
    hang          the orchestrator acts, then no answer before the client's timeout
    http_500      an internal error answer ({"detail": "Internal error: ..."})
    forgot_404    the orchestrator lost the plan/task (it keeps them in memory)
    rejected_400  the orchestrator refuses the request
    non_json      the orchestrator acts, the answer is not JSON
    wrong_shape   the orchestrator acts, the answer is JSON of the wrong shape
    stall         the orchestrator acts, then no answer until the client's read timeout has
                  passed (in real time: a call that uses all it was given of the budget)
    oversized     the orchestrator acts; its plan comes back with a long script in every step,
                  about 460 KB in all: over DynamoDB's 400 KB item

    `upstream_text` goes into every faulty answer, to show none of it reaches a caller.
    `before_send`, if set, is called with each call's kind before it is sent (a race test
    pauses a call there).
    """

    def __init__(self, app, upstream_text: str = "boom"):
        self._inner = ASGIBridge(app)
        self.faults: dict[str, str] = {}
        self.fault: str | None = None
        self.upstream_text = upstream_text
        self.sent: Counter = Counter()  # attempts the dashboard made, per kind
        self.before_send: Callable[[str], None] | None = None
        self._count = threading.Lock()  # attempts arrive from several worker threads

    @property
    def calls(self) -> int:
        return sum(self.sent.values())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        kind = call_kind(request)
        if self.before_send is not None:
            self.before_send(kind)
        with self._count:
            self.sent[kind] += 1
        fault = self.fault or self.faults.get(kind)
        text = self.upstream_text
        if fault == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "http_500":
            return httpx.Response(500, json={"detail": f"Internal error: {text}"})
        if fault == "forgot_404":
            return httpx.Response(404, json={"detail": "Not found"})
        if fault == "rejected_400":
            return httpx.Response(400, json={"detail": text})
        response = self._inner.handle_request(request)
        if fault == "dropped":
            raise httpx.RemoteProtocolError("peer closed connection", request=request)
        if fault == "hang":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "stall":
            time.sleep(request.extensions["timeout"]["read"])
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "non_json":
            return httpx.Response(200, text=f"<html>{text}</html>")
        if fault == "wrong_shape":
            return httpx.Response(200, json={"unexpected": [text]})
        if fault == "oversized":
            answer = response.json()
            for task in answer["tasks"]:
                task["parameters"]["script"] = "x" * (OVERSIZED_BYTES // len(answer["tasks"]))
            return httpx.Response(response.status_code, json=answer)
        return response

    def close(self) -> None:
        self._inner.close()
