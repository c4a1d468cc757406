"""Who is calling. In Lambda: the verified `sub` claim of the HTTP API JWT authorizer. Locally,
without an authorizer: a development identity from a header (X-User-Id by default)."""

from dataclasses import dataclass
from typing import Any

from shared.errors import NotFound, Unauthenticated
from shared.settings import Settings


@dataclass(frozen=True)
class Caller:
    user_id: str | None
    verified: bool = False  # True when the id comes from a JWT claim


def caller_from(event: dict[str, Any] | None, headers: Any, settings: Settings) -> Caller:
    claims = ((event or {}).get("requestContext") or {}).get("authorizer", {}).get("jwt", {}).get(
        "claims", {}
    ) or {}
    if sub := claims.get("sub"):
        return Caller(user_id=str(sub), verified=True)
    if settings.require_identity:
        return Caller(user_id=None)  # only a verified claim counts; the header is for local use
    header = headers.get(settings.dev_identity_header)
    if header and header.strip():
        return Caller(user_id=header.strip()[:128])
    return Caller(user_id=None)


def check_access(owner_id: str, caller: Caller, settings: Settings, what: str) -> None:
    """A session and its plans belong to their creator; to anyone else they do not exist."""
    if caller.user_id is None:
        if settings.require_identity:
            raise Unauthenticated("Sign in to use the dashboard.")
        return  # local development without identities: everything is visible
    if caller.user_id != owner_id:
        raise NotFound(f"{what} not found.")
