"""Idempotency-Key on the requests that change things: a repeat with the same key gets the first
answer again and does no work; the same key with a different request is refused (422).

Why not Powertools' idempotency utility: it would serve only the Lambda functions, not the
local app, and it stores whatever the handler returned, where a fault (5xx) must free the key
so that a retry can succeed. This runs around the use case, below both hosts, with the record
in the same table through the store. Keys are scoped to the caller, so one user's key can never
replay another's answer.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from shared.api import json_text
from shared.errors import Conflict, DashboardError
from shared.ids import canonical_uuid
from shared.services.context import Context

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"  # on an answer given again for a repeated key
KEY_PATTERN = r"^[A-Za-z0-9._:\-]{1,128}$"  # checked by the frameworks, as a header parameter
TTL_SECONDS = 24 * 3600


class IdempotencyKeyReused(DashboardError):
    code = "idempotency_key_reused"
    status = 422


class RequestInProgress(Conflict):
    code = "request_in_progress"


@dataclass(frozen=True)
class Replayed:
    """The first answer to a request with this key, exactly as it was given."""

    status: int
    text: str  # the JSON text


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def fingerprint(path: str, inputs: dict[str, Any]) -> str:
    """What makes two requests the same request: the path and the inputs as read."""
    canonical = {
        name: value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        for name, value in inputs.items()
    }
    return _digest(path, json.dumps(canonical, sort_keys=True, separators=(",", ":")))


def once(
    ctx: Context,
    key: str | None,
    request: str,
    status: int,
    call: Callable[[], Any],
    replayable: Callable[[], object] | None = None,
    session_id: str | None = None,
) -> Any:
    """`call()` at most once per caller and key: its result, or the `Replayed` first answer.
    `request`: the request's fingerprint; `status`: the status its success is answered with;
    `replayable`: raises when the first answer must no longer be given (what it showed has
    been deleted since); `session_id`: the session the request is about, whose delete also
    removes the answer kept here (it repeats what the person said and the plan)."""
    if key is None:
        return call()
    store = ctx.store
    scoped = _digest(ctx.caller.user_id or "", key)
    # A short lease while in progress: a claim whose release failed (or whose Lambda was stopped)
    # frees itself; the answer, once stored, is kept for TTL_SECONDS.
    seen = store.claim_idempotency_key(scoped, request, ctx.settings.stale_claim_seconds)
    if seen is not None:
        if seen.fingerprint != request:
            raise IdempotencyKeyReused(f"This {HEADER} was used for a different request.")
        if seen.status == "in_progress":
            raise RequestInProgress(f"A request with this {HEADER} is still being handled.")
        if replayable is not None:
            replayable()
        return Replayed(seen.response_status or 200, seen.response_body or "null")
    try:
        result = call()
    except DashboardError as error:
        if error.status >= 500 or isinstance(error, Conflict):
            # A fault, or a state that changes ("being approved", "try again in N s"): a retry
            # with the same key must see what holds then, not this answer replayed for a day.
            store.release_idempotency_key(scoped)
        else:
            _complete(ctx, scoped, request, error.status, json_text(error.content()))
        raise
    except BaseException:
        store.release_idempotency_key(scoped)
        raise
    # Only a success is known to be about the caller's own session; an error's answer says
    # nothing of it, and is kept as it is.
    _complete(ctx, scoped, request, status, json_text(result), canonical_uuid(session_id or ""))
    return result


def _complete(
    ctx: Context, scoped: str, request: str, status: int, body: str, session_id: str | None = None
) -> None:
    store = ctx.store
    try:
        if not store.complete_idempotency_key(
            scoped, request, status, body, TTL_SECONDS, session_id=session_id
        ):
            # The session is being deleted or gone: nothing of it is kept, and a repeat finds
            # that out again ("not found").
            store.release_idempotency_key(scoped)
    except DashboardError:
        pass  # the work is done and answered; the key merely will not replay
