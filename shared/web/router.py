"""The Lambda functions' web layer: an ASGI app that serves `Operation`s with the same
validation, error shape and middlewares as the FastAPI app, without importing FastAPI or
Starlette (together ~225 ms of a cold start, most of a bare Lambda's whole start).

What it does, FastAPI's way, so both hosts answer alike (tests run the API suites on both):
path parameters as strings; query parameters and JSON bodies validated by the operation's
pydantic models, errors located as ("query"|"body", field...); 400 in the one error shape for
bad input; 404 and 405 (with Allow) for unknown routes; the response model serialised as JSON.
"""

import inspect
import json
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, TypeAdapter, ValidationError

from shared.errors import DashboardError
from shared.identity import caller_from
from shared.services.context import Context
from shared.web.asgi import Headers, JSONAnswer, Receive, Scope, Send, read_body
from shared.web.errors import CatchAllMiddleware, error_response, invalid_request
from shared.web.idempotency import IdempotencyMiddleware
from shared.web.limits import BodyLimitMiddleware
from shared.web.operations import Answer, Operation
from shared.web.providers import (
    orchestrator_dependency,
    settings_dependency,
    store_dependency,
    store_unless_overridden,
)


class _Route:
    def __init__(self, operation: Operation):
        self.operation = operation
        self.pattern = operation.path_pattern()

    @cached_property
    def optional_body(self) -> TypeAdapter:
        # Built on first use: only create-session has an optional body.
        return TypeAdapter(self.operation.body | None)


class Api:
    """`Api(*operation_groups)`: an ASGI app serving those operations behind the body limit,
    the Idempotency-Key middleware and the catch-all 500s, in the FastAPI app's order."""

    def __init__(self, *groups: Iterable[Operation]):
        self.routes = [_Route(op) for group in groups for op in group]
        self.dependency_overrides: dict[Any, Any] = {}
        # The inner catch-all lets the idempotency middleware see the 500 (and free the key);
        # the outer one answers a fault of the middlewares themselves (FastAPI's
        # ServerErrorMiddleware does that there).
        stack = CatchAllMiddleware(self._dispatch)
        stack = IdempotencyMiddleware(stack, store=self._store_for_middleware)
        self._stack = CatchAllMiddleware(BodyLimitMiddleware(stack))

    @property
    def operations(self) -> list[Operation]:
        return [route.operation for route in self.routes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        await self._stack(scope, receive, send)

    # -- providers, overridable as in FastAPI ------------------------------------------------

    async def _provide(self, provider: Any) -> Any:
        value = self.dependency_overrides.get(provider, provider)()
        return await value if inspect.isawaitable(value) else value

    def _store_for_middleware(self):
        return store_unless_overridden(self.dependency_overrides)

    async def _context(self, scope: Scope, operation: Operation) -> Context:
        settings = await self._provide(settings_dependency)
        store = await self._provide(store_dependency)
        # Mangum puts the API Gateway event in the scope; locally there is none.
        caller = caller_from(scope.get("aws.event"), Headers(scope), settings)
        orchestrator = None
        if operation.needs_orchestrator:
            orchestrator = await self._provide(orchestrator_dependency)
        return Context(store=store, caller=caller, settings=settings, orchestrator=orchestrator)

    # -- one request ---------------------------------------------------------------------------

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        route, params, allowed = self._match(scope["method"], scope["path"])
        if route is None:
            if allowed:
                answer = error_response(
                    405, "method_not_allowed", "Method Not Allowed", {"allow": ", ".join(allowed)}
                )
            else:
                answer = error_response(404, "not_found", "Not Found")
            await answer(scope, receive, send)
            return
        try:
            answer = await self._answer(route, params, scope, receive)
        except _InvalidRequest as error:
            answer = invalid_request(error.errors)
        except _ParseError:
            answer = error_response(400, "invalid_request", "There was an error parsing the body")
        except DashboardError as error:
            answer = error_response(error.status, error.code, error.message)
        await answer(scope, receive, send)

    def _match(self, method: str, path: str) -> tuple[_Route | None, dict[str, str], list[str]]:
        allowed = []
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.operation.method == method:
                return route, found.groupdict(), []
            allowed.append(route.operation.method)
        return None, {}, allowed

    async def _answer(self, route: _Route, params: dict, scope: Scope, receive: Receive):
        operation = route.operation
        kwargs: dict[str, Any] = dict(params)
        if operation.query is not None:
            kwargs["query"] = _located(
                "query", operation.query.model_validate, _query_params(scope)
            )
        if operation.body is not None:
            kwargs["body"] = await _read_model(route, scope, receive)
        ctx = await self._context(scope, operation)
        result = await operation.call(ctx, **kwargs)
        headers = {}
        if isinstance(result, Answer):
            result, headers = result.body, result.headers
        if isinstance(result, BaseModel):
            return JSONAnswer(operation.status_code, result.model_dump_json(), headers)
        return JSONAnswer.of(operation.status_code, result, headers)


class _InvalidRequest(Exception):
    def __init__(self, errors: Sequence[dict]):
        self.errors = errors


class _ParseError(Exception):
    """A body announced as JSON that cannot be read at all."""


def _located(where: str, validate, value, **options):
    """Validate, with the error locations FastAPI reports (("body", "message"), ...)."""
    try:
        return validate(value, **options)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        raise _InvalidRequest([{**e, "loc": (where, *e["loc"])} for e in errors]) from None


def _query_params(scope: Scope) -> dict[str, str]:
    # The last of repeated parameters wins, as with Starlette's QueryParams.get.
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))


def _is_json(content_type: str) -> bool:
    # As FastAPI reads it (email.message): exactly one "/" or it is not a type at all.
    main, slash, subtype = content_type.split(";", 1)[0].strip().lower().partition("/")
    if not slash or "/" in subtype:
        return False
    return main == "application" and (subtype == "json" or subtype.endswith("+json"))


_EMPTY = object()  # no body at all, as opposed to a JSON null


async def _read_model(route: _Route, scope: Scope, receive: Receive) -> Any:
    """The body as FastAPI reads it: JSON only when announced as JSON, an empty body missing,
    anything else validated (from attributes, so a non-object gets FastAPI's message and not
    the model's class name)."""
    operation = route.operation
    raw = await read_body(receive)
    value: Any = _EMPTY
    if raw:
        content_type = Headers(scope).get("content-type")
        if not content_type or not _is_json(content_type):
            value = raw  # not announced as JSON: the model refuses it, as FastAPI's does
        else:
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                raise _InvalidRequest([{"type": "json_invalid", "loc": ("body",)}]) from None
            except (ValueError, RecursionError):  # not text, or nested too deep
                raise _ParseError() from None
    if not operation.body_required:
        value = None if value is _EMPTY else value
        return _located("body", route.optional_body.validate_python, value, from_attributes=True)
    if value is _EMPTY:
        raise _InvalidRequest([{"type": "missing", "loc": ("body",)}])
    return _located("body", operation.body.model_validate, value, from_attributes=True)


async def _lifespan(receive: Receive, send: Send) -> None:
    # Nothing to start or stop: clients are made once per process, on first use.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
