"""python -m bench [--quick] [--only cold,proxy,dynamodb,orchestrator,history,deadline,snapshot]

Starts what it needs (DynamoDB Local, the orchestrator stand-in, uvicorn servers, each on a free
port), runs the selected benchmarks, stops everything it started, and prints every figure next
to its target. Both sides of every comparison run in the same run, alternating.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import signal
import sys
import time
import traceback

from bench.common import Figure, Stack, print_table

BENCHES = {
    # name: (module, title)
    "cold": ("bench.cold_start", "1. Cold start per function vs a bare Powertools handler"),
    "proxy": ("bench.proxy", "2. Proxy overhead: GET plan vs a minimal FastAPI passthrough"),
    "dynamodb": ("bench.calls", "3. DynamoDB calls per endpoint"),
    "orchestrator": ("bench.fanout", "4. Orchestrator calls per endpoint, status fan-out"),
    "history": ("bench.history", "5. History scale: GET session with 10 vs 10,000 messages"),
    "deadline": ("bench.deadline", "6. A hung orchestrator: time to answer per endpoint"),
    "snapshot": ("bench.snapshot", "7. Watching a run: orchestrator calls per poller count, 304"),
}
# Sizes: (full, --quick)
SIZES = {
    "cold": {"samples": (10, 5)},
    "proxy": {"rounds": (6, 3), "requests": (400, 200), "concurrency": (8, 8)},
    "dynamodb": {},
    "orchestrator": {"samples": (30, 15)},
    "history": {"samples": (40, 20), "messages": (10_000, 10_000)},
    "deadline": {"budget": (10.0, 3.0)},  # the local default; --quick: a shorter one
    "snapshot": {"seconds": (4.0, 2.0)},  # per point (side x pollers)
}


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument(
        "--only",
        default=",".join(BENCHES),
        help=f"comma-separated benchmarks to run (default: all): {', '.join(BENCHES)}",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="cold: also run each function as of this git revision (a clean worktree), "
        "alternating with today's, and print now/then side by side",
    )
    args = parser.parse_args(argv)
    selected = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in selected if name not in BENCHES]
    if unknown:
        parser.error(
            f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHES)}"
        )

    signal.signal(signal.SIGTERM, _interrupt)  # stop everything on SIGTERM too
    started = time.perf_counter()
    stack = Stack()
    print(f"chiffon bench ({'quick' if args.quick else 'full'}): {', '.join(selected)}; "
          f"python {platform.python_version()}; logs in {stack.log_dir}", flush=True)  # fmt: skip
    figures: list[Figure] = []
    failed: list[str] = []
    try:
        for name in selected:
            module_name, title = BENCHES[name]
            print(f"\n== {title}", flush=True)
            bench_started = time.perf_counter()
            sizes = {key: value[1 if args.quick else 0] for key, value in SIZES[name].items()}
            try:
                module = importlib.import_module(module_name)
                if name == "cold" and args.against:
                    sizes["against"] = args.against
                figures.extend(module.run(stack, **sizes))
            except Exception:  # noqa: BLE001 - report it and go on with the other benchmarks
                traceback.print_exc()
                failed.append(name)
                figures.append(Figure(title.split(" ")[0] + " " + name, "benchmark failed",
                                      "see the traceback above", "", False))  # fmt: skip
            print(f"  ({time.perf_counter() - bench_started:.0f} s)", flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping everything", file=sys.stderr)
        return 130
    finally:
        stack.close()

    print("\n== Figures")
    print_table(
        ["benchmark", "figure", "value", "target", ""],
        [[f.bench, f.name, f.value, f.target, f.verdict] for f in figures],
    )
    missed = [f for f in figures if f.ok is False]
    elapsed = time.perf_counter() - started
    print(f"\n{len(figures)} figures, {len(missed)} missed; run took {elapsed:.0f} s "
          f"({elapsed / 60:.1f} min)")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
