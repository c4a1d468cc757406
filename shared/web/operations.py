"""The API, described once: each endpoint is an `Operation` (method, path, what it reads, which
use case answers, what it returns). Two hosts serve the same operations:

- the FastAPI app (shared/web/fastapi_routes.py), locally and for the OpenAPI document;
- the Lambda router (shared/web/router.py), which imports neither FastAPI nor Starlette, so a
  function starts as fast as a bare Powertools handler.

Validation is the operation's pydantic models in both, and errors are mapped by one table.
"""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Answer:
    """A use case's result with response headers (most operations return the model alone)."""

    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """`call(ctx, **path_params, [body=...], [query=...])` answers with `response_model` (or an
    `Answer` around one). Path parameters are strings: the use cases check ids themselves, so a
    malformed id is "not found" like any other unknown one."""

    method: str
    path: str
    call: Callable[..., Awaitable[Any]]
    response_model: type
    body: type | None = None  # a pydantic model read from the JSON body
    body_required: bool = True
    query: type | None = None  # a pydantic model of the query parameters
    status_code: int = 200
    needs_orchestrator: bool = True
    tags: tuple[str, ...] = ()
    summary: str | None = None
    in_schema: bool = True

    @property
    def name(self) -> str:
        return self.call.__name__

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    def path_pattern(self) -> re.Pattern:
        """The path as a regex with one named group per parameter (a segment each)."""
        return re.compile("^" + _PARAM.sub(r"(?P<\1>[^/]+)", self.path) + "$")
