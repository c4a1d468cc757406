"""What both hosts do with a request they have read and validated, below the edge: the use case
within the request's time budget for the orchestrator, at most once per Idempotency-Key, and a
conditional operation's ETag."""

from typing import Any

from shared.api import NOT_MODIFIED, Answer, Operation
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
) -> Any:
    """What both hosts do with a request they have read (the route's parameters as
    shared/web/signatures.py names them): the use case within the request's time budget for the
    orchestrator, at most once per Idempotency-Key; a conditional operation's answer carries its
    ETag, or is 304 (no body) when If-None-Match names it."""
    request = idempotency.fingerprint(operation.path, inputs) if idempotency_key else ""
    # The first answer to a request on a session (its messages, its plan) is given again only
    # while the session is there: once the person deleted it, a repeat is "not found".
    session_id = getattr(inputs.get("body"), "session_id", None)
    replayable = (lambda: load_session(ctx, session_id)) if session_id else None
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
    if isinstance(result, idempotency.Replayed):
        return Answer(result.body, {"Idempotent-Replayed": "true"}, result.status)
    if not operation.conditional:
        return result
    answer = result if isinstance(result, Answer) else Answer(result)
    tag = conditional.etag(answer.body)
    headers = {**answer.headers, "ETag": tag}
    if conditional.still_current(tag, if_none_match):
        return Answer(None, headers, NOT_MODIFIED)
    return Answer(answer.body, headers, answer.status)
