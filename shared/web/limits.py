"""Refuse request bodies over the limit before any work is done, whether the client announces
the size (Content-Length) or streams it (chunked). A pure ASGI middleware: it costs nothing on
requests without a body."""

from shared.web.asgi import (
    ASGIApp,
    BodyTooLarge,
    Headers,
    Receive,
    Scope,
    Send,
    read_body,
    replaying,
)
from shared.web.errors import error_response

MAX_BODY_BYTES = 64 * 1024  # a chat message is at most 10,000 characters; nothing needs more


def _too_large():
    return error_response(413, "payload_too_large", "The request body is too large.")


def _within(length: str, max_bytes: int) -> bool:
    # ASCII digits only ("²".isdigit() is true), and short enough for int() to read: a header
    # of thousands of digits is simply too large, not a fault.
    digits = length.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(max_bytes)):
        return False
    return int(digits) <= max_bytes


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = Headers(scope).get("content-length")
        if length is not None and not _within(length, self.max_bytes):
            await _too_large()(scope, receive, send)
            return
        # Read here, at most max_bytes of it: a body that streams past the limit is refused
        # before the app sees any of it, whatever the app would have done with it.
        try:
            body = await read_body(receive, self.max_bytes)
        except BodyTooLarge:
            await _too_large()(scope, receive, send)
            return
        await self.app(scope, replaying(body), send)
