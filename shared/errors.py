"""Typed domain errors, and the one JSON error shape, {"error": {"code", "message"}}, both hosts
answer them with. The HTTP edge maps each class to one status; nothing matches on text."""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

logger = logging.getLogger("chiffon.dashboard")

# What each status an error class answers with means, for the OpenAPI document; every operation
# documents them all (tests/hostile/test_schema_docs.py checks that no class's status is left out).
ERROR_STATUSES = {
    400: "Bad input",
    401: "No caller identity where one is required",
    404: "Unknown, malformed or someone else's",
    409: "Not allowed in the current state, or a concurrent change",
    413: "Request body over 64 KB",
    422: "Idempotency-Key reused for a different request",
    500: "Unexpected fault",
    502: "The orchestrator's answer could not be used",
    503: "The orchestrator or the session store cannot be reached",
    504: "The orchestrator did not answer in time",
}
# The codes of the errors a framework answers by itself (no such route, method or body).
HTTP_CODES = {
    400: "invalid_request",
    401: "unauthenticated",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}
TOO_LARGE = "The request body is too large."


def error_content(code: str, message: str) -> dict:
    """The one JSON error shape, for every error answer of either host."""
    return {"error": {"code": code, "message": message}}


class DashboardError(Exception):
    """Base class: `code` is the machine-readable error code, `status` the HTTP status."""

    code = "internal_error"
    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def content(self) -> dict:
        return error_content(self.code, self.message)


def internal_error() -> DashboardError:
    """The answer to a fault no handler expected, while it is being handled: its trace goes to
    the log, never to the caller."""
    logger.exception("unhandled error")
    return DashboardError("Something went wrong on our side.")


class InvalidInput(DashboardError):
    code = "invalid_request"
    status = 400


def invalid_request(errors: Iterable[Mapping[str, Any]]) -> InvalidInput:
    """What a framework's validation refused, as the 400 the web client expects (not the
    frameworks' 422): it names the fields and what is wrong with them, without echoing what was
    sent. `errors` are pydantic's, located as both frameworks locate them ("body", "query",
    "header" or "path" first)."""
    parts = []
    for item in list(errors)[:5]:
        location = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "body"
        if item.get("type") == "missing":
            parts.append(f"{location} is required")
        elif item.get("type") == "extra_forbidden":
            parts.append("unknown fields are not allowed")  # the name is the client's own text
        elif item.get("type") == "json_invalid":
            parts.append("the body is not valid JSON")
        elif item.get("type") == "unsupported_content_type":
            parts.append("the body must be JSON (Content-Type: application/json)")
        else:
            parts.append(f"{location}: {item.get('msg', 'invalid value')}")
    return InvalidInput("; ".join(parts) or "The request is not valid.")


class Unauthenticated(DashboardError):
    code = "unauthenticated"
    status = 401


class NotFound(DashboardError):
    code = "not_found"
    status = 404


class PayloadTooLarge(DashboardError):
    """A request body over MAX_BODY_BYTES (shared/api.py), refused before anything parses it."""

    code = "payload_too_large"
    status = 413


class Conflict(DashboardError):
    """An optimistic-lock failure or an action the current state does not allow."""

    code = "conflict"
    status = 409


class ConcurrentChange(Conflict):
    """The session or plan changed between the read and the conditional write: the work may be
    tried again from a fresh read (shared/services/retries.py)."""


class PlanExpired(Conflict):
    """The plan waited for approval longer than APPROVAL_TTL_SECONDS: it can no longer be
    approved, only modified (a fresh plan) or rejected."""

    code = "plan_expired"


class SessionBusy(Conflict):
    """The session cannot be deleted now: a run is executing or an approval is in flight."""

    code = "session_busy"


class StoreUnavailable(DashboardError):
    code = "store_unavailable"
    status = 503


class TooLargeToStore(DashboardError):
    """What was to be stored is over DynamoDB's 400 KB item limit. Trying again stores the same
    again: not a 503. What can grow that large is what the orchestrator returned (a plan, its
    steps): the person's own input is capped at the edge, so it is the gateway's answer that
    cannot be used (502). The store tells the facts: which record (`record`, e.g. "plan") and
    its size as sent (`size_bytes`, when known); what to do about it is the use case's to say."""

    code = "too_large_to_store"
    status = 502

    def __init__(self, message: str, *, record: str = "record", size_bytes: int | None = None):
        super().__init__(message)
        self.record = record
        self.size_bytes = size_bytes


class NotReady(DashboardError):
    """A dependency this service needs (the table, the orchestrator) cannot be reached now."""

    code = "not_ready"
    status = 503


class OrchestratorError(DashboardError):
    """Base for faults of the orchestrator as seen from here."""


class OrchestratorUnreachable(OrchestratorError):
    code = "orchestrator_unreachable"
    status = 503


class OrchestratorTimeout(OrchestratorError):
    code = "orchestrator_timeout"
    status = 504


class OrchestratorBadAnswer(OrchestratorError):
    """Non-JSON, wrong shape, or an upstream 5xx: the gateway got an answer it cannot use."""

    code = "orchestrator_bad_answer"
    status = 502


class OrchestratorRejected(OrchestratorError):
    """An upstream 4xx other than 404 (e.g. the orchestrator refused the request text)."""

    code = "orchestrator_rejected"
    status = 502  # we only send what the contract allows, so a refusal is the gateway's fault

    def __init__(self, message: str, upstream_status: int):
        super().__init__(message)
        self.upstream_status = upstream_status


class OrchestratorNotFound(OrchestratorError):
    """The orchestrator does not know a plan/request/task this service holds (it keeps them in
    memory and forgets them on restart): a gateway fault from the caller's point of view."""

    code = "orchestrator_lost_track"
    status = 502
