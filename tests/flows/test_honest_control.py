"""What the dashboard says when it cannot know (issue 15), on the in-memory store and on the real
DynamoDB Local, against the stand-in: a lost approve answer is settled at the next action and
never turned into a claimed abort; a failed reject or abort leaves no word of success."""

import pytest

from shared.services.context import settings_dependency
from shared.settings import Settings

DEPLOY = "build and deploy the api service to staging"


async def _plan(dashboard) -> tuple[str, str]:
    session_id = await dashboard.new_session()
    answer = await dashboard.chat(session_id, DEPLOY)
    assert answer.status_code == 200, answer.text
    return session_id, answer.json()["plan"]["plan_id"]


async def test_a_lost_approve_answer_is_settled_then_abort_refuses_to_guess(dashboard):
    session_id, plan_id = await _plan(dashboard)
    await dashboard.configure(task_seconds=30)
    # The orchestrator dispatches, then neither its answer nor the status check comes back.
    dashboard.link.faults = {"approve": "hang", "plan_status": "hang"}
    lost = await dashboard.act(plan_id, "approve", session_id)
    assert lost.status_code == 504, lost.text
    assert "not confirmed" in (await dashboard.history(session_id))[-1]["content"]

    dashboard.link.faults = {}
    settled = await dashboard.act(plan_id, "approve", session_id)
    assert settled.status_code == 200, settled.text
    assert settled.json()["execution_started"] is False  # it runs, but cannot be followed
    assert (await dashboard.calls())["approve"] == 1  # asked, never approved twice

    refused = await dashboard.act(plan_id, "abort", session_id)
    assert refused.status_code == 409, refused.text
    assert "cannot be aborted from here" in refused.json()["error"]["message"]
    assert (await dashboard.calls()).get("cancel", 0) == 0
    history = [m["content"] for m in await dashboard.history(session_id)]
    assert not any(text.startswith("Aborted") for text in history)
    # The run stays on record; the session takes a new request beside it.
    assert (await dashboard.chat(session_id, DEPLOY)).status_code == 200


async def test_an_approve_that_used_the_whole_budget_still_asks_whether_the_plan_runs(dashboard):
    settings = Settings(request_budget_seconds=2)
    dashboard.app.dependency_overrides[settings_dependency] = lambda: settings
    session_id, plan_id = await _plan(dashboard)
    await dashboard.configure(task_seconds=30)
    # The orchestrator dispatches, then holds its answer for all the time the call was given.
    dashboard.link.faults = {"approve": "stall"}
    answer = await dashboard.act(plan_id, "approve", session_id)
    # The status check still had time: the plan runs, so the answer says so (and no more).
    assert answer.status_code == 200, answer.text
    assert answer.json()["execution_started"] is False  # it runs, but cannot be followed
    assert answer.json()["plan"]["can_approve"] is False
    assert (await dashboard.history(session_id))[-1]["content"].startswith(
        "The orchestrator started this plan"
    )
    assert (await dashboard.calls())["approve"] == 1


async def test_a_reject_the_orchestrator_never_got_is_not_reported(dashboard):
    session_id, plan_id = await _plan(dashboard)
    dashboard.link.faults = {"approve": "refused"}
    answer = await dashboard.act(plan_id, "reject", session_id)
    assert answer.status_code == 503, answer.text
    history = [m["content"] for m in await dashboard.history(session_id)]
    assert not any("was rejected" in text for text in history)
    dashboard.link.faults = {}
    assert (await dashboard.act(plan_id, "reject", session_id)).status_code == 200
    assert (await dashboard.history(session_id))[-1]["content"].startswith("The plan was rejected")


@pytest.mark.parametrize("fault", ["hang", "dropped"])
async def test_an_abort_whose_answers_were_lost_ends_as_an_abort_not_a_finished_run(
    dashboard, fault
):
    session_id, plan_id = await _plan(dashboard)
    await dashboard.configure(task_seconds=30)
    assert (await dashboard.act(plan_id, "approve", session_id)).status_code == 200
    dashboard.link.faults = {"cancel": fault}  # the cancels arrive; their answers do not
    answer = await dashboard.act(plan_id, "abort", session_id)
    assert answer.status_code in (502, 504), answer.text
    history = [m["content"] for m in await dashboard.history(session_id)]
    assert "abort was not confirmed" in history[-1]
    assert not any(text.startswith("Aborted") for text in history)

    dashboard.link.faults = {}
    status = await dashboard.client.get(
        f"/api/dashboard/plan/{plan_id}/status", headers=dashboard.as_("alice")
    )
    assert status.json()["status"] == "aborted"
    last = (await dashboard.history(session_id))[-1]["content"]
    assert last.startswith("The run was aborted:") and "failed step" not in last
