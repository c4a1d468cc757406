"""HTTP client of the orchestrator: one httpx.Client per process, typed errors, and retries
only where repeating cannot do a thing twice.

The use cases are plain functions, so the calls are blocking, on one synchronous httpx.Client;
fan-outs (a run's task statuses and cancels) run in shared/services/fanout.py's threads.

Retry rules (at most `max_attempts`, exponential backoff):
- every call is retried when the connection could not be made (the request was never sent);
- reads, and cancels (a repeated cancel is refused with 400, never a second effect), are also
  retried on timeouts, dropped connections and 5xx answers;
- writes that may have reached the orchestrator (request, plan generation, approve) are not:
  the orchestrator's plan generation and approve are not idempotent.
"""

import logging
import ssl
import time
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit
from urllib.request import getproxies

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from shared import metrics
from shared.errors import (
    OrchestratorBadAnswer,
    OrchestratorNotFound,
    OrchestratorRejected,
    OrchestratorTimeout,
    OrchestratorUnreachable,
)
from shared.orchestrator.answers import (
    ApproveAnswer,
    CancelAnswer,
    PlanAnswer,
    PlanStatusAnswer,
    RequestAnswer,
    TaskStatusAnswer,
)
from shared.orchestrator.deadline import time_left

logger = logging.getLogger(__name__)
Answer = TypeVar("Answer", bound=BaseModel)
CancelOutcome = Literal["cancelled", "already_finished", "unknown"]

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)
_SAFE_TO_REPEAT = (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError)


class _UpstreamServerError(Exception):
    def __init__(self, response: httpx.Response):
        self.response = response


def _retryable(repeatable: bool):
    def check(error: BaseException) -> bool:
        if isinstance(error, _NOT_SENT):
            return True
        return repeatable and isinstance(error, _SAFE_TO_REPEAT + (_UpstreamServerError,))

    return check


# An attempt that would get less than this of the budget is not started.
MIN_ATTEMPT_SECONDS = 0.05


def _budget_cannot_cover_another_attempt(retry_state) -> bool:
    left = time_left()
    return left is not None and left - retry_state.upcoming_sleep < MIN_ATTEMPT_SECONDS


def _tls_verification(base_url: str) -> ssl.SSLContext | bool:
    """How the client verifies TLS: as httpx does by default (True: its CA bundle, which it loads
    when the client is made, ~20 ms of a cold start), unless the client can never make a TLS
    connection: a plain-HTTP orchestrator and no proxy (httpx finds proxies with the same
    getproxies()). Then a context that still requires a verified certificate but trusts none, so
    a TLS connection, were one ever attempted, would fail rather than go unverified."""
    if urlsplit(base_url).scheme.lower() != "http" or getproxies():
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return detail if isinstance(detail, str) else f"HTTP {response.status_code}"


class OrchestratorClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        max_attempts: int = 3,
        backoff_seconds: float = 0.2,
        transport: httpx.BaseTransport | None = None,
    ):
        # One pool of connections, shared by the threads that serve requests and fan out calls
        # (httpx.Client "can be shared between threads", says its docstring).
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            verify=_tls_verification(base_url),
            headers={"User-Agent": "chiffon-dashboard-api"},
        )
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._attempt_timeout = timeout

    def _attempt(self, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
        """One request. Within a request's budget the answer is read as a stream and dropped at
        the deadline: httpx's timeouts apply to each read, so an answer that trickles in byte by
        byte would otherwise outlast the budget."""
        timeout = self._timeout()
        left = time_left()
        if left is None:
            return self._http.request(method, path, timeout=timeout, **kwargs)
        deadline = time.monotonic() + left
        request = self._http.build_request(method, path, timeout=timeout, **kwargs)
        streamed = self._http.send(request, stream=True)
        try:
            body = bytearray()
            for chunk in streamed.iter_bytes():
                body += chunk
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the request's time budget is spent", request=request)
        finally:
            streamed.close()
        # The same answer, whole; its body is decoded already, so it carries no encoding.
        headers = [
            (name, value)
            for name, value in streamed.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length")
        ]
        return httpx.Response(
            streamed.status_code, headers=headers, content=bytes(body), request=request
        )

    def _timeout(self) -> httpx.Timeout:
        """An attempt's timeout: the client's, or what is left of the request's budget."""
        seconds = self._attempt_timeout
        left = time_left()
        if left is not None:
            if left <= 0:
                raise httpx.TimeoutException("the request's time budget is spent")
            seconds = min(seconds, left)
        return httpx.Timeout(seconds, connect=min(seconds, 5.0))

    def close(self) -> None:
        self._http.close()

    @metrics.timed_orchestrator_call
    def _send(self, method: str, path: str, *, repeatable: bool, **kwargs: Any) -> httpx.Response:
        """One call, with its retries and their waits, within the request's budget."""
        retrying = Retrying(
            stop=stop_after_attempt(self._max_attempts) | _budget_cannot_cover_another_attempt,
            wait=wait_exponential(multiplier=self._backoff, max=2.0),
            retry=retry_if_exception(_retryable(repeatable)),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    response = self._attempt(method, path, kwargs)
                    if response.status_code >= 500:
                        raise _UpstreamServerError(response)
                    return response
        except _NOT_SENT as error:
            raise OrchestratorUnreachable("The orchestrator cannot be reached.") from error
        except httpx.TimeoutException as error:
            raise OrchestratorTimeout("The orchestrator did not answer in time.") from error
        except _UpstreamServerError as error:
            logger.warning("orchestrator %s %s: %s", method, path, error.response.status_code)
            raise OrchestratorBadAnswer("The orchestrator failed to handle the request.") from None
        except httpx.HTTPError as error:  # dropped mid-answer, protocol errors
            raise OrchestratorBadAnswer("The orchestrator's answer was cut off.") from error
        except RuntimeError as error:  # httpx refuses a request on a closed client
            if not self._http.is_closed:
                raise
            raise OrchestratorUnreachable("The orchestrator client is closed.") from error

    def _call(
        self, model: type[Answer], method: str, path: str, *, repeatable: bool, **kwargs: Any
    ) -> Answer:
        response = self._send(method, path, repeatable=repeatable, **kwargs)
        # The orchestrator's own words (paths, details, traces) go to the log, never to callers:
        # they would reach the person's chat history.
        if response.status_code == 404:
            logger.warning("orchestrator %s %s: 404 %s", method, path, _detail(response))
            raise OrchestratorNotFound("The orchestrator no longer knows this request or plan.")
        if response.status_code >= 400:
            logger.warning(
                "orchestrator %s %s: %s %s", method, path, response.status_code, _detail(response)
            )
            raise OrchestratorRejected(
                "The orchestrator refused the request.", upstream_status=response.status_code
            )
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            logger.warning("orchestrator %s %s: unexpected answer: %s", method, path, error)
            raise OrchestratorBadAnswer("The orchestrator's answer was not understood.") from None

    # The calls ----------------------------------------------------------------------------

    def submit_request(self, text: str, user_id: str) -> RequestAnswer:
        body = {"request": text, "user_id": user_id}
        return self._call(RequestAnswer, "POST", "/api/v1/request", json=body,
                                repeatable=False)  # fmt: skip

    def generate_plan(self, request_id: str) -> PlanAnswer:
        # Each call makes a new plan: call once per request and keep what it returns.
        return self._call(PlanAnswer, "GET", f"/api/v1/plan/{request_id}", repeatable=False)

    def approve(
        self, plan_id: str, user_id: str, *, approved: bool, notes: str | None = None
    ) -> ApproveAnswer:
        body = {"approved": approved, "user_id": user_id, "notes": notes}
        return self._call(ApproveAnswer, "POST", f"/api/v1/plan/{plan_id}/approve",
                                json=body, repeatable=False)  # fmt: skip

    def plan_status(self, plan_id: str) -> PlanStatusAnswer:
        return self._call(PlanStatusAnswer, "GET", f"/api/v1/plan/{plan_id}/status",
                                repeatable=True)  # fmt: skip

    def task_status(self, task_id: str) -> TaskStatusAnswer:
        return self._call(TaskStatusAnswer, "GET", f"/api/v1/status/{task_id}",
                                repeatable=True)  # fmt: skip

    def health(self) -> None:
        """The orchestrator's GET /health answered 2xx; a typed error otherwise."""
        response = self._send("GET", "/health", repeatable=True)
        if response.status_code >= 400:
            raise OrchestratorRejected(
                "The orchestrator says it is not healthy.", upstream_status=response.status_code
            )

    def cancel_task(self, task_id: str) -> CancelOutcome:
        try:
            self._call(CancelAnswer, "POST", f"/api/v1/cancel/{task_id}", repeatable=True)
        except OrchestratorNotFound:
            return "unknown"
        except OrchestratorRejected as error:
            if error.upstream_status == 400:  # not pending or executing: it already finished
                return "already_finished"
            if error.upstream_status == 422:  # not an id it could ever have handed out
                return "unknown"
            raise
        return "cancelled"
