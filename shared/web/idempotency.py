"""Idempotency-Key on the POSTs that change things: a repeat with the same key gets the first
answer again and does no work; the same key with a different request is refused.

Why not Powertools' idempotency utility: its decorators wrap synchronous functions or the whole
Lambda handler (async support was declined upstream, issue #4483), so it would neither cover the
local app nor our async use cases. The record lives in the same table, through the store.
"""

import hashlib
import re

from fastapi import FastAPI, Request, Response

from shared.errors import DashboardError
from shared.identity import caller_from
from shared.settings import get_settings
from shared.store import get_store
from shared.web.errors import error_response

HEADER = "Idempotency-Key"
TTL_SECONDS = 24 * 3600
_VALID_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_PROTECTED = re.compile(r"^/api/dashboard/(chat|plan/[^/]+/(approve|reject|modify|abort))/?$")


def _digest(*parts: bytes) -> str:
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def install_idempotency(app: FastAPI) -> None:
    @app.middleware("http")
    async def idempotency(request: Request, call_next):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not _PROTECTED.match(request.url.path):
            return await call_next(request)
        if not _VALID_KEY.match(key):
            return error_response(400, "invalid_request", f"{HEADER} must be 1-128 characters "
                                  "of letters, digits and . _ : -")  # fmt: skip
        body = await request.body()
        caller = caller_from(request.scope.get("aws.event"), request.headers, get_settings())
        # Keys are scoped to the caller, so one user's key can never replay another's answer.
        scoped = _digest((caller.user_id or "").encode(), key.encode())
        fingerprint = _digest(request.url.path.encode(), body)
        store = app.dependency_overrides.get(get_store, get_store)()
        try:
            seen = await store.claim_idempotency_key(scoped, fingerprint, TTL_SECONDS)
        except DashboardError as error:
            return error_response(error.status, error.code, error.message)
        if seen is not None:
            if seen.fingerprint != fingerprint:
                return error_response(422, "idempotency_key_reused", f"This {HEADER} was used "
                                      "for a different request.")  # fmt: skip
            if seen.status == "in_progress":
                return error_response(409, "request_in_progress", "A request with this "
                                      f"{HEADER} is still being handled.")  # fmt: skip
            return Response(
                seen.response_body, status_code=seen.response_status or 200,
                media_type="application/json", headers={"Idempotent-Replayed": "true"},
            )  # fmt: skip

        try:
            response = await call_next(request)
            answer = b"".join([chunk async for chunk in response.body_iterator])
        except BaseException:
            await store.release_idempotency_key(scoped)
            raise
        try:
            if response.status_code >= 500:
                await store.release_idempotency_key(scoped)  # a fault: a retry may succeed
            else:
                await store.complete_idempotency_key(
                    scoped, fingerprint, response.status_code, answer.decode(), TTL_SECONDS
                )
        except DashboardError:
            pass  # the work is done and answered; the key merely will not replay
        return Response(answer, status_code=response.status_code, headers=dict(response.headers))
