"""1. Cold start per Lambda function, against a bare Powertools handler making the same calls,
alternating (and, for information, against one making a single GetItem: bench/baseline_handler.py).

Each sample is a fresh `python -m bench.cold_child` process that imports the handler module and
answers one API Gateway HTTP API v2.0 event against DynamoDB Local (chat: and the stand-in), then
one more (warm) event. Wall time is measured from just before the process is started to the
answer of the first event; CPU time is the child's, all threads, from its start to that answer
(time.process_time), which moves less than wall time on a shared machine; peak RSS is the
child's own high-water mark (VmHWM, read by the child: see bench/cold_child.py).
"""

from __future__ import annotations

import compileall
import json
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import flows
from bench.common import (
    PYTHON,
    ROOT,
    USER,
    Figure,
    Stack,
    app_env,
    median,
    mib,
    ms,
    print_table,
)
from bench.runtime_deps import dev_only_modules
from shared.store import dynamodb_data

TARGET_RATIO = 1.25
TABLE = "bench-cold"
FUNCTIONS = {
    "sessions": "functions.sessions.handler",
    "chat": "functions.chat.handler",
    "plans": "functions.plans.handler",
}
BASELINE = "bench.baseline_handler"
# The sides, all the same Powertools handler (bench/baseline_handler.py):
# "baseline" makes the same DynamoDB and orchestrator calls as the dashboard, the least the data
# model allows (the target's side); "bare" makes one GetItem (issue 7's first baseline, which
# makes no orchestrator call and none of chat's writes: information).
SAME_IO = {
    "sessions": "GetItem + Query",
    "chat": "GetItem, 2 TransactWriteItems, 2 orchestrator calls",
    "plans": "GetItem + 1 orchestrator call",
}
BREAKDOWN_SAMPLES = 3


def http_api_event(method: str, path: str, body: dict | None = None) -> dict:
    """An API Gateway HTTP API (payload 2.0) event, as the $default stage with a JWT authorizer
    delivers it."""
    now = datetime.now(UTC)
    host = "abc123.execute-api.us-east-1.amazonaws.com"
    headers = {
        "accept": "application/json",
        "host": host,
        "user-agent": "chiffon-bench",
        "x-forwarded-for": "127.0.0.1",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    text = None
    if body is not None:
        text = json.dumps(body)
        headers["content-type"] = "application/json"
        headers["content-length"] = str(len(text.encode()))
    route = path
    for prefix in ("/api/dashboard/session/", "/api/dashboard/plan/"):
        if path.startswith(prefix):
            route = prefix + ("{session_id}" if "session" in prefix else "{plan_id}")
    request_id = str(uuid.uuid4())
    event = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "authorizer": {"jwt": {"claims": {"sub": USER}, "scopes": None}},
            "domainName": host,
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "chiffon-bench",
            },
            "requestId": request_id,
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if text is not None:
        event["body"] = text
    return event


# The breakdown: what the cold path of each side spends its time on (informational).
PHASES = {
    "app": [
        ("pydantic", ["pydantic.main"]),
        ("powertools event_handler", ["aws_lambda_powertools.event_handler"]),
        ("botocore + DynamoDB client", ["botocore.session", "shared.store:get_store"]),
        ("shared models + use cases", ["shared.models", "shared.services.sessions"]),
        ("httpx + orchestrator client", ["shared.orchestrator.factory:get_orchestrator"]),
    ],
    "baseline": [
        ("boto3", ["boto3"]),
        ("powertools event_handler", ["aws_lambda_powertools.event_handler"]),
    ],
}


@dataclass
class Sample:
    interpreter: float  # process start -> first line of the child
    imports: float  # import of the handler module
    first_event: float  # the cold event
    total: float  # process start -> answer of the cold event
    warm_event: float
    cpu: float  # CPU seconds of the child (all threads) from its start to the cold answer
    maxrss_kib: int
    modules: int
    phases: list


