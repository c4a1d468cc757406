"""The API, declared once: each endpoint is an `Operation` (method, path, what it reads, which
use case answers, what it returns). Two hosts adapt the same table:

- the Lambda functions: Powertools' APIGatewayHttpResolver (shared/web/lambda_app.py);
- the all-in-one local app: FastAPI (shared/web/fastapi_app.py), with the OpenAPI document.

Each adapter turns an operation into a route whose signature names the operation's models, so
the framework itself reads and validates the path, query, headers and body.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.orchestrator.deadline import request_budget
from shared.services import conditional, idempotency
from shared.services.context import Context
from shared.services.loading import load_session

_PARAM = re.compile(r"{(\w+)}")
MAX_BODY_BYTES = 64 * 1024  # a chat message is at most 10,000 characters; nothing needs more
NOT_MODIFIED = 304
NO_BODY = frozenset({204, NOT_MODIFIED})  # answered with headers only


@dataclass(frozen=True)
class Answer:
    """A result with response headers, or (for a replayed answer) a stored JSON text and its
    status. Most operations return their response model alone."""

    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # None: the operation's status_code


@dataclass(frozen=True)
class Operation:
    """`call(ctx, **path_params, [body=...], [query=...])` answers with `response_model` (or an
    `Answer` around one). Path parameters are strings: the use cases check ids themselves, so a
    malformed id is "not found" like any other unknown one."""

    method: str
    path: str
    call: Callable[..., Any]
    response_model: type
    body: type | None = None  # a pydantic model read from the JSON body
    body_required: bool = True
    query: type | None = None  # a pydantic model of the query parameters
    status_code: int = 200
    needs_orchestrator: bool = True
    idempotent: bool = False  # honours an Idempotency-Key (shared/services/idempotency.py)
    conditional: bool = False  # answers with an ETag, honours If-None-Match (.../conditional.py)
    tags: tuple[str, ...] = ()
    summary: str | None = None
    in_schema: bool = True

    @property
    def name(self) -> str:
        return self.call.__name__

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))


def perform(
    operation: Operation,
    ctx: Context,
    inputs: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    if_none_match: str | None = None,
) -> Any:
    """What both hosts do with a request they have read: the use case within the request's time
    budget for the orchestrator, at most once per Idempotency-Key; a conditional operation's
    answer carries its ETag, or is 304 (no body) when If-None-Match names it."""
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
