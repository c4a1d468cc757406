"""What every benchmark shares: the processes it starts (and stops), statistics, figures."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devtools.dynamodb_local import ROOT, DynamoDBLocal
from devtools.processes import free_port, stop_process, wait_until
from devtools.table import create_table

PYTHON = sys.executable
# DynamoDB Local keeps one database per access key + region: everything here uses these.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}
USER = "bench-user"  # the identity every benchmark acts as (X-User-Id / the JWT sub claim)


# Statistics ---------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, q in [0, 100]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def rss_kib(pid: int) -> int:
    """Resident set size of a running process, from /proc (KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_table(headers: list[str], rows: list[list[str]], indent: str = "  ") -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    line = indent + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print(indent + "  ".join("-" * w for w in widths))
    for row in rows:
        print(indent + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


@dataclass
class Figure:
    """One result printed next to its target. ok is None when there is no target (information)."""

    bench: str
    name: str
    value: str
    target: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return {True: "ok", False: "MISS", None: ""}[self.ok]


# Processes --------------------------------------------------------------------------------


def app_env(dynamodb_url: str, table: str, orchestrator_url: str, **extra: str) -> dict[str, str]:
    """The environment the dashboard runs with locally (as devtools/devstack.py sets it)."""
    env = dict(os.environ)
    env.update(AWS_ENV)
    env.update(
        SESSION_STORE="dynamodb",
        DYNAMODB_ENDPOINT_URL=dynamodb_url,
        TABLE_NAME=table,
        ORCHESTRATOR_URL=orchestrator_url,
        POWERTOOLS_TRACE_DISABLED="true",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def _healthy(url: str) -> bool:
    return httpx.get(url, timeout=2).status_code == 200


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Stack:
    """Everything a run starts: one DynamoDB Local, one stand-in, any number of servers.
    `close()` stops all of it, newest first."""

    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="chiffon-bench-")))
    _dynamodb: DynamoDBLocal | None = None
    _standin: Server | None = None
    _servers: list[Server] = field(default_factory=list)
    _tables: set[str] = field(default_factory=set)

    # DynamoDB Local
    def dynamodb(self) -> DynamoDBLocal:
        if self._dynamodb is None:
            started = time.perf_counter()
            self._dynamodb = DynamoDBLocal(free_port(), log_path=self.log_dir / "dynamodb.log")
            self._dynamodb.start()
            print(f"  [stack] DynamoDB Local on {self._dynamodb.endpoint_url} "
                  f"({time.perf_counter() - started:.1f} s to start)", flush=True)  # fmt: skip
        return self._dynamodb

    def table(self, name: str) -> str:
        """A table of this name (created from template.yaml on first use)."""
        if name not in self._tables:
            create_table(self.dynamodb().client(), name)
            self._tables.add(name)
        return name

    # Servers
    def start_server(
        self,
        name: str,
        args: list[str],
        env: dict[str, str],
        health: str = "/health",
        cwd: Path = ROOT,
    ) -> Server:
        """`python -m <args...>` with --port appended, run in `cwd` (the checkout whose code it
        runs: `-m` puts it first on sys.path); waits until GET <health> answers 200."""
        port = free_port()
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [PYTHON, "-m", *args, "--port", str(port)], cwd=cwd, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        server = Server(name, f"http://127.0.0.1:{port}", process)
        self._servers.append(server)
        wait_until(lambda: _healthy(server.url + health), 60, name, process)
        return server

    def uvicorn(self, name: str, app: str, env: dict[str, str], cwd: Path = ROOT) -> Server:
        return self.start_server(
            name,
            ["uvicorn", app, "--host", "127.0.0.1", "--log-level", "warning", "--no-access-log"],
            env,
            cwd=cwd,
        )

    def standin(self) -> Server:
        if self._standin is None:
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            self._standin = self.start_server(
                "standin", ["orchestrator_standin", "--host", "127.0.0.1"], env
            )
            print(f"  [stack] orchestrator stand-in on {self._standin.url}", flush=True)
        return self._standin

    def stop_server(self, server: Server) -> None:
        stop_process(server.process)
        if server in self._servers:
            self._servers.remove(server)
        if server is self._standin:
            self._standin = None

    def close(self) -> None:
        for server in reversed(list(self._servers)):
            try:
                stop_process(server.process)
            except Exception as error:  # noqa: BLE001 - stop the rest whatever happens
                print(f"  [stack] could not stop {server.name}: {error}", file=sys.stderr)
        self._servers.clear()
        self._standin = None
        if self._dynamodb is not None:
            self._dynamodb.stop()
            self._dynamodb = None


def standin_calls(standin_url: str) -> dict[str, int]:
    return httpx.get(f"{standin_url}/_standin/calls", timeout=10).json()


def set_standin(standin_url: str, **config: float) -> None:
    httpx.post(f"{standin_url}/_standin/config", json=config, timeout=10).raise_for_status()