def run_child(
    module: str, events: list[dict], env: dict[str, str], workdir: Path, cwd: Path = ROOT
) -> Sample:
    events_file = workdir / f"events-{uuid.uuid4().hex[:8]}.json"
    events_file.write_text(json.dumps(events))
    stderr_file = workdir / "child-stderr.log"
    with stderr_file.open("wb") as stderr:
        spawned = time.perf_counter()
        child = subprocess.Popen(
            [PYTHON, "-m", "bench.cold_child", module, str(events_file)],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=stderr,
        )  # fmt: skip
        output = child.stdout.read()
        _, status = os.waitpid(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        child.stdout.close()
    events_file.unlink()
    lines = [ln for ln in output.decode().splitlines() if ln.startswith("BENCH_RESULT ")]
    if child.returncode != 0 or not lines:
        raise RuntimeError(
            f"{module} child failed ({child.returncode}):\n{output.decode()[-2000:]}\n"
            f"{stderr_file.read_text()[-3000:]}"
        )
    result = json.loads(lines[-1].removeprefix("BENCH_RESULT "))
    if any(s != 200 for s in result["statuses"]):
        raise RuntimeError(f"{module} answered {result['statuses']}:\n{output.decode()[-3000:]}")
    answers = result["answers"]
    return Sample(
        interpreter=result["main"] - spawned,
        imports=result["imported"] - result["import_start"],
        first_event=answers[0] - result["imported"],
        total=answers[0] - spawned,
        warm_event=answers[1] - answers[0] if len(answers) > 1 else float("nan"),
        cpu=result["cpu_at_answers"][0],
        maxrss_kib=result["peak_rss_kib"],
        modules=result["modules"],
        phases=result["phases"],
    )


def _phases(function: str, side: str) -> list:
    return [
        p
        for p in PHASES[side]
        if side == "baseline" or function != "sessions" or "orchestrator" not in p[0]
    ]


def breakdown_rows(function: str, side: str, runs: list[Sample]) -> list[list[str]]:
    """Median time per phase: the frameworks, the clients, the rest of the handler import (app
    modules, routes, the app, Powertools objects), the first event."""
    rows = [[function, side, label, ms(median([r.phases[i][1] for r in runs]))]
            for i, (label, _) in enumerate(_phases(function, side))]  # fmt: skip
    rest = ms(median([r.imports for r in runs]))
    rows.append([function, side, "handler import (the rest)", rest])
    rows.append([function, side, "first event", ms(median([r.first_event for r in runs]))])
    rows.append([function, side, "total", ms(median([r.total for r in runs]))])
    return rows


def ship_bytecode(root: Path = ROOT) -> None:
    """Compile the project's own modules, as the build does (deploy/Makefile): Lambda runs them
    from shipped .pyc files. Without this, with PYTHONDONTWRITEBYTECODE set (as on these
    machines) every sample would compile shared/ and functions/ from source, a cost the deployed
    functions never pay. The installed packages have their bytecode already."""
    for folder in ("shared", "functions", "bench"):
        compileall.compile_dir(root / folder, quiet=1)


def write_botocore_data(root: Path = ROOT) -> Path:
    """botocore's data cut to DynamoDB, as the build writes it into the dependencies layer
    (BOTOCORE_DATA_DIR, shared/store/dynamodb_data.py), from the botocore the children import.
    A checkout from before it ignores the setting."""
    target = root / ".local" / "botocore-data"
    dynamodb_data.write(str(target))
    return target


@contextmanager
def checked_out(rev: str) -> Iterator[Path]:
    """A clean git worktree of `rev`, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="cold-against-"))
    subprocess.run(["git", "worktree", "add", "--detach", "--force", str(path), rev],
                   cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                       capture_output=True)  # fmt: skip


@dataclass
class Tree:
    """A checkout whose functions are measured: today's, or another revision's (--against),
    each with its own table and seeded session, so neither reads what the other wrote."""

    root: Path
    env: dict[str, str]  # the Lambda environment of its children
    seeder: str  # the URL of a dashboard of this checkout, to set the scene through its flow
    session_id: str
    plan_id: str

    def events_for(self, function: str) -> list[dict]:
        if function == "sessions":
            path = f"/api/dashboard/session/{self.session_id}"
            return [http_api_event("GET", path), http_api_event("GET", path)]
        if function == "plans":
            path = f"/api/dashboard/plan/{self.plan_id}"
            return [http_api_event("GET", path), http_api_event("GET", path)]
        # chat: a fresh idle session per event, so every cold event is a new request + a plan
        return [
            http_api_event("POST", "/api/dashboard/chat",
                           {"session_id": flows.new_session(self.seeder),
                            "message": flows.REQUEST_TEXT})
            for _ in range(2)
        ]  # fmt: skip


def _tree(stack: Stack, root: Path, table: str, name: str) -> tuple[Tree, object]:
    """The checkout at `root` on its own table: a seeding dashboard of it (returned, to be
    stopped) and its children's environment: Lambda's (the template's), minus the X-Ray daemon
    that is not here. Without LAMBDA_TASK_ROOT the X-Ray SDK (imported by Powertools' Tracer
    even when tracing is off) builds a centralized sampler with its own botocore client, which
    it never does in Lambda. The children cannot import what that checkout's Lambda layer
    lacks."""
    ship_bytecode(root)
    env = app_env(stack.dynamodb().endpoint_url, stack.table(table), stack.standin().url,
                  PYTHONPATH=str(root))  # fmt: skip
    seeder = stack.uvicorn(name, "functions.app:app", env, cwd=root)
    session_id, plan_id = flows.session_with_plan(seeder.url)
    child_env = dict(
        env,
        BOTOCORE_DATA_DIR=str(write_botocore_data(root)),
        LAMBDA_TASK_ROOT=str(root),
        AWS_EXECUTION_ENV="AWS_Lambda_python3.11",
        BENCH_REFUSE_MODULES=",".join(dev_only_modules(root / "pyproject.toml")),
        AWS_LAMBDA_FUNCTION_NAME="bench-function",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
        POWERTOOLS_SERVICE_NAME="chiffon-dashboard",
        POWERTOOLS_METRICS_NAMESPACE="ChiffonDashboard",
        POWERTOOLS_LOG_LEVEL="INFO",
    )
    return Tree(root, child_env, seeder.url, session_id, plan_id), seeder


def run(
    stack: Stack, *, samples: int, functions: list[str] | None = None, against: str | None = None
) -> list[Figure]:
    """`against`: a git revision whose functions run too ("then"), alternating with today's, so
    a before/after comparison is made in one run on one machine state."""
    with ExitStack() as cleanup:
        then_root = cleanup.enter_context(checked_out(against)) if against else None
        return _run(stack, cleanup, samples, functions or list(FUNCTIONS), then_root, against)


def _run(
    stack: Stack,
    cleanup: ExitStack,
    samples: int,
    functions: list[str],
    then_root: Path | None,
    against: str | None,
) -> list[Figure]:
    now, seeder = _tree(stack, ROOT, TABLE, "cold-seed-dashboard")
    cleanup.callback(stack.stop_server, seeder)
    then = None
    if then_root is not None:
        then, then_seeder = _tree(stack, then_root, TABLE + "-then", "cold-seed-then")
        cleanup.callback(stack.stop_server, then_seeder)
    child_env = now.env

    same_io_env = dict(child_env, BASELINE_SAME_IO="1")
    # Only the functions that call the orchestrator load an HTTP client (the sessions one does not).
    same_io_orchestrator_env = dict(same_io_env, BASELINE_ORCHESTRATOR_URL=stack.standin().url)

    def baseline_env(function: str) -> dict[str, str]:
        return same_io_env if function == "sessions" else same_io_orchestrator_env

    def sides(function: str) -> list[tuple[str, str, dict[str, str], Tree]]:
        listed = [
            ("app", FUNCTIONS[function], child_env, now),
            ("baseline", BASELINE, baseline_env(function), now),
            ("bare", BASELINE, child_env, now),
        ]
        if then is not None:
            listed.append(("then", FUNCTIONS[function], then.env, then))
        return listed

    results: dict[tuple[str, str], list[Sample]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="cold-", dir=stack.log_dir))
    refused = child_env["BENCH_REFUSE_MODULES"].split(",")
    print(f"  cold start: {samples} samples per side, alternating; the children cannot import "
          f"the {len(refused)} dev-only packages the Lambda layer lacks "
          "(bench/runtime_deps.py)" + (f"; 'then' is {against}" if against else ""),
          flush=True)  # fmt: skip
    for i in range(-1, samples):  # i == -1: one warm-up round (disk cache, emulator JIT)
        for function in functions:
            order = sides(function)
            if i % 2:
                order.reverse()
            for side, module, side_env, tree in order:
                sample = run_child(module, tree.events_for(function), side_env, workdir, tree.root)
                if i >= 0:
                    results.setdefault((function, side), []).append(sample)
        if i >= 0:
            print(f"    round {i + 1}/{samples} done", flush=True)
    broken: dict[tuple[str, str], list[Sample]] = {}
    for _ in range(BREAKDOWN_SAMPLES):
        for function in functions:
            for side, module, side_env in (
                ("app", FUNCTIONS[function], child_env),
                ("baseline", BASELINE, baseline_env(function)),
            ):
                phases = json.dumps(_phases(function, side))
                broken.setdefault((function, side), []).append(run_child(
                    module, now.events_for(function), dict(side_env, BENCH_PHASES=phases),
                    workdir,
                ))  # fmt: skip

    rows, figures = [], []
    for function in functions:
        for side in ("app", "baseline", "bare", "then"):
            if (function, side) not in results:
                continue
            s = results[(function, side)]
            rows.append([
                function, side, ms(median([x.interpreter for x in s])),
                ms(median([x.imports for x in s])), ms(median([x.first_event for x in s])),
                ms(median([x.total for x in s])), ms(median([x.warm_event for x in s])),
                ms(median([x.cpu for x in s])), mib(median([x.maxrss_kib for x in s])),
                str(s[0].modules),
            ])  # fmt: skip
        app, base, bare = (results[(function, side)] for side in ("app", "baseline", "bare"))
        app_total, base_total = median([x.total for x in app]), median([x.total for x in base])
        ratio = app_total / base_total
        figures.append(Figure(
            "1 cold start",
            f"{function}: total (start -> 1st answer) app/baseline ({SAME_IO[function]})",
            f"{ms(app_total)} / {ms(base_total)} = {ratio:.2f}x", f"<= {TARGET_RATIO}x",
            ratio <= TARGET_RATIO,
        ))  # fmt: skip
        # Information: CPU time to the cold answer, steadier than wall time on a shared machine.
        app_cpu, base_cpu = median([x.cpu for x in app]), median([x.cpu for x in base])
        figures.append(Figure(
            "1 cold start", f"{function}: CPU time (start -> 1st answer) app/baseline",
            f"{ms(app_cpu)} / {ms(base_cpu)} = {app_cpu / base_cpu:.2f}x",
        ))  # fmt: skip
        # Information: against the bare handler (one GetItem, no orchestrator call).
        bare_total = median([x.total for x in bare])
        figures.append(Figure(
            "1 cold start", f"{function}: total app/bare (one GetItem only)",
            f"{ms(app_total)} / {ms(bare_total)} = {app_total / bare_total:.2f}x",
        ))  # fmt: skip
        if then is not None:  # information: the issue that asks for a comparison sets its target
            then_runs = results[(function, "then")]
            then_total = median([x.total for x in then_runs])
            figures.append(Figure(
                "1 cold start", f"{function}: total now/then ({against})",
                f"{ms(app_total)} / {ms(then_total)} = {app_total / then_total:.2f}x",
            ))  # fmt: skip
            figures.append(Figure(
                "1 cold start", f"{function}: total then/baseline ({against}; same run)",
                f"{ms(then_total)} / {ms(base_total)} = {then_total / base_total:.2f}x",
            ))  # fmt: skip
        app_rss = median([x.maxrss_kib for x in app])
        base_rss = median([x.maxrss_kib for x in base])
        figures.append(Figure(
            "1 cold start", f"{function}: peak RSS app/baseline",
            f"{mib(app_rss)} / {mib(base_rss)} = {app_rss / base_rss:.2f}x",
        ))  # fmt: skip
    print(f"  medians (n={samples} per row):")
    print_table(
        ["function", "side", "interpreter", "import", "1st event", "total", "warm event",
         "CPU to 1st", "peak RSS", "modules"],
        rows,
    )  # fmt: skip
    print(f"  breakdown (separate runs, {BREAKDOWN_SAMPLES} each; the phases are imported in this "
          "order before the handler module):")  # fmt: skip
    print_table(
        ["function", "side", "phase", "median"],
        [row for key, runs in broken.items() for row in breakdown_rows(*key, runs)],
    )
    return figures
