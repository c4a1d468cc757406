"""7. Watching a run at scale (issue 18): orchestrator task-status calls per second for one
running plan of 6 tasks (the stand-in's maximum), with 1, 10 and 50 concurrent pollers each
polling once per poll interval, today's behaviour (STATUS_SNAPSHOT=false: every poll asks the
orchestrator) against the shared status snapshot, both sides in one run; each side is served by
two uvicorn processes (pollers alternate between them), so the snapshot is shared across
processes as across Lambda containers. Also p50/p99 poll latency, bytes per poll with and without
304 (the snapshot side's pollers send If-None-Match with the last ETag, as a browser cache
would), and DynamoDB calls per poll (benchmark 3's counts, with the refreshes measured here).
"""

from __future__ import annotations

import asyncio
import random
import time

import httpx

from bench import calls, flows
from bench.common import USER, Figure, Stack, app_env, ms, percentile, print_table, set_standin
from bench.common import standin_calls as counted

TABLE = "bench-snapshot"
INTERVAL_MS = 500  # POLL_INTERVAL_MS for both sides: short, so a point takes a few seconds
STEPS = 6
POLLERS = (1, 10, 50)
SIX_STEPS = (
    "back up the database, migrate it, build, test and deploy the api service, then monitor it"
)
SIDES = {"today": "false", "snapshot": "true"}  # STATUS_SNAPSHOT


def _size(response: httpx.Response) -> int:
    """Bytes on the wire for the answer: status line, headers and body (HTTP/1.1)."""
    head = sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
    return len(b"HTTP/1.1 200 OK\r\n") + head + 2 + len(response.content)


async def _poller(client: httpx.AsyncClient, urls: list[str], until: float, conditional: bool,
                  out: dict) -> None:  # fmt: skip
    interval = INTERVAL_MS / 1000
    await asyncio.sleep(random.uniform(0, interval))  # browsers do not poll in step
    tag, turn = None, random.randrange(len(urls))
    while time.perf_counter() < until:
        tick = time.perf_counter()
        headers = {"If-None-Match": tag} if conditional and tag else {}
        sent = time.perf_counter()
        answer = await client.get(urls[turn % len(urls)], headers=headers)
        out["latency"].append(time.perf_counter() - sent)
        turn += 1
        if answer.status_code not in (200, 304):
            out["errors"] += 1
        else:
            out["bytes_304" if answer.status_code == 304 else "bytes_200"].append(_size(answer))
            tag = answer.headers.get("ETag", tag)
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - tick)))


async def _point(urls: list[str], pollers: int, seconds: float, conditional: bool) -> dict:
    out: dict = {"latency": [], "bytes_200": [], "bytes_304": [], "errors": 0}
    limits = httpx.Limits(max_connections=pollers * 2)
    async with httpx.AsyncClient(timeout=30, headers={"X-User-Id": USER}, limits=limits) as client:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(_poller(client, urls, until, conditional, out)
                               for _ in range(pollers)))  # fmt: skip
    return out


def run(stack: Stack, *, seconds: float) -> list[Figure]:
    ddb = stack.dynamodb()
    table = stack.table(TABLE)
    standin = stack.standin()
    servers = {
        side: [stack.uvicorn(f"snapshot-{side}-{i}", "functions.app:app",
                             app_env(ddb.endpoint_url, table, standin.url,
                                     STATUS_SNAPSHOT=flag, POLL_INTERVAL_MS=str(INTERVAL_MS)))
               for i in range(2)]
        for side, flag in SIDES.items()
    }  # fmt: skip
    results: dict[tuple[str, int], dict] = {}
    try:
        set_standin(standin.url, task_seconds=3600)  # the run stays going throughout
        for pollers in POLLERS:
            for side in SIDES if pollers != 10 else reversed(SIDES):
                base = servers[side][0].url
                session_id, plan_id = flows.session_with_plan(base, SIX_STEPS)
                flows.approve(base, session_id, plan_id)
                urls = [f"{s.url}/api/dashboard/plan/{plan_id}/poll" for s in servers[side]]
                httpx.get(urls[0], headers={"X-User-Id": USER}, timeout=30).raise_for_status()
                before = counted(standin.url).get("task_status", 0)
                started = time.perf_counter()
                out = asyncio.run(_point(urls, pollers, seconds, side == "snapshot"))
                out["elapsed"] = time.perf_counter() - started
                out["task_status"] = counted(standin.url).get("task_status", 0) - before
                results[side, pollers] = out
    finally:
        for side in servers.values():
            for server in side:
                stack.stop_server(server)
    return _report(results, seconds, calls.collect(stack))


