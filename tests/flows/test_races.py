"""Races, on the in-memory store and on the real DynamoDB Local: every accepted message is in the
history, and however many approvals race, exactly one reaches the orchestrator."""

import asyncio
from collections import Counter


async def test_twenty_concurrent_chat_messages_lose_nothing_accepted(dashboard):
    session_id = await dashboard.new_session()
    answers = await asyncio.gather(
        *(dashboard.chat(session_id, f"deploy service number {n} to staging") for n in range(20))
    )
    codes = Counter(a.status_code for a in answers)
    assert set(codes) <= {200, 409}, codes  # never a 5xx
    accepted = {a.json()["messages"][0]["content"] for a in answers if a.status_code == 200}
    assert accepted
    history = await dashboard.history(session_id)
    stored = [m["content"] for m in history if m["role"] == "user"]
    assert sorted(stored) == sorted(accepted)  # every accepted message, and only those
    assert (await dashboard.calls())["request"] == len(accepted)
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["error"]["code"] == "conflict"


async def test_ten_concurrent_approvals_dispatch_once(dashboard):
    session_id = await dashboard.new_session()
    plan = (await dashboard.chat(session_id, "build and deploy the web app")).json()["plan"]
    await dashboard.configure(task_seconds=30)
    answers = await asyncio.gather(
        *(dashboard.act(plan["plan_id"], "approve", session_id) for _ in range(10))
    )
    codes = Counter(a.status_code for a in answers)
    assert set(codes) <= {200, 409}, codes
    assert codes[200] >= 1
    assert (await dashboard.calls())["approve"] == 1
    # and later clicks are answered from what was stored, still without a second dispatch
    again = await dashboard.act(plan["plan_id"], "approve", session_id)
    assert again.status_code == 200 and again.json()["execution_started"] is True
    assert (await dashboard.calls())["approve"] == 1
