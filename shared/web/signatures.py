"""The route of an operation, for both hosts: a function whose parameters are annotated with the
host framework's own markers (`Depends`, `Header`, `Query`, `Body`), so that the framework itself
resolves the context and reads and validates the request; it hands them to perform() and returns
the `Reply` as the framework's response."""

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from shared.api import Operation, Reply
from shared.identity import Caller
from shared.services.conditional import HEADER as IF_NONE_MATCH
from shared.services.context import (
    Context,
    orchestrator_dependency,
    settings_dependency,
    store_dependency,
)
from shared.services.idempotency import HEADER, KEY_PATTERN
from shared.services.perform import perform
from shared.settings import Settings
from shared.store import SessionStore

KEYWORD = inspect.Parameter.KEYWORD_ONLY


@dataclass(frozen=True)
class Markers:
    depends: Any
    header: Any
    query: Any
    body: Any
    caller: Callable[..., Caller]  # the host's own: it reads the identity off its request type
    respond: Callable[[Reply], Any]  # a Reply as the host's response


def _with_signature(function: Callable, params: list[inspect.Parameter]) -> Callable:
    function.__signature__ = inspect.Signature(params)
    # Powertools reads `Depends` from the annotations, as typing.get_type_hints sees them.
    function.__annotations__ = {p.name: p.annotation for p in params}
    return function


def _context(markers: Markers, needs_orchestrator: bool) -> Callable[..., Context]:
    def context(**parts) -> Context:
        return Context(**parts)

    needs = {
        "settings": (Settings, settings_dependency),
        "store": (SessionStore, store_dependency),
        "caller": (Caller, markers.caller),
    }
    if needs_orchestrator:  # the sessions group never imports the orchestrator client
        needs["orchestrator"] = (Any, orchestrator_dependency)
    params = [
        inspect.Parameter(name, KEYWORD, annotation=Annotated[kind, markers.depends(provider)])
        for name, (kind, provider) in needs.items()
    ]
    return _with_signature(context, params)


def as_route(operation: Operation, markers: Markers) -> Callable:
    """`operation`'s route: its name, its docstring, and the parameters the host framework reads
    and validates, as perform() takes them: `ctx`, then `idempotency_key` (when the operation
    honours one), `if_none_match` (when it is conditional), the path parameters as strings,
    `query` and `body` as the operation's models. A plain function: the use case blocks
    (botocore, httpx), and FastAPI runs it in its thread pool."""

    def route(ctx: Context, **inputs) -> Any:
        return markers.respond(perform(operation, ctx, **inputs))

    ctx = Annotated[Context, markers.depends(_context(markers, operation.needs_orchestrator))]
    params = [inspect.Parameter("ctx", KEYWORD, annotation=ctx)]
    if operation.idempotent:
        key = Annotated[str | None, markers.header(alias=HEADER, pattern=KEY_PATTERN)]
        params.append(inspect.Parameter("idempotency_key", KEYWORD, annotation=key, default=None))
    if operation.conditional:
        tag = Annotated[str | None, markers.header(alias=IF_NONE_MATCH)]
        params.append(inspect.Parameter("if_none_match", KEYWORD, annotation=tag, default=None))
    params += [inspect.Parameter(name, KEYWORD, annotation=str) for name in operation.path_params]
    if operation.query is not None:
        query = Annotated[operation.query, markers.query()]
        params.append(inspect.Parameter("query", KEYWORD, annotation=query))
    if operation.body is not None:
        required = operation.body_required
        body = Annotated[operation.body if required else operation.body | None, markers.body()]
        default = inspect.Parameter.empty if required else None
        params.append(inspect.Parameter("body", KEYWORD, annotation=body, default=default))
    _with_signature(route, params)
    route.__name__ = operation.name
    route.__doc__ = operation.call.__doc__
    return route
