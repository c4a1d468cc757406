"""Conditional GETs: an operation marked `conditional` answers with an `ETag`, a hash of its
answer without the parts that change while nothing happens (when the steps were observed); a
request whose `If-None-Match` names it gets 304 with no body. Both hosts read the header as a
parameter of the route (shared/web/signatures.py) and turn the 304 `Answer` into their own
response."""

import hashlib
import json
from typing import Any

from pydantic import BaseModel

from shared.web.operations import Answer

HEADER = "If-None-Match"
# Fields that say when, not what: two answers that differ only in these are the same answer.
VOLATILE = frozenset({"last_update", "observed_at"})
NOT_MODIFIED = 304


def etag(body: Any) -> str:
    content = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    if isinstance(content, dict):
        content = {k: v for k, v in content.items() if k not in VOLATILE}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _matches(tag: str, if_none_match: str) -> bool:
    # The header lists entity tags separated by commas, or is "*"; a weak tag (W/"...")
    # matches its strong form (RFC 9110, weak comparison for If-None-Match).
    listed = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in listed or tag in listed


def conditional_answer(result: Any, if_none_match: str | None) -> Answer:
    """The result with its ETag, or a 304 Answer (no body) when `if_none_match` names it."""
    answer = result if isinstance(result, Answer) else Answer(result)
    tag = etag(answer.body)
    headers = {**answer.headers, "ETag": tag}
    if if_none_match is not None and _matches(tag, if_none_match):
        return Answer(None, headers, NOT_MODIFIED)
    return Answer(answer.body, headers, answer.status)
