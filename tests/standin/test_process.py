"""The stand-in started for real with `python -m orchestrator_standin`, over real HTTP."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(base_url: str, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"stand-in exited early with code {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("stand-in did not answer /health in time")


@pytest.fixture
def standin_process(tmp_path):
    port = free_port()
    log_path = tmp_path / "standin.log"
    env = {**os.environ, "STANDIN_TASK_SECONDS": "0.2"}
    command = [
        sys.executable,
        "-m",
        "orchestrator_standin",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base_url, process)
        yield base_url
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{log_path.read_text(errors='replace')}") from exc
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.e2e
def test_real_process_serves_the_api(standin_process):
    with httpx.Client(base_url=standin_process, timeout=5) as client:
        submitted = client.post(
            "/api/v1/request", json={"request": "build and deploy the api", "user_id": "u"}
        )
        assert submitted.status_code == 200
        plan = client.get(f"/api/v1/plan/{submitted.json()['request_id']}").json()
        approval = client.post(
            f"/api/v1/plan/{plan['plan_id']}/approve", json={"approved": True, "user_id": "u"}
        ).json()
        ids = [d["task_id"] for d in approval["dispatch_result"]["dispatched_tasks"]]
        time.sleep(0.6)  # two tasks of 0.2 s each, from STANDIN_TASK_SECONDS
        assert [client.get(f"/api/v1/status/{i}").json()["status"] for i in ids] == [
            "completed",
            "completed",
        ]
        # A delayed answer makes a real client time out, yet the call was made and counted.
        client.post("/_standin/config", json={"delay_seconds": 1.0})
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"/api/v1/plan/{plan['plan_id']}/status", timeout=0.2)
        assert client.get("/_standin/calls").json()["plan_status"] == 1
