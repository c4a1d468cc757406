"""One JSON error shape, {"error": {"code", "message"}}, for both hosts: the pieces their
exception handlers share."""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from shared.models import ErrorResponse

logger = logging.getLogger("chiffon.dashboard")

HTTP_CODES = {
    400: "invalid_request",
    401: "unauthenticated",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}
INTERNAL_ERROR = "Something went wrong on our side."
TOO_LARGE = "The request body is too large."


def describe_validation_errors(errors: Iterable[Mapping[str, Any]]) -> str:
    """Name the fields and what is wrong with them, without echoing what was sent. `errors` are
    pydantic's, located as both frameworks locate them ("body", "query", "header" or "path"
    first)."""
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
    return "; ".join(parts) or "The request is not valid."


ERROR_RESPONSES = {
    code: {"model": ErrorResponse, "description": description}
    for code, description in {
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
    }.items()
}
