"""The API, declared once: each endpoint is an `Operation` (method, path, what it reads, which
use case answers, what it returns). Two hosts adapt the same table:

- the Lambda functions: Powertools' APIGatewayHttpResolver (shared/web/lambda_app.py);
- the all-in-one local app: FastAPI (shared/web/fastapi_app.py), with the OpenAPI document.

Each adapter turns an operation into a route whose signature names the operation's models, so
the framework itself reads and validates the path, query, headers and body; what a request then
goes through below the edge is shared/services/perform.py.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

_PARAM = re.compile(r"{(\w+)}")
MAX_BODY_BYTES = 64 * 1024  # a chat message is at most 10,000 characters; nothing needs more
NOT_MODIFIED = 304
NO_BODY = frozenset({204, NOT_MODIFIED})  # answered with headers only


@dataclass(frozen=True)
class Answer:
    """A use case's result with response headers. Most operations return their model alone."""

    body: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    """What a host sends back, whatever its framework: perform()'s last word on a request."""

    status: int
    text: str | None  # the body as JSON text; None for the no-body statuses
    headers: dict[str, str]  # Content-Type included when there is a body


def json_text(value: Any) -> str:
    """A model or a plain JSON value as the compact JSON text both hosts send (and an
    Idempotency-Key's answer keeps, to be given again byte for byte)."""
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


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
