"""Conditional reads: a view's tag is a hash of the view without the parts that change while
nothing happens (when the steps were observed). A client that names the tag it holds
(If-None-Match) is told "not modified" and gets no body: a poller that finds nothing new costs
a few bytes, not the whole view."""

import hashlib
import json
from typing import Any

from pydantic import BaseModel

HEADER = "If-None-Match"
# Fields that say when, not what: two answers that differ only in these are the same answer.
VOLATILE = frozenset({"last_update", "observed_at"})


def etag(view: Any) -> str:
    content = view.model_dump(mode="json") if isinstance(view, BaseModel) else view
    if isinstance(content, dict):
        content = {k: v for k, v in content.items() if k not in VOLATILE}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def still_current(tag: str, if_none_match: str | None) -> bool:
    """Whether the client's If-None-Match names `tag`. The header lists entity tags separated by
    commas, or is "*"; a weak tag (W/"...") matches its strong form (RFC 9110, weak comparison
    for If-None-Match)."""
    if if_none_match is None:
        return False
    listed = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in listed or tag in listed
