"""The two hosts of the dashboard's operations, which the API test suites run on alike:

- "fastapi": functions.app, the all-in-one FastAPI app (the local stack, the OpenAPI document);
- "lambda": Powertools' resolver as the Lambda functions run it (shared/web/lambda_app.py), here
  with every group's operations, as one process would hold them, behind `LambdaAsASGI`: each
  request becomes an API Gateway HTTP API event for the Lambda handler.

Both are ASGI apps with `dependency_overrides`, so httpx's ASGI transport and schemathesis reach
them the same way.
"""

import asyncio
import threading
from functools import lru_cache

import httpx

from tests.lambda_events import LambdaContext, http_event, response_of

HOSTS = ("fastapi", "lambda")


class LambdaAsASGI:
    """The Lambda handler behind an ASGI door, for clients that speak ASGI. The handler runs in
    a thread: it blocks, as it does in Lambda.

    Lambda gives an execution environment one event at a time, and runs concurrent events in
    other environments. So does this door: a request takes an idle (resolver, handler) pair, or
    makes another, like a new environment (Powertools' resolver keeps the event it is resolving
    on itself, so one resolver answering two threads at once mixes their requests up). All the
    pairs share one `dependency_overrides`, so a test replaces a dependency once for all."""

    def __init__(self, make_handler):
        self.make_handler = make_handler
        self.resolver, handler = make_handler()
        self.dependency_overrides = self.resolver.dependency_overrides
        self.idle = [handler]
        self.lock = threading.Lock()

    def _invoke(self, event: dict) -> dict:
        with self.lock:
            handler = self.idle.pop() if self.idle else None
        if handler is None:
            resolver, handler = self.make_handler()
            resolver.dependency_overrides = self.dependency_overrides
        try:
            return handler(event, LambdaContext())
        finally:
            with self.lock:
                self.idle.append(handler)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        try:
            text = body.decode() if body else None
        except UnicodeDecodeError:  # as API Gateway passes a body that is not text: base64
            text = None
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        headers.pop("host", None)
        event = http_event(
            scope["method"],
            scope["path"],
            body=text if text is not None else (body or None),
            headers=headers,
            query=scope.get("query_string", b"").decode("latin-1"),
            base64_body=bool(body) and text is None,
        )
        response = await asyncio.to_thread(self._invoke, event)
        status, response_headers, content = response_of(response)
        raw = [(k.lower().encode("latin-1"), v.encode()) for k, v in response_headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": content})


@lru_cache(maxsize=1)
def lambda_app() -> LambdaAsASGI:
    from functions.chat.routes import OPERATIONS as CHAT
    from functions.plans.routes import OPERATIONS as PLANS
    from functions.sessions.routes import OPERATIONS as SESSIONS
    from shared.web.lambda_app import lambda_handler_for, resolver_for

    def make_handler():
        resolver = resolver_for(SESSIONS, CHAT, PLANS)
        return resolver, lambda_handler_for(resolver, service="tests")

    return LambdaAsASGI(make_handler)


def dashboard_app(host: str):
    if host == "fastapi":
        from functions.app import app

        return app
    return lambda_app()


def transport_for(app, **options) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=app, **options)
