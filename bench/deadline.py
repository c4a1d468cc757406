"""6. A hung orchestrator: how long each endpoint takes to answer.

The stand-in does its work and then holds every answer far longer than any timeout (its
`delay_seconds`), as an orchestrator does that acted and then froze. The dashboard runs as the
local stack runs it (uvicorn, DynamoDB Local, the local default of 30 s per attempt and 3
attempts), with the request's time budget (`REQUEST_BUDGET_SECONDS`) as the only bound. Each
endpoint gets a session in the state it acts on, prepared while the orchestrator answers; then
the orchestrator hangs and one request is timed. Target: every endpoint answers within the
budget + 1 s, never timeout x attempts x calls.
"""

from __future__ import annotations

import time

import httpx

from bench import flows
from bench.common import Figure, Stack, app_env, print_table, set_standin

TABLE = "bench-deadline"
HANG_SECONDS = 600.0
API = flows.API
HEADERS = flows.HEADERS


def _prepare(url: str, endpoint: str) -> tuple[str, str, dict | None]:
    """(method, path, body) for `endpoint`, on a session in the state it acts on."""
    if endpoint == "chat":
        session_id = flows.new_session(url)
        return "POST", f"{API}/chat", {"session_id": session_id, "message": flows.REQUEST_TEXT}
    session_id, plan_id = flows.session_with_plan(url)
    if endpoint in ("status", "poll", "abort"):
        flows.approve(url, session_id, plan_id)
    plan = f"{API}/plan/{plan_id}"
    return {
        "plan view": ("GET", plan, None),
        "approve": ("POST", f"{plan}/approve", {"session_id": session_id}),
        "reject": ("POST", f"{plan}/reject", {"session_id": session_id}),
        "modify": ("POST", f"{plan}/modify", {"plan_id": plan_id, "session_id": session_id,
                                              "user_message": "also run the tests"}),
        "status": ("GET", f"{plan}/status", None),
        "poll": ("GET", f"{plan}/poll", None),
        "abort": ("POST", f"{plan}/abort", {"session_id": session_id}),
    }[endpoint]  # fmt: skip


ENDPOINTS = ["chat", "plan view", "approve", "reject", "modify", "status", "poll", "abort"]


def run(stack: Stack, *, budget: float) -> list[Figure]:
    ddb = stack.dynamodb()
    standin = stack.standin()
    env = app_env(ddb.endpoint_url, stack.table(TABLE), standin.url,
                  REQUEST_BUDGET_SECONDS=str(budget), ORCHESTRATOR_TIMEOUT_SECONDS="30",
                  ORCHESTRATOR_MAX_ATTEMPTS="3")  # fmt: skip
    dashboard = stack.uvicorn("deadline-dashboard", "functions.app:app", env)
    rows, figures = [], []
    try:
        set_standin(standin.url, task_seconds=HANG_SECONDS)  # runs stay running to be aborted
        for endpoint in ENDPOINTS:
            set_standin(standin.url, delay_seconds=0)
            method, path, body = _prepare(dashboard.url, endpoint)
            set_standin(standin.url, delay_seconds=HANG_SECONDS)
            started = time.perf_counter()
            answer = httpx.request(method, dashboard.url + path, json=body, headers=HEADERS,
                                   timeout=HANG_SECONDS)  # fmt: skip
            elapsed = time.perf_counter() - started
            failed = answer.status_code >= 400
            code = answer.json().get("error", {}).get("code", "") if failed else ""
            rows.append([endpoint, f"{elapsed:.2f} s", str(answer.status_code), code])
            figures.append(Figure(
                "6 deadline", f"hung orchestrator: {endpoint} answers after",
                f"{elapsed:.2f} s ({answer.status_code})", f"<= {budget + 1:.0f} s",
                elapsed <= budget + 1,
            ))  # fmt: skip
    finally:
        set_standin(standin.url, delay_seconds=0, task_seconds=1.0)
        stack.stop_server(dashboard)
    print(f"  budget {budget:.0f} s, 30 s per attempt, 3 attempts", flush=True)
    print_table(["endpoint", "time to answer", "status", "code"], rows)
    return figures
