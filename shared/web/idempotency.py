"""Idempotency-Key on the POSTs that change things: a repeat with the same key gets the first
answer again and does no work; the same key with a different request is refused (422).

Why not Powertools' idempotency utility: it would serve only the Lambda functions, not the
local app, and it stores whatever the handler returned, where a fault (5xx) must free the key
so that a retry can succeed. This thin layer sits around the use case on both hosts, with the
record in the same table, through the store. Keys are scoped to the caller, so one user's key
can never replay another's answer.
"""

import hashlib
import json
from typing import Any

from pydantic import BaseModel

from shared.errors import Conflict, DashboardError
from shared.orchestrator.deadline import request_budget
from shared.services.context import Context
from shared.web.conditional import conditional_answer
from shared.web.errors import error_content
from shared.web.operations import Answer, Operation

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[A-Za-z0-9._:\-]{1,128}$"  # checked by the frameworks, as a header parameter
TTL_SECONDS = 24 * 3600


class IdempotencyKeyReused(DashboardError):
    code = "idempotency_key_reused"
    status = 422


class RequestInProgress(Conflict):
    code = "request_in_progress"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _fingerprint(path: str, inputs: dict[str, Any]) -> str:
    canonical = {
        name: value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        for name, value in inputs.items()
    }
    return _digest(path, json.dumps(canonical, sort_keys=True, separators=(",", ":")))


def _json(result: Any) -> str:
    body = result.body if isinstance(result, Answer) else result
    return body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body)


def call_once(operation: Operation, ctx: Context, inputs: dict[str, Any], key: str | None) -> Any:
    """`operation.call(ctx, **inputs)` within the request's time budget for the orchestrator,
    at most once per caller and key; a conditional operation's answer carries its ETag, or is
    304 when the request's If-None-Match names it (`inputs["if_none_match"]`)."""
    if_none_match = inputs.pop("if_none_match", None)
    with request_budget(ctx.settings.request_budget_seconds):
        result = _call_once(operation, ctx, inputs, key)
    return conditional_answer(result, if_none_match) if operation.conditional else result


def _call_once(operation: Operation, ctx: Context, inputs: dict[str, Any], key: str | None) -> Any:
    if key is None:
        return operation.call(ctx, **inputs)
    store = ctx.store
    scoped = _digest(ctx.caller.user_id or "", key)
    fingerprint = _fingerprint(operation.path, inputs)
    # A short lease while in progress: a claim whose release failed (or whose Lambda was stopped)
    # frees itself; the answer, once stored, is kept for TTL_SECONDS.
    seen = store.claim_idempotency_key(scoped, fingerprint, ctx.settings.stale_claim_seconds)
    if seen is not None:
        if seen.fingerprint != fingerprint:
            raise IdempotencyKeyReused(f"This {HEADER} was used for a different request.")
        if seen.status == "in_progress":
            raise RequestInProgress(f"A request with this {HEADER} is still being handled.")
        replay = json.loads(seen.response_body or "null")
        return Answer(replay, {"Idempotent-Replayed": "true"}, seen.response_status or 200)
    try:
        result = operation.call(ctx, **inputs)
    except DashboardError as error:
        if error.status >= 500 or isinstance(error, Conflict):
            # A fault, or a state that changes ("being approved", "try again in N s"): a retry
            # with the same key must see what holds then, not this answer replayed for a day.
            store.release_idempotency_key(scoped)
        else:
            answer = json.dumps(error_content(error.code, error.message))
            _complete(ctx, scoped, fingerprint, error.status, answer)
        raise
    except BaseException:
        store.release_idempotency_key(scoped)
        raise
    _complete(ctx, scoped, fingerprint, operation.status_code, _json(result))
    return result


def _complete(ctx: Context, scoped: str, fingerprint: str, status: int, body: str) -> None:
    try:
        ctx.store.complete_idempotency_key(scoped, fingerprint, status, body, TTL_SECONDS)
    except DashboardError:
        pass  # the work is done and answered; the key merely will not replay