def _report(results: dict, seconds: float, counts: dict) -> list[Figure]:
    interval = INTERVAL_MS / 1000
    rows, figures = [], []
    for (side, pollers), out in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        polls = len(out["latency"])
        per_second = out["task_status"] / out["elapsed"]
        rows.append([
            side, str(pollers), str(polls), str(out["errors"]), f"{per_second:.1f}",
            f"{per_second * interval:.1f}", ms(percentile(out["latency"], 50)),
            ms(percentile(out["latency"], 99)),
        ])  # fmt: skip
        if side == "snapshot":
            # At most one refresh per interval: refreshes <= intervals elapsed + 1 (the window
            # can start just before one refresh and end just after another).
            refreshes = out["task_status"] / STEPS
            limit = out["elapsed"] / interval + 1
            figures.append(Figure(
                "7 snapshot", f"orchestrator calls/s, {pollers} poller(s), snapshot",
                f"{per_second:.1f}/s ({refreshes:.0f} refreshes in {out['elapsed']:.1f} s)",
                f"<= {STEPS} per {INTERVAL_MS} ms interval ({STEPS / interval:.0f}/s), flat",
                refreshes <= limit and out["errors"] == 0,
            ))  # fmt: skip
    print(f"  one running plan of {STEPS} tasks, pollers polling every {INTERVAL_MS} ms for "
          f"{seconds:.1f} s per point; today = STATUS_SNAPSHOT=false")  # fmt: skip
    print_table(["side", "pollers", "polls", "errors", "orch calls/s", "per interval",
                 "p50", "p99"], rows)  # fmt: skip
    today, shared = results["today", 50], results["snapshot", 50]
    figures.append(Figure(
        "7 snapshot", "p50 / p99 poll, 50 pollers: today -> snapshot",
        f"{ms(percentile(today['latency'], 50))} / {ms(percentile(today['latency'], 99))} -> "
        f"{ms(percentile(shared['latency'], 50))} / {ms(percentile(shared['latency'], 99))}",
        "snapshot not slower", percentile(shared["latency"], 50)
        <= percentile(today["latency"], 50),
    ))  # fmt: skip
    full = [b for out in results.values() for b in out["bytes_200"]]
    empty = [b for out in results.values() for b in out["bytes_304"]]
    mixed = shared["bytes_200"] + shared["bytes_304"]
    print(f"  bytes per poll (status line + headers + body): 200 {sum(full) / len(full):.0f}, "
          f"304 {sum(empty) / max(1, len(empty)):.0f}; snapshot side, 50 pollers with "
          f"If-None-Match: {sum(mixed) / len(mixed):.0f} on average "
          f"({len(shared['bytes_304'])} of {len(mixed)} polls were 304)")  # fmt: skip
    figures.append(Figure(
        "7 snapshot", "bytes per poll: 200 -> 304",
        f"{sum(full) / len(full):.0f} -> {sum(empty) / max(1, len(empty)):.0f}",
        "304 has no body", bool(empty) and max(empty) < min(full),
    ))  # fmt: skip
    by_name = {r["endpoint"]: r["dynamodb"] for r in counts["rows"]}
    fresh, refresh = by_name["poll (run going)"], by_name["status (run going)"]
    polls = len(mixed)
    refreshes = shared["task_status"] / STEPS
    puts = refresh.get("PutItem", 0) * refreshes / polls
    print(f"  DynamoDB calls per poll (benchmark 3's counts): from the snapshot "
          f"{_calls(fresh)}; the refresher {_calls(refresh)}; 50 pollers: "
          f"{fresh.get('Query', 0)} Query + {puts:.3f} conditional Put per poll "
          f"({refreshes:.0f} refreshes in {polls} polls)")  # fmt: skip
    figures.append(Figure(
        "7 snapshot", "DynamoDB calls per poll (from snapshot / refresher)",
        f"{_calls(fresh)} / {_calls(refresh)}", "Query 1 / Query 1 + PutItem 2",
        fresh == {"Query": 1} and refresh == {"Query": 1, "PutItem": 2},
    ))  # fmt: skip
    return figures


def _calls(counts: dict[str, int]) -> str:
    return " + ".join(f"{k} {v}" for k, v in counts.items()) or "none"
