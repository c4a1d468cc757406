"""Run calls concurrently and wait for every one of them, even when one fails.

The use cases are plain functions over blocking clients (botocore, httpx.Client); the only
concurrency they need is here: a run's task statuses or cancels, and a session read beside its
first page of history. One pool per process, its threads started as calls need them.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from contextvars import copy_context
from functools import lru_cache
from typing import TypeVar

from shared.tracing import in_callers_trace

T = TypeVar("T")

# As many as a run has steps in flight, and more than the default cpu_count + 4, which on a
# Lambda function (2 vCPUs at most sizes) would queue the status calls of a 10-step run.
MAX_WORKERS = 32


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="fanout")


def all_of(calls: list[Callable[[], T]]) -> list[T]:
    """The results of `calls`, in order. A failure is raised only once every call has finished:
    answering at the first failure while the others (cancels of a run, say) are still under way
    would report an outcome that is still changing. One call runs in the caller's thread."""
    if len(calls) <= 1:
        return [call() for call in calls]
    # Each call keeps the request's context (the logger's correlation id, the metrics of the
    # invocation) and records its X-Ray subsegments under the caller's (shared/tracing.py).
    futures = [_pool().submit(copy_context().run, in_callers_trace(call)) for call in calls]
    wait(futures)
    return [future.result() for future in futures]
