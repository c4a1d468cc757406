"""Idempotency-Key on the POSTs that change things: a repeat with the same key gets the first
answer again and does no work; the same key with a different request is refused.

Why not Powertools' idempotency utility: its decorators wrap synchronous functions or the whole
Lambda handler (async support was declined upstream, issue #4483), so it would neither cover the
local app nor our async use cases. The record lives in the same table, through the store.

A pure ASGI middleware: requests without a key (all GETs among them) pass straight through.
"""

import hashlib
import re
from collections.abc import Callable

from shared.errors import DashboardError
from shared.identity import caller_from
from shared.settings import get_settings
from shared.store.base import SessionStore
from shared.web.asgi import (
    ASGIApp,
    Headers,
    JSONAnswer,
    Message,
    Receive,
    Scope,
    Send,
    read_body,
    replaying,
)
from shared.web.errors import error_response

HEADER = "Idempotency-Key"
TTL_SECONDS = 24 * 3600
_VALID_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_PROTECTED = re.compile(r"^/api/dashboard/(chat|plan/[^/]+/(approve|reject|modify|abort))$")


def _digest(*parts: bytes) -> str:
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store: Callable[[], SessionStore]):
        self.app = app
        self.store = store  # looked up per request, so tests can swap the store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not _PROTECTED.match(scope["path"])
            or HEADER.lower().encode() not in dict(scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope)
        key = headers[HEADER]
        if not _VALID_KEY.match(key):
            message = f"{HEADER} must be 1-128 characters of letters, digits and . _ : -"
            await error_response(400, "invalid_request", message)(scope, receive, send)
            return
        body = await read_body(receive)  # within the limit: BodyLimitMiddleware is outside
        caller = caller_from(scope.get("aws.event"), headers, get_settings())
        # Keys are scoped to the caller, so one user's key can never replay another's answer.
        scoped = _digest((caller.user_id or "").encode(), key.encode())
        fingerprint = _digest(scope["path"].encode(), body)
        store = self.store()
        try:
            # A short lease while in progress: a claim whose release failed (or whose Lambda was
            # stopped) frees itself; the answer, once stored, is kept for TTL_SECONDS.
            lease = get_settings().stale_claim_seconds
            seen = await store.claim_idempotency_key(scoped, fingerprint, lease)
        except DashboardError as error:
            await error_response(error.status, error.code, error.message)(scope, receive, send)
            return
        if seen is not None:
            await self._answer_repeat(seen, fingerprint)(scope, receive, send)
            return
        await self._first_time(scope, body, send, store, scoped, fingerprint)

    @staticmethod
    def _answer_repeat(seen, fingerprint: str) -> JSONAnswer:
        if seen.fingerprint != fingerprint:
            return error_response(
                422, "idempotency_key_reused", f"This {HEADER} was used for a different request."
            )
        if seen.status == "in_progress":
            return error_response(
                409, "request_in_progress", f"A request with this {HEADER} is still being handled."
            )
        return JSONAnswer(
            seen.response_status or 200,
            seen.response_body,
            headers={"Idempotent-Replayed": "true"},
        )

    async def _first_time(self, scope, body, send, store, scoped, fingerprint) -> None:
        status, chunks = 500, []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replaying(body), capture)
        except BaseException:
            await store.release_idempotency_key(scoped)
            raise
        try:
            if status >= 500:
                await store.release_idempotency_key(scoped)  # a fault: a retry may succeed
            else:
                answer = b"".join(chunks).decode()
                await store.complete_idempotency_key(
                    scoped, fingerprint, status, answer, TTL_SECONDS
                )
        except DashboardError:
            pass  # the work is done and answered; the key merely will not replay
