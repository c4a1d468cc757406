"""all_of waits for every call before it reports a failure."""

import asyncio

import pytest

from shared.services.fanout import all_of


async def test_a_failure_is_raised_only_after_the_slower_calls_finish():
    finished = []

    async def fails():
        raise RuntimeError("first")

    async def slow():
        await asyncio.sleep(0.05)
        finished.append("slow")
        return "done"

    with pytest.raises(RuntimeError, match="first"):
        await all_of([fails(), slow()])
    assert finished == ["slow"]


async def test_results_keep_their_order():
    async def value(n):
        await asyncio.sleep(0.01 * (3 - n))
        return n

    assert await all_of([value(1), value(2), value(3)]) == [1, 2, 3]
