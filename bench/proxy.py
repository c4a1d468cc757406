"""2. Proxy overhead: GET /api/dashboard/plan/{id} through the local app (uvicorn, DynamoDB Local
store) against bench/passthrough.py, both in front of the same stand-in, same load, alternating
rounds.

The target compares the app with the passthrough plus one GetItem of the plan item: what any
service must read before it shows a plan, to know its owner and state. The plain passthrough
(no read, so it would show anyone's plan) is information: it splits the gap into the read and
everything else.
"""

from __future__ import annotations

import os
import time

import httpx

from bench import flows
from bench.common import USER, Figure, Stack, app_env, cpu_seconds, median, ms, print_table
from bench.load import Round, run_round

TABLE = "bench-proxy"
TARGET_THROUGHPUT = 0.8
TARGET_P50 = 1.25
UNLOADED = 100
SIDES = ["app", "passthrough", "passthrough+read"]


def _order(i: int) -> list[str]:
    """Round i: every side once, the starting side and the direction changing each round."""
    start = i % len(SIDES)
    rotated = SIDES[start:] + SIDES[:start]
    return rotated if i % 2 == 0 else rotated[::-1]


def run(stack: Stack, *, rounds: int, requests: int, concurrency: int) -> list[Figure]:
    ddb = stack.dynamodb()
    table = stack.table(TABLE)
    standin = stack.standin()
    env = app_env(ddb.endpoint_url, table, standin.url)
    dashboard = stack.uvicorn("proxy-dashboard", "functions.app:app", env)
    passthrough = stack.uvicorn("proxy-passthrough", "bench.passthrough:app", env)
    try:
        _, plan_id = flows.session_with_plan(dashboard.url)
        urls = {
            "app": f"{dashboard.url}/api/dashboard/plan/{plan_id}",
            "passthrough": f"{passthrough.url}/plan/{plan_id}",
            "passthrough+read": f"{passthrough.url}/plan-read/{plan_id}",
        }
        server_pid = {"app": dashboard.pid, "passthrough": passthrough.pid,
                      "passthrough+read": passthrough.pid}  # fmt: skip
        headers = {"X-User-Id": USER}
        for url in urls.values():  # warm-up: JIT of the emulator, imports, pools
            run_round(url, max(50, requests // 4), concurrency, headers)
        print(f"  {rounds} rounds per side of {requests} GETs by {concurrency} concurrent "
              "clients, the sides alternating", flush=True)  # fmt: skip
        results: dict[str, list[Round]] = {side: [] for side in SIDES}
        # CPU per request of every process involved: on a 2-core machine that is the budget.
        cpu: dict[str, dict[str, list[float]]] = {side: {} for side in SIDES}
        for i in range(rounds):
            for side in _order(i):
                watched = {"server": server_pid[side], "stand-in": standin.pid,
                           "DynamoDB Local": ddb.process.pid}  # fmt: skip
                before = {name: cpu_seconds(pid) for name, pid in watched.items()}
                client_before = time.process_time()
                results[side].append(run_round(urls[side], requests, concurrency, headers))
                used = {name: cpu_seconds(pid) - before[name] for name, pid in watched.items()}
                used["load client"] = time.process_time() - client_before
                for name, seconds in used.items():
                    cpu[side].setdefault(name, []).append(seconds / requests)
        # Unloaded: one client, one request at a time, the sides alternating request by request.
        unloaded: dict[str, list[float]] = {side: [] for side in SIDES}
        with httpx.Client(timeout=30, headers=headers) as one:
            for i in range(len(SIDES) * UNLOADED):
                side = SIDES[i % len(SIDES)]
                sent = time.perf_counter()
                one.get(urls[side]).raise_for_status()
                unloaded[side].append(time.perf_counter() - sent)
    finally:
        stack.stop_server(passthrough)
        stack.stop_server(dashboard)

    rows = []
    throughput, p50 = {}, {}
    for side, side_rounds in results.items():
        throughput[side] = median([r.throughput for r in side_rounds])
        p50[side] = median([r.p50 for r in side_rounds])
        rows.append([
            side, f"{throughput[side]:.0f} req/s", ms(p50[side]),
            ms(median([r.p90 for r in side_rounds])), ms(median(unloaded[side])),
            str(sum(r.errors for r in side_rounds)),
            " ".join(f"{r.throughput:.0f}" for r in side_rounds),
        ])  # fmt: skip
    print("  medians over rounds (unloaded: 1 client, one request at a time):")
    print_table(
        ["side", "throughput", "p50", "p90", "unloaded p50", "errors", "per-round req/s"], rows
    )
    names = list(cpu["app"])
    total = {side: sum(median(v) for v in cpu[side].values()) for side in SIDES}
    print(f"  CPU per request, median over rounds ({os.cpu_count()} cores shared by all of them):")
    print_table(
        ["side", *names, "total"],
        [[side, *[ms(median(cpu[side][n])) for n in names], ms(total[side])] for side in SIDES],
    )

    def ratio(a: str, b: str, values: dict[str, float]) -> float:
        return values[a] / values[b]

    # The target's side is the passthrough that reads the plan item: GET plan must know the plan's
    # owner (and state) before it shows anything, and a passthrough that skips that read would
    # show any plan to anyone. The one without the read is information.
    t_ratio = ratio("app", "passthrough+read", throughput)
    p_ratio = ratio("app", "passthrough+read", p50)
    return [
        Figure("2 proxy", f"throughput app/(passthrough+read) ({concurrency} clients)",
               f"{throughput['app']:.0f} / {throughput['passthrough+read']:.0f} req/s = "
               f"{t_ratio:.2f}x", f">= {TARGET_THROUGHPUT}x", t_ratio >= TARGET_THROUGHPUT),
        Figure("2 proxy", "p50 latency app/(passthrough+read)",
               f"{ms(p50['app'])} / {ms(p50['passthrough+read'])} = {p_ratio:.2f}x",
               f"<= {TARGET_P50}x", p_ratio <= TARGET_P50),
        Figure("2 proxy", "server CPU per request app | passthrough | +read",
               " | ".join(ms(median(cpu[side]["server"])) for side in SIDES)),
        Figure("2 proxy", "throughput app/passthrough (no read: nobody's plan is checked)",
               f"{throughput['app']:.0f} / {throughput['passthrough']:.0f} req/s = "
               f"{ratio('app', 'passthrough', throughput):.2f}x"),
        Figure("2 proxy", "p50 latency app/passthrough (no read)",
               f"{ms(p50['app'])} / {ms(p50['passthrough'])} = "
               f"{ratio('app', 'passthrough', p50):.2f}x"),
        Figure("2 proxy", "unloaded p50 app | passthrough | +read",
               " | ".join(ms(median(unloaded[side])) for side in SIDES)),
    ]  # fmt: skip
