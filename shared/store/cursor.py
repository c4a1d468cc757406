"""Opaque cursors: a sort key the last page ended at, base64url-encoded.

- history: the sort key of the last message a page returned (MSG#<ulid>);
- sessions list: the owner index's sort key of the last session a page returned
  (<last activity>#<session id>, see shared/store/base.py `session_activity_key`).
"""

import base64
import binascii
import re

from shared.errors import InvalidInput

_MESSAGE_KEY = re.compile(r"^MSG#[0-9A-HJKMNP-TV-Z]{26}$")
_SESSION_ACTIVITY_KEY = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z"
    r"#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


def encode_cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def _decode(cursor: str, shape: re.Pattern, what: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidInput(f"The {what} cursor is not valid.") from None
    if not shape.match(key):
        raise InvalidInput(f"The {what} cursor is not valid.")
    return key


def decode_cursor(cursor: str) -> str:
    """The message sort key of a history cursor."""
    return _decode(cursor, _MESSAGE_KEY, "history")


def decode_session_cursor(cursor: str) -> str:
    """The owner index sort key of a sessions-list cursor."""
    return _decode(cursor, _SESSION_ACTIVITY_KEY, "sessions")
