"""4. Orchestrator calls per endpoint (counted by the stand-in, same run as benchmark 3), and the
status fan-out: GET /plan/{id}/status of a running plan of 10 tasks vs 1 task, against
bench/fake_orchestrator.py (50 ms per call; the stand-in makes at most 6 tasks), alternating.
"""

from __future__ import annotations

import time

import httpx

from bench import calls, flows
from bench.common import USER, Figure, Stack, app_env, median, ms, percentile, print_table

KINDS = ["request", "plan", "approve", "plan_status", "task_status", "cancel"]
TABLE = "bench-fanout"
DELAY = 0.05
TARGET_RATIO = 1.5  # concurrent: ~1x; one call after another would be ~10x


def _counts_table(stack: Stack) -> list[Figure]:
    result = calls.collect(stack)
    steps = result["steps"]
    rows, over = [], []
    for row in result["rows"]:
        counts = row["orchestrator"]
        minimum = calls.min_orchestrator(row["endpoint"], steps)
        extra = sum(counts.values()) - sum(minimum.values())
        if extra and "replay" not in row["endpoint"]:
            over.append(f"{row['endpoint']} ({extra:+d})")
        rows.append([
            row["endpoint"], *[str(counts.get(k, 0)) for k in KINDS],
            " ".join(f"{k} {v}" for k, v in minimum.items()) or "0",
            "=" if extra == 0 else f"{extra:+d}",
        ])  # fmt: skip
    print(f"  orchestrator calls per request (stand-in counters; the run has {steps} tasks)")
    print_table(["endpoint", *KINDS, "minimum", "vs min"], rows)
    by_name = {r["endpoint"]: r["orchestrator"] for r in result["rows"]}
    chat = by_name["chat: new request"]
    status = by_name["status (run going)"]
    return [
        Figure("4 orchestrator", "chat turn: requests + plan generations",
               f"{chat.get('request', 0)} + {chat.get('plan', 0)}", "1 + 1",
               chat.get("request") == 1 and chat.get("plan") == 1),
        Figure("4 orchestrator", f"status: task status calls per running task ({steps} tasks)",
               f"{status.get('task_status', 0) / steps:.2f}", "1",
               status.get("task_status", 0) == steps),
        Figure("4 orchestrator", "endpoints above the minimum", ", ".join(over) or "none",
               "none", not over),
    ]  # fmt: skip


def _latency(stack: Stack, samples: int) -> list[Figure]:
    ddb = stack.dynamodb()
    table = stack.table(TABLE)
    fake = stack.start_server("fake-orchestrator",
                              ["bench.fake_orchestrator", "--delay", str(DELAY)],
                              app_env(ddb.endpoint_url, table, ""))  # fmt: skip
    # Every GET asks the orchestrator here (no status snapshot): this measures the fan-out.
    dashboard = stack.uvicorn("fanout-dashboard", "functions.app:app",
                              app_env(ddb.endpoint_url, table, fake.url,
                                      STATUS_SNAPSHOT="false"))  # fmt: skip
    try:
        urls = {}
        for count in (10, 1):
            session_id, plan_id = flows.session_with_plan(
                dashboard.url, f"run tasks={count} for the bench service"
            )
            flows.approve(dashboard.url, session_id, plan_id)
            urls[count] = f"{dashboard.url}/api/dashboard/plan/{plan_id}/status"
        latencies: dict[int, list[float]] = {10: [], 1: []}
        with httpx.Client(timeout=30, headers={"X-User-Id": USER}) as client:
            for url in urls.values():  # warm-up
                for _ in range(3):
                    client.get(url).raise_for_status()
            httpx.post(f"{fake.url}/_fake/reset", timeout=10)
            for i in range(samples):
                for count in (10, 1) if i % 2 == 0 else (1, 10):
                    sent = time.perf_counter()
                    answer = client.get(urls[count])
                    latencies[count].append(time.perf_counter() - sent)
                    answer.raise_for_status()
                    if len(answer.json()["steps"]) != count:
                        raise RuntimeError(f"expected {count} steps: {answer.text[:300]}")
        stats = httpx.get(f"{fake.url}/_fake/stats", timeout=10).json()
    finally:
        stack.stop_server(dashboard)
        stack.stop_server(fake)

    p10, p1 = median(latencies[10]), median(latencies[1])
    ratio = p10 / p1
    per_request = stats["calls"].get("task_status", 0) / (samples * 11)
    print(f"  status latency, fake orchestrator with {ms(DELAY)} per call, {samples} sequential "
          "GETs per side, alternating")  # fmt: skip
    print_table(
        ["plan", "p50", "p90", "if one call after another"],
        [["10 tasks", ms(p10), ms(percentile(latencies[10], 90)), f">= {ms(10 * DELAY)}"],
         [" 1 task", ms(p1), ms(percentile(latencies[1], 90)), f">= {ms(DELAY)}"]],
    )  # fmt: skip
    print(
        f"  task status calls: {stats['calls'].get('task_status', 0)} for {samples} x (10 + 1) "
        f"steps ({per_request:.2f} per step); at most {stats['max_in_flight']} in flight at once"
    )
    return [
        Figure("4 orchestrator", "status p50, 10 tasks / 1 task (50 ms per call)",
               f"{ms(p10)} / {ms(p1)} = {ratio:.2f}x", f"<= {TARGET_RATIO}x (~1x)",
               ratio <= TARGET_RATIO),
        Figure("4 orchestrator", "task status calls in flight at once (10 tasks)",
               str(stats["max_in_flight"]), "10", stats["max_in_flight"] == 10),
    ]  # fmt: skip


def run(stack: Stack, *, samples: int) -> list[Figure]:
    return _counts_table(stack) + _latency(stack, samples)
