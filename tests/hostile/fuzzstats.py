"""What the schema fuzzing ran, for the terminal summary (see conftest.py)."""

from collections import Counter

OPERATIONS: dict[str, int] = {}  # operation label -> cases run
STATUSES: Counter = Counter()  # status code -> answers
SECONDS: list[float] = []


def record(label: str, cases: int, statuses: Counter, seconds: float) -> None:
    OPERATIONS[label] = OPERATIONS.get(label, 0) + cases
    STATUSES.update(statuses)
    SECONDS.append(seconds)


def summary() -> str:
    total = sum(OPERATIONS.values())
    by_status = ", ".join(f"{code}: {n}" for code, n in sorted(STATUSES.items()))
    return (
        f"{total} cases over {len(OPERATIONS)} operations (both hosts) in {sum(SECONDS):.1f} s "
        f"(answers by status: {by_status})"
    )
