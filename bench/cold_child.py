"""One cold start: `python -m bench.cold_child <handler module> <events.json>`.

Imports the handler module, answers the first event (the cold one) and any further events (warm),
then prints one line `BENCH_RESULT {json}` with time.perf_counter() stamps. perf_counter is
CLOCK_MONOTONIC on Linux, shared by all processes, so the parent can subtract its own stamp taken
just before it started this process. Nothing else is imported before the first stamp.

BENCH_PHASES (JSON: [[label, ["module" | "module:function", ...]], ...]) imports (or calls) those
first, one stamp per phase, to break the cold start down; the handler import is then the rest.

The peak RSS is this process's own high-water mark (VmHWM in /proc/self/status), read after the
last event. Not the parent's os.wait4 ru_maxrss: at exec Linux folds the pre-exec memory (the
forked copy of the parent, the benchmark runner) into ru_maxrss, so every child reported the
runner's RSS (65.9 MiB for every side) instead of its own.

BENCH_REFUSE_MODULES (comma-separated top-level names) makes those imports fail as they would in
Lambda, where only the runtime dependencies are installed (see bench/runtime_deps.py).
"""

import time

T_MAIN = time.perf_counter()

import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402


class RefuseModules:
    """A meta path finder that answers "not installed" for the given top-level modules."""

    def __init__(self, names: set[str]):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r} (not deployed)", name=name)
        return None


if os.environ.get("BENCH_REFUSE_MODULES"):
    sys.meta_path.insert(0, RefuseModules(set(os.environ["BENCH_REFUSE_MODULES"].split(","))))


class LambdaContext:
    """What the Lambda runtime passes (the fields Powertools reads)."""

    function_name = "bench-function"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-function"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/bench-function"
    log_stream_name = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 29_000


def peak_rss_kib() -> int:
    """This process's peak resident set size since exec (KiB)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    module_name, events_path = sys.argv[1], sys.argv[2]
    with open(events_path) as f:
        events = json.load(f)
    phases = []
    for label, specs in json.loads(os.environ.get("BENCH_PHASES") or "[]"):
        started = time.perf_counter()
        for spec in specs:
            name, _, function = spec.partition(":")
            imported = importlib.import_module(name)
            if function:
                getattr(imported, function)()
        phases.append([label, time.perf_counter() - started])
    t_import = time.perf_counter()
    module = importlib.import_module(module_name)
    t_imported = time.perf_counter()
    stamps, statuses, cpu_stamps = [], [], []
    for event in events:
        answer = module.handler(event, LambdaContext())
        stamps.append(time.perf_counter())
        cpu_stamps.append(time.process_time())  # CPU of all threads since the process began
        statuses.append(answer.get("statusCode"))
    result = {
        "main": T_MAIN,
        "import_start": t_import,
        "imported": t_imported,
        "answers": stamps,
        "cpu_at_answers": cpu_stamps,
        "statuses": statuses,
        "modules": len(sys.modules),
        "peak_rss_kib": peak_rss_kib(),
        "phases": phases,
    }
    sys.stdout.write("\nBENCH_RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
