"""The whole product over real HTTP, as a person runs it: the launcher starts DynamoDB Local, the
orchestrator stand-in and the dashboard as real processes; the test talks to them over loopback."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from devtools.dynamodb_local import ROOT
from devtools.processes import free_port, port_in_use, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.dynamodb_local]


class Stack:
    def __init__(self, data_dir):
        self.ports = {
            "dashboard": free_port(),
            "orchestrator": free_port(),
            "dynamodb": free_port(),
        }
        self.data_dir = data_dir
        self.process: subprocess.Popen | None = None
        self.output = data_dir.parent / "launcher.log"

    @property
    def dashboard(self) -> str:
        return f"http://127.0.0.1:{self.ports['dashboard']}"

    @property
    def orchestrator(self) -> str:
        return f"http://127.0.0.1:{self.ports['orchestrator']}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "ORCHESTRATOR_URL"}
        env["STANDIN_TASK_SECONDS"] = "0.3"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devtools.devstack",
             "--port", str(self.ports["dashboard"]),
             "--orchestrator-port", str(self.ports["orchestrator"]),
             "--dynamodb-port", str(self.ports["dynamodb"]),
             "--data-dir", str(self.data_dir)],
            cwd=ROOT, env=env, stdout=self.output.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(
            lambda: httpx.get(f"{self.dashboard}/health", timeout=1).status_code == 200,
            90, "the local stack", self.process,
        )  # fmt: skip

    def stop(self) -> None:
        """Ctrl-C, as a person would; everything the launcher started must be gone after."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        self.process = None


@pytest.fixture
def stack(tmp_path):
    stack = Stack(tmp_path / "dynamodb-data")
    stack.start()
    yield stack
    stack.stop()


def poll_until_finished(client, plan_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get(f"/api/dashboard/plan/{plan_id}/poll")
        assert answer.status_code == 200
        assert int(answer.headers["X-Poll-Interval"]) > 0
        if answer.json()["overall_status"] in ("completed", "failed"):
            return answer.json()
        time.sleep(0.2)
    raise AssertionError("the run did not finish")


def test_chat_modify_approve_run_abort_and_restart(stack):
    headers = {"X-User-Id": "alice"}
    with httpx.Client(base_url=stack.dashboard, headers=headers, timeout=30) as client, \
            httpx.Client(base_url=stack.orchestrator, timeout=10) as orchestrator:  # fmt: skip
        # Run 1: chat -> plan -> modify -> approve (clicked three times) -> watch it complete.
        created = client.post("/api/dashboard/session", json={})
        assert created.status_code == 201, created.text
        session_id = created.json()["session_id"]
        turn = client.post(
            "/api/dashboard/chat",
            json={
                "session_id": session_id,
                "message": "build and deploy the api service to staging",
            },
        )
        assert turn.status_code == 200, turn.text
        first_plan = turn.json()["plan"]
        assert first_plan["can_approve"] and first_plan["checklist"].startswith("- [ ] 1.")

        modified = client.post(
            f"/api/dashboard/plan/{first_plan['plan_id']}/modify",
            json={
                "plan_id": first_plan["plan_id"],
                "session_id": session_id,
                "user_message": "also set up monitoring",
            },
        )
        assert modified.status_code == 200, modified.text
        plan = modified.json()["new_plan"]
        assert plan["plan_id"] != first_plan["plan_id"]
        assert "monitoring" in plan["checklist"].lower()

        clicks = [
            client.post(
                f"/api/dashboard/plan/{plan['plan_id']}/approve", json={"session_id": session_id}
            )
            for _ in range(3)
        ]
        assert [c.status_code for c in clicks] == [200, 200, 200]
        assert clicks[0].json()["execution_started"] is True

        finished = poll_until_finished(client, plan["plan_id"])
        assert finished["overall_status"] == "completed"
        assert {s["status"] for s in finished["steps"]} == {"completed"}
        assert client.get(f"/api/dashboard/session/{session_id}").json()["status"] == "completed"

        # Another session: chat -> approve -> abort while the steps are still running.
        orchestrator.post("/_standin/config", json={"task_seconds": 30})
        first_session = session_id
        session_id = client.post("/api/dashboard/session", json={}).json()["session_id"]
        turn = client.post(
            "/api/dashboard/chat",
            json={
                "session_id": session_id,
                "message": "migrate the database and deploy the web app",
            },
        )
        second = turn.json()["plan"]
        assert (
            client.post(
                f"/api/dashboard/plan/{second['plan_id']}/approve", json={"session_id": session_id}
            ).status_code
            == 200
        )
        aborted = client.post(
            f"/api/dashboard/plan/{second['plan_id']}/abort", json={"session_id": session_id}
        )
        assert aborted.status_code == 200, aborted.text
        assert aborted.json()["cancelled_tasks"] >= 1
        status = client.get(f"/api/dashboard/plan/{second['plan_id']}/status").json()
        assert status["status"] == "aborted"
        assert "skipped" in {s["status"] for s in status["steps"]}

        # Every orchestrator call counted: one request and one plan per turn, one approve per run.
        calls = orchestrator.get("/_standin/calls").json()
        assert (calls["request"], calls["plan"], calls["approve"]) == (3, 3, 2)

        # Another user sees nothing of alice's session.
        bob = client.get(f"/api/dashboard/session/{first_session}", headers={"X-User-Id": "bob"})
        assert bob.status_code == 404
        history = client.get(f"/api/dashboard/session/{first_session}").json()["messages"]

    # Restart everything (Ctrl-C, then the same command): nothing left running, history kept.
    stack.stop()
    assert not any(port_in_use(port) for port in stack.ports.values())
    stack.start()
    with httpx.Client(base_url=stack.dashboard, headers=headers, timeout=30) as client:
        after = client.get(f"/api/dashboard/session/{first_session}")
        assert after.status_code == 200
        assert after.json()["messages"] == history
        assert after.json()["status"] == "completed"
        aborted_session = client.get(f"/api/dashboard/session/{session_id}").json()
        assert aborted_session["status"] == "idle"
        assert aborted_session["messages"][-1]["content"].startswith("Aborted.")
        assert [m["role"] for m in history[:2]] == ["user", "assistant"]
