"""The few ASGI pieces the dashboard's own middlewares and its Lambda router need, written out so
that neither imports Starlette: a Lambda function's cold start pays for every import."""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Headers:
    """Request headers, looked up case-insensitively (the first of repeated headers wins, as in
    Starlette)."""

    def __init__(self, scope: Scope):
        self._values: dict[str, str] = {}
        for name, value in scope.get("headers") or ():
            self._values.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._values.get(name.lower(), default)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._values

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]


class JSONAnswer:
    """A whole JSON response, and an ASGI app: `await JSONAnswer(...)(scope, receive, send)`."""

    media_type = "application/json"

    def __init__(self, status: int, body: bytes | str, headers: dict[str, str] | None = None):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = headers or {}

    @classmethod
    def of(cls, status: int, content: Any, headers: dict[str, str] | None = None) -> "JSONAnswer":
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return cls(status, text, headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = [
            (b"content-type", self.media_type.encode()),
            (b"content-length", str(len(self.body)).encode()),
        ]
        raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        await send({"type": "http.response.start", "status": self.status, "headers": raw})
        await send({"type": "http.response.body", "body": self.body})


class BodyTooLarge(Exception):
    pass


async def read_body(receive: Receive, max_bytes: int | None = None) -> bytes:
    """The whole request body; BodyTooLarge as soon as it passes `max_bytes`, if given."""
    chunks, received = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        received += len(chunk)
        if max_bytes is not None and received > max_bytes:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replaying(body: bytes) -> Receive:
    """A `receive` that hands the app a body that was already read, then a disconnect."""
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
