"""Run calls concurrently and wait for every one of them, even when one fails."""

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def all_of(calls: list[Awaitable[T]]) -> list[T]:
    """Like asyncio.gather, but a failure is raised only once every call has finished: a plain
    gather answers at the first failure while the other calls (cancels of a run, say) are still
    under way, so the caller would report an outcome that is still changing."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
