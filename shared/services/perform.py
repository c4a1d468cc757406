"""What both hosts do with a request they have read and validated, below the edge: the use case
within the request's time budget for the orchestrator, at most once per Idempotency-Key, a
conditional operation's ETag, and the answer as a `Reply` each host sends in its own terms."""

from typing import Any

from shared import metrics
from shared.api import NO_BODY, NOT_MODIFIED, Answer, Operation, Reply, json_text
from shared.errors import DashboardError
from shared.orchestrator.deadline import request_budget
from shared.services import conditional, idempotency
from shared.services.context import Context
from shared.services.loading import load_session


def perform(
    operation: Operation,
    ctx: Context,
    /,  # a path parameter may have any name, even these two
    *,
    idempotency_key: str | None = None,
    if_none_match: str | None = None,
    **inputs: Any,
) -> Reply:
    """What both hosts do with a request they have read (the route's parameters as
    shared/web/signatures.py names them): the use case within the request's time budget for the
    orchestrator, at most once per Idempotency-Key; a conditional operation's answer carries its
    ETag, or is 304 (no body) when If-None-Match names it. In a Lambda invocation, what was
    done and what failed is counted (shared/metrics.py); a replayed answer is not counted again."""
    request = idempotency.fingerprint(operation.path, inputs) if idempotency_key else ""
    # The first answer to a request on a session (its messages, its plan) is given again only
    # while the session is there: once the person deleted it, a repeat is "not found".
    session_id = getattr(inputs.get("body"), "session_id", None)
    replayable = (lambda: load_session(ctx, session_id)) if session_id else None
    try:
        with request_budget(ctx.settings.request_budget_seconds):
            result = idempotency.once(
                ctx,
                idempotency_key,
                request,
                operation.status_code,
                lambda: operation.call(ctx, **inputs),
                replayable,
                session_id,
            )
    except DashboardError as error:
        metrics.fault_answered(error)
        raise
    if isinstance(result, idempotency.Replayed):
        return _reply(result.status, result.text, {idempotency.REPLAYED_HEADER: "true"})
    metrics.answered(operation.name)
    answer = result if isinstance(result, Answer) else Answer(result, {})
    headers = dict(answer.headers)
    if operation.conditional:
        headers["ETag"] = tag = conditional.etag(answer.body)
        if conditional.still_current(tag, if_none_match):
            return _reply(NOT_MODIFIED, None, headers)
    return _reply(operation.status_code, json_text(answer.body), headers)


def _reply(status: int, text: str | None, headers: dict[str, str]) -> Reply:
    if status in NO_BODY:
        return Reply(status, None, headers)
    return Reply(status, text, {**headers, "Content-Type": "application/json"})
