"""Every orchestrator fault, for chat, approve, status and abort: the answer, the error body, the
session state afterwards, what the history kept, and how often the orchestrator got the call.

The table EXPECTED is the one docs/reliability.md shows; test_the_documented_table_is_this_one
keeps the two identical.
"""

import re
from pathlib import Path

import pytest

from tests.orchestrator_faults import FAULTS

DEPLOY = "build and deploy the api service to staging"
FAULTED_CALL = {"chat": "request", "approve": "approve", "status": "task_status", "abort": "cancel"}

# (endpoint, fault) -> (answer status, error code, session status after, received by orchestrator)
# "received" counts the faulted call as the orchestrator got it; writes must never exceed 1.
EXPECTED = {
    ("chat", "refused"): (503, "orchestrator_unreachable", "idle", 0),
    ("chat", "dropped"): (502, "orchestrator_bad_answer", "idle", 1),
    ("chat", "hang"): (504, "orchestrator_timeout", "idle", 1),
    ("chat", "http_500"): (502, "orchestrator_bad_answer", "idle", 0),
    ("chat", "forgot_404"): (502, "orchestrator_lost_track", "idle", 0),
    ("chat", "non_json"): (502, "orchestrator_bad_answer", "idle", 1),
    ("chat", "wrong_shape"): (502, "orchestrator_bad_answer", "idle", 1),
    ("approve", "refused"): (503, "orchestrator_unreachable", "plan_ready", 0),
    ("approve", "dropped"): (200, None, "executing", 1),
    ("approve", "hang"): (200, None, "executing", 1),
    ("approve", "http_500"): (502, "orchestrator_bad_answer", "executing", 0),
    ("approve", "forgot_404"): (502, "orchestrator_lost_track", "plan_ready", 0),
    ("approve", "non_json"): (200, None, "executing", 1),
    ("approve", "wrong_shape"): (200, None, "executing", 1),
    ("status", "refused"): (503, "orchestrator_unreachable", "executing", 0),
    ("status", "dropped"): (502, "orchestrator_bad_answer", "executing", 6),
    ("status", "hang"): (504, "orchestrator_timeout", "executing", 6),
    ("status", "http_500"): (502, "orchestrator_bad_answer", "executing", 0),
    ("status", "forgot_404"): (200, None, "completed", 0),
    ("status", "non_json"): (502, "orchestrator_bad_answer", "executing", 2),
    ("status", "wrong_shape"): (502, "orchestrator_bad_answer", "executing", 2),
    ("abort", "refused"): (503, "orchestrator_unreachable", "executing", 0),
    ("abort", "dropped"): (502, "orchestrator_bad_answer", "executing", 6),
    ("abort", "hang"): (504, "orchestrator_timeout", "executing", 6),
    ("abort", "http_500"): (502, "orchestrator_bad_answer", "executing", 0),
    ("abort", "forgot_404"): (200, None, "idle", 0),
    ("abort", "non_json"): (502, "orchestrator_bad_answer", "executing", 2),
    ("abort", "wrong_shape"): (502, "orchestrator_bad_answer", "executing", 2),
}


async def _prepare(dashboard, endpoint: str) -> tuple[str, str | None]:
    session_id = await dashboard.new_session()
    if endpoint == "chat":
        return session_id, None
    plan_id = (await dashboard.chat(session_id, DEPLOY)).json()["plan"]["plan_id"]
    if endpoint in ("status", "abort"):
        await dashboard.configure(task_seconds=60)
        assert (await dashboard.act(plan_id, "approve", session_id)).status_code == 200
    return session_id, plan_id


async def _act(dashboard, endpoint: str, session_id: str, plan_id: str | None):
    if endpoint == "chat":
        return await dashboard.chat(session_id, DEPLOY)
    if endpoint == "status":
        return await dashboard.client.get(f"/api/dashboard/plan/{plan_id}/status")
    return await dashboard.act(plan_id, endpoint, session_id)


@pytest.mark.parametrize(("endpoint", "fault"), list(EXPECTED))
async def test_orchestrator_fault(dashboard, endpoint, fault):
    status, code, state_after, received = EXPECTED[endpoint, fault]
    session_id, plan_id = await _prepare(dashboard, endpoint)
    kind = FAULTED_CALL[endpoint]
    before = (await dashboard.calls())[kind]
    history_before = await dashboard.history(session_id)

    dashboard.link.faults[kind] = fault
    answer = await _act(dashboard, endpoint, session_id, plan_id)
    dashboard.link.faults.clear()

    assert answer.status_code == status, answer.text
    if code is not None:
        assert answer.json() == {
            "error": {"code": code, "message": answer.json()["error"]["message"]}
        }
        assert "Traceback" not in answer.text and "httpx" not in answer.text
    session = (await dashboard.client.get(f"/api/dashboard/session/{session_id}")).json()
    assert session["status"] == state_after
    assert (await dashboard.calls())[kind] - before == received

    history = await dashboard.history(session_id)
    assert history[: len(history_before)] == history_before  # nothing already kept is lost
    if endpoint == "chat":
        assert [m["content"] for m in history if m["role"] == "user"] == [DEPLOY]
        assert history[-1]["role"] == "assistant"  # says what went wrong

    # The session is left where the next action works.
    if state_after in ("idle", "completed"):
        follow_up = await dashboard.chat(session_id, DEPLOY)
        assert follow_up.status_code == 200, follow_up.text
    elif state_after == "plan_ready":
        retry = await dashboard.act(plan_id, "approve", session_id)
        assert retry.status_code == 200, retry.text
    elif endpoint == "abort":
        retry = await dashboard.act(plan_id, "abort", session_id)
        assert retry.status_code == 200, retry.text


def _rendered_table() -> list[str]:
    return [
        f"| {endpoint} | {fault} | {status} | {code or '-'} | {state} | {received} |"
        for (endpoint, fault), (status, code, state, received) in EXPECTED.items()
    ]


def test_the_documented_table_is_this_one():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "reliability.md").read_text()
    rows = [
        line.strip()
        for line in doc.splitlines()
        if re.match(r"^\| (chat|approve|status|abort) \|", line)
    ]
    assert rows == _rendered_table()


def test_every_fault_is_tried_on_every_endpoint():
    assert {(e, f) for e in FAULTED_CALL for f in FAULTS} == set(EXPECTED)
