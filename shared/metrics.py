"""Business and fault metrics of the Lambda functions: CloudWatch EMF through Powertools Metrics
(lines in the function's log that CloudWatch turns into metrics; no API call at run time).

The names, units and dimensions are fixed here, and template.yaml's alarms and dashboard read
them (docs/operations.md says what each means to the on-call):

- DecisionApproved, DecisionRejected, DecisionModified, DecisionAborted (Count): the decision
  was answered 2xx (an answer replayed for a repeated Idempotency-Key is not counted again);
- ChatPlan, ChatClarification, ChatParsingFailed, ChatPlanningFailed (Count): a chat turn (or
  a modification) ended so, and was stored;
- OrchestratorFault (Count, dimension `code` besides `service`): a request was answered with an
  orchestrator fault; code is orchestrator_unreachable, orchestrator_timeout,
  orchestrator_bad_answer, orchestrator_rejected or orchestrator_lost_track;
- OrchestratorLatency (Milliseconds): one orchestrator call, its retries and waits included,
  failed calls too;
- StoreFault (Count): a request was answered 503 store_unavailable;
- ConflictAnswered (Count): a request was answered 409;
- UntrackedRun (Count): a plan became a run whose steps cannot be followed from here.

`service` is the function (sessions, chat, plans). The metrics without `code` are buffered and
written once, by `Metrics.log_metrics` at the end of the invocation; OrchestratorFault has its
own dimension, so it is one EMF line of its own (Powertools' `single_metric`).

Recording happens only inside a Lambda invocation (`recording` wraps the handler). Everywhere
else (the local FastAPI app, tests that call the use cases) the helpers do nothing: Powertools
keeps added metrics in a class-level buffer shared by every `Metrics` instance, which only a
flush empties, so a process that never flushes must not add to it.
"""

import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from aws_lambda_powertools import Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit

from shared.errors import DashboardError, OrchestratorError, StoreUnavailable

F = TypeVar("F", bound=Callable[..., Any])

DECISIONS = {
    "approve": "DecisionApproved",
    "reject": "DecisionRejected",
    "modify": "DecisionModified",
    "abort": "DecisionAborted",
}
CHAT_PLAN = "ChatPlan"
CHAT_CLARIFICATION = "ChatClarification"
CHAT_PARSING_FAILED = "ChatParsingFailed"
CHAT_PLANNING_FAILED = "ChatPlanningFailed"
CHAT_OUTCOMES = (CHAT_PLAN, CHAT_CLARIFICATION, CHAT_PARSING_FAILED, CHAT_PLANNING_FAILED)
ORCHESTRATOR_FAULT = "OrchestratorFault"
ORCHESTRATOR_LATENCY = "OrchestratorLatency"
STORE_FAULT = "StoreFault"
CONFLICT_ANSWERED = "ConflictAnswered"
UNTRACKED_RUN = "UntrackedRun"
CODE = "code"  # the dimension of OrchestratorFault: the error code the caller was answered


@dataclass(frozen=True)
class _Recorder:
    metrics: Metrics
    service: str
    namespace: str


_recorder: ContextVar[_Recorder | None] = ContextVar("chiffon_metrics", default=None)
# Fan-out threads (shared/services/fanout.py) add metrics during the same invocation; the buffer
# is a plain dict of lists, so additions are serialised.
_lock = threading.Lock()


def recording(metrics: Metrics, *, service: str, namespace: str) -> Callable[[F], F]:
    """Decorator of the Lambda handler, inside `metrics.log_metrics` (which flushes): the
    helpers below record only while it runs. The context variable reaches the fan-out threads,
    which run in a copy of the caller's context."""

    def decorate(handler: F) -> F:
        @wraps(handler)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            token = _recorder.set(_Recorder(metrics, service, namespace))
            try:
                return handler(*args, **kwargs)
            finally:
                _recorder.reset(token)

        return recorded  # type: ignore[return-value]

    return decorate


def _add(name: str, unit: MetricUnit, value: float = 1) -> None:
    recorder = _recorder.get()
    if recorder is not None:
        with _lock:
            recorder.metrics.add_metric(name=name, unit=unit, value=value)


def answered(operation: str) -> None:
    """`operation` was done (not replayed for a repeated Idempotency-Key): counts a decision
    (approve, reject, modify, abort)."""
    if name := DECISIONS.get(operation):
        _add(name, MetricUnit.Count)


def fault_answered(error: DashboardError) -> None:
    """A request is answered `error`: counts orchestrator faults by code, store faults, 409s."""
    recorder = _recorder.get()
    if recorder is None:
        return
    if isinstance(error, OrchestratorError):
        dimensions = {"service": recorder.service, CODE: error.code}
        with single_metric(
            name=ORCHESTRATOR_FAULT,
            unit=MetricUnit.Count,
            value=1,
            namespace=recorder.namespace,
            default_dimensions=dimensions,
        ):
            pass
    elif isinstance(error, StoreUnavailable):
        _add(STORE_FAULT, MetricUnit.Count)
    elif error.status == 409:  # Conflict and its kin (a key still in use, ...)
        _add(CONFLICT_ANSWERED, MetricUnit.Count)


def chat_outcome(status: str) -> None:
    """A chat turn was stored: `status` is "plan" or the orchestrator's status of the turn that
    made no plan (requires_clarification, planning_failed, or a parsing failure)."""
    name = {
        "plan": CHAT_PLAN,
        "requires_clarification": CHAT_CLARIFICATION,
        "planning_failed": CHAT_PLANNING_FAILED,
    }.get(status, CHAT_PARSING_FAILED)
    _add(name, MetricUnit.Count)


def untracked_run(plan_id: str) -> None:
    """A plan now runs at the orchestrator without its step ids here. Its id goes in the EMF
    line as metadata (not a dimension): the on-call's log query finds which plan to stop."""
    _add(UNTRACKED_RUN, MetricUnit.Count)
    recorder = _recorder.get()
    if recorder is not None:
        with _lock:
            recorder.metrics.add_metadata(key="untracked_plan_id", value=plan_id)


def timed_orchestrator_call(call: F) -> F:
    """Decorator of the orchestrator client's one-call method: records its duration."""

    @wraps(call)
    def timed(*args: Any, **kwargs: Any) -> Any:
        if _recorder.get() is None:
            return call(*args, **kwargs)
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            _add(ORCHESTRATOR_LATENCY, MetricUnit.Milliseconds, elapsed_ms)

    return timed  # type: ignore[return-value]
