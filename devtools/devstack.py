"""The whole product on this machine, in one command: DynamoDB Local (data kept under .local/),
the orchestrator stand-in on port 8000 (skipped when ORCHESTRATOR_URL is set) and the dashboard
on port 8001. Ctrl-C stops all of it; so does any of them dying (the launcher says which, and
where its log is, and exits with code 1).

    python -m devtools.devstack [--port 8001] [--orchestrator-port 8000] [--dynamodb-port 8002]
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devtools.dynamodb_local import ROOT, DynamoDBLocal, SetupError
from devtools.processes import port_in_use, stop_process, wait_until
from devtools.table import create_table

TABLE = "chiffon-dashboard-sessions"
LOOPBACK = "127.0.0.1"


def _healthy(url: str) -> bool:
    return httpx.get(url, timeout=1).status_code == 200


def _start_python(module_args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", *module_args],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches only the launcher, which stops them in order
    )  # fmt: skip


def dashboard_env(dynamodb_url: str, orchestrator_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SESSION_STORE="dynamodb",
        DYNAMODB_ENDPOINT_URL=dynamodb_url,
        TABLE_NAME=TABLE,
        ORCHESTRATOR_URL=orchestrator_url,
        # DynamoDB Local keeps one database per access key and region: use the launcher's.
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_REGION="us-east-1",
        POWERTOOLS_TRACE_DISABLED="true",
    )
    return env


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _how_it_ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _first_dead(watched: list[tuple[str, subprocess.Popen, Path]]) -> str | None:
    """The first watched process that has ended, said in words; polling it also reaps it, so
    no zombie is left while the launcher stops the rest."""
    for name, process, log in watched:
        if process.poll() is not None:
            return (f"{name} {_how_it_ended(process.returncode)}; the dashboard cannot work "
                    f"without it, so everything is stopped. Its log: {log}")  # fmt: skip
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run DynamoDB Local, the stand-in and the dashboard."
    )
    parser.add_argument("--port", type=int, default=8001, help="dashboard port")
    parser.add_argument("--orchestrator-port", type=int, default=8000)
    parser.add_argument("--dynamodb-port", type=int, default=8002)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "dynamodb-data")
    args = parser.parse_args(argv)

    external = os.environ.get("ORCHESTRATOR_URL")
    ports = {"dashboard": args.port, "DynamoDB Local": args.dynamodb_port}
    if not external:
        ports["orchestrator stand-in"] = args.orchestrator_port
    taken = [f"{name} (port {port})" for name, port in ports.items() if port_in_use(port)]
    if taken:
        print(f"error: port already in use: {', '.join(taken)}; stop what runs there or "
              "choose other ports (--help)", file=sys.stderr)  # fmt: skip
        return 2

    logs = ROOT / ".local" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started: list[tuple[str, subprocess.Popen]] = []
    watched: list[tuple[str, subprocess.Popen, Path]] = []  # what must stay up, and its log
    dynamodb = DynamoDBLocal(
        args.dynamodb_port, db_path=args.data_dir, log_path=logs / "dynamodb.log"
    )

    def stop_all(*_: object) -> None:
        for name, process in reversed(started):
            stop_process(process)
            print(f"stopped {name}")
        started.clear()
        dynamodb.stop()
        print("stopped DynamoDB Local")

    # Ctrl-C and SIGTERM (a test, a service manager) stop everything. SIGINT is set explicitly
    # because a shell starting us in the background ignores it, and Python keeps that.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        dynamodb.start()
        watched.append(("DynamoDB Local", dynamodb.process, dynamodb.log_path))
        create_table(dynamodb.client(), TABLE)
        orchestrator_url = external or f"http://127.0.0.1:{args.orchestrator_port}"
        if not external:
            standin_log = logs / "orchestrator-standin.log"
            standin = _start_python(
                ["orchestrator_standin", "--host", LOOPBACK, "--port", str(args.orchestrator_port)],
                dict(os.environ), standin_log,
            )  # fmt: skip
            started.append(("orchestrator stand-in", standin))
            watched.append(("the orchestrator stand-in", standin, standin_log))
            wait_until(lambda: _healthy(f"{orchestrator_url}/health"), 30, "the stand-in", standin)
        dashboard_log = logs / "dashboard.log"
        dashboard = _start_python(
            ["uvicorn", "functions.app:app", "--host", "127.0.0.1", "--port", str(args.port)],
            dashboard_env(dynamodb.endpoint_url, orchestrator_url), dashboard_log,
        )  # fmt: skip
        started.append(("dashboard", dashboard))
        watched.append(("the dashboard", dashboard, dashboard_log))
        wait_until(lambda: _healthy(f"http://127.0.0.1:{args.port}/health"), 30, "the dashboard",
                   dashboard)  # fmt: skip

        print(
            f"""
Chiffon Dashboard API is up.
  page           http://127.0.0.1:{args.port}/   (open it in a browser)
  dashboard API  http://127.0.0.1:{args.port}/api/dashboard   (docs: http://127.0.0.1:{args.port}/docs)
  orchestrator   {orchestrator_url}{"" if external else "   (local stand-in)"}
  DynamoDB Local {dynamodb.endpoint_url}   (data kept in {args.data_dir})
  logs           {logs}
Press Ctrl-C to stop everything.""",
            flush=True,
        )
        while (death := _first_dead(watched)) is None:
            time.sleep(0.5)
        print(f"error: {death}", file=sys.stderr, flush=True)
        stop_all()
        return 1
    except KeyboardInterrupt:
        print("\nstopping...")
        stop_all()
        return 0
    except (SetupError, TimeoutError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        stop_all()
        return 2


if __name__ == "__main__":
    sys.exit(main())
