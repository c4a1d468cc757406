"""all_of waits for every call before it reports a failure, and keeps the order of results."""

import threading
import time

import pytest

from shared.services.fanout import all_of


def test_a_failure_is_raised_only_after_the_slower_calls_finish():
    finished = []

    def fails():
        raise RuntimeError("first")

    def slow():
        time.sleep(0.05)
        finished.append("slow")
        return "done"

    with pytest.raises(RuntimeError, match="first"):
        all_of([fails, slow])
    assert finished == ["slow"]


def test_results_keep_their_order_and_the_calls_overlap():
    # Each call waits for all three to have started: run one after the other, none would.
    started = threading.Barrier(3, timeout=5)

    def value(n):
        started.wait()
        time.sleep(0.01 * (3 - n))
        return n

    assert all_of([lambda: value(1), lambda: value(2), lambda: value(3)]) == [1, 2, 3]
