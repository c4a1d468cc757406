"""In-process call counting: `python -m bench.calls_child` (started by bench/calls.py).

Drives functions.app.app through httpx.ASGITransport, with the store on DynamoDB Local and the
orchestrator client on the stand-in (both from the environment), through every endpoint in a
realistic order. DynamoDB calls are counted with a botocore `before-call.dynamodb.*` hook (one
per API call; botocore's own retries are not separate calls), orchestrator calls from the
stand-in's /_standin/calls counters. Prints one line `BENCH_RESULT {json}`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter

import httpx

USER = os.environ.get("BENCH_USER", "bench-user")
STANDIN = os.environ["ORCHESTRATOR_URL"].rstrip("/")
# Six steps (the stand-in's maximum): back up, migrate, build, test, deploy, monitor.
SIX_STEPS = (
    "back up the database, migrate it, build, test and deploy the api service, then monitor it"
)

dynamodb_calls: Counter[str] = Counter()


def _count(model=None, **_: object) -> None:
    dynamodb_calls[model.name] += 1


def install_hook() -> None:
    # On the client of the process's one store, the one the app's requests use.
    from shared.store import get_store

    get_store()._client.meta.events.register("before-call.dynamodb.*", _count)


async def main() -> None:
    from functions.app import app

    install_hook()

    rows: list[dict] = []
    headers = {"X-User-Id": USER}
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://dashboard", headers=headers,
                          timeout=60) as api,
        httpx.AsyncClient(base_url=STANDIN, timeout=10) as standin,
    ):  # fmt: skip

        async def call(name: str, method: str, path: str, body: dict | None = None,
                       extra_headers: dict | None = None) -> dict:  # fmt: skip
            before_orch = (await standin.get("/_standin/calls")).json()
            dynamodb_calls.clear()
            response = await api.request(
                method, f"/api/dashboard{path}", json=body, headers=extra_headers or {}
            )
            after_orch = (await standin.get("/_standin/calls")).json()
            if response.status_code >= 300:
                raise RuntimeError(f"{name}: {response.status_code} {response.text[:500]}")
            rows.append({
                "endpoint": name,
                "status": response.status_code,
                "dynamodb": dict(dynamodb_calls),
                "orchestrator": {k: after_orch[k] - before_orch.get(k, 0) for k in after_orch
                                 if after_orch[k] - before_orch.get(k, 0)},
            })  # fmt: skip
            return response.json() if response.content else {}  # a 204 has no body

        await standin.post("/_standin/config", json={"task_seconds": 60})  # runs stay running
        session = (await call("create session", "POST", "/session", {}))["session_id"]
        turn = await call("chat: new request", "POST", "/chat",
                          {"session_id": session, "message": SIX_STEPS})  # fmt: skip
        plan = turn["plan"]["plan_id"]
        steps = len(turn["plan"]["steps"])
        await call("get plan", "GET", f"/plan/{plan}")
        turn = await call(
            "chat: modification",
            "POST",
            "/chat",
            {"session_id": session, "message": "also scale it afterwards"},
        )
        plan = turn["plan"]["plan_id"]
        await call("get plan (revision)", "GET", f"/plan/{plan}")
        turn = await call("modify", "POST", f"/plan/{plan}/modify",
                          {"plan_id": plan, "session_id": session,
                           "user_message": "do not scale it after all"})  # fmt: skip
        plan = turn["new_plan"]["plan_id"]
        await call("reject", "POST", f"/plan/{plan}/reject", {"session_id": session})
        turn = await call("chat: new request (after reject)", "POST", "/chat",
                          {"session_id": session, "message": SIX_STEPS})  # fmt: skip
        plan = turn["plan"]["plan_id"]
        await call("approve", "POST", f"/plan/{plan}/approve", {"session_id": session})
        await call("status (run going)", "GET", f"/plan/{plan}/status")
        await call("get plan (run going)", "GET", f"/plan/{plan}")
        await call("poll (run going)", "GET", f"/plan/{plan}/poll")
        await call("abort", "POST", f"/plan/{plan}/abort", {"session_id": session})
        await call("audit", "GET", f"/plan/{plan}/audit")
        await call("get session", "GET", f"/session/{session}")
        await call("list messages", "GET", f"/session/{session}/messages?limit=5")
        await call("list sessions", "GET", "/sessions?limit=5")

        # The web client may send an Idempotency-Key: what it adds, first time and on a repeat.
        other = (await call("create session (2)", "POST", "/session", {}))["session_id"]
        keyed = {"Idempotency-Key": "bench-key-1"}
        body = {"session_id": other, "message": SIX_STEPS}
        await call("chat + Idempotency-Key", "POST", "/chat", body, keyed)
        await call("chat + same key (replay)", "POST", "/chat", body, keyed)
        # Its messages (2), its plan (and the plan's snapshot key) and the plan's link.
        await call("delete session", "DELETE", f"/session/{other}")
        await standin.post("/_standin/config", json={"task_seconds": 2.0})

    rows = [r for r in rows if r["endpoint"] != "create session (2)"]
    sys.stdout.write("BENCH_RESULT " + json.dumps({"rows": rows, "steps": steps}) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
