"""One time budget per request for all its orchestrator calls, retries and waits included.

The web adapters open it around the use case; the client reads what is left before each attempt
(and gives each attempt at most that), and starts no retry the budget cannot cover. A context
variable, so the calls a use case fans out to other threads (shared/services/fanout.py copies
the context) share the same budget.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("orchestrator_deadline", default=None)


@contextmanager
def request_budget(seconds: float) -> Iterator[None]:
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


@contextmanager
def holding_back(share: float) -> Iterator[None]:
    """Within the block, the budget ends early: `share` of what is left now is kept for what
    must follow the block even when the block's calls use all they are given."""
    left = time_left()
    if left is None:  # no budget: nothing to share
        yield
        return
    token = _deadline.set(time.monotonic() + left * (1 - share))
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds left of the request's budget; None outside a request (no budget)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()
