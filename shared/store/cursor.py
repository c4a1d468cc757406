"""Opaque history cursors: the sort key of the last message a page returned, base64url-encoded."""

import base64
import binascii
import re

from shared.errors import InvalidInput

_MESSAGE_KEY = re.compile(r"^MSG#[0-9A-HJKMNP-TV-Z]{26}$")


def encode_cursor(message_sort_key: str) -> str:
    return base64.urlsafe_b64encode(message_sort_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidInput("The history cursor is not valid.") from None
    if not _MESSAGE_KEY.match(key):
        raise InvalidInput("The history cursor is not valid.")
    return key
