"""What the approve answer leaves to follow: partial and paused dispatches, and a run whose
plan or steps the orchestrator has forgotten (it keeps them in memory only)."""

import httpx

from tests.api.flows import Dashboard, assert_error
from tests.api.orchestrator_fake import new_id


def _approve_answer(plan_id: str, dispatch_result: dict) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "plan_id": plan_id,
            "status": "approved",
            "dispatch_started": True,
            "dispatch_result": dispatch_result,
        },
    )


async def test_a_step_that_could_not_be_dispatched_is_reported(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()
    first, third = new_id(), new_id()
    orchestrator.task_status.update({first: "executing", third: "pending"})
    orchestrator.approve_route.side_effect = _approve_answer(
        plan_id,
        {
            "plan_id": plan_id,
            "status": "executing",
            "dispatched_tasks": [
                {
                    "task_id": first,
                    "trace_id": new_id(),
                    "request_id": new_id(),
                    "status": "pending",
                    "agent_id": new_id(),
                    "agent_type": "infra",
                    "routing_score": 0.9,
                    "selection_reason": "idle",
                },
                {
                    "name": "Deploy billing service",
                    "work_type": "deploy_service",
                    "error": "no code agent available",
                },
                {
                    "task_id": third,
                    "trace_id": new_id(),
                    "request_id": new_id(),
                    "status": "pending",
                    "agent_id": new_id(),
                    "agent_type": "research",
                    "routing_score": 0.7,
                    "selection_reason": "idle",
                },
            ],
        },
    )

    approved = await dashboard.approve(plan_id, session_id)

    assert approved.json()["execution_started"] is True
    reply = (await dashboard.session(session_id))["messages"][-1]["content"]
    assert reply == "Approved. 2 of 3 steps dispatched. Not dispatched: Deploy billing service."
    steps = (await dashboard.status(plan_id)).json()["steps"]
    assert [s["status"] for s in steps] == ["running", "failed", "pending"]
    assert "no code agent available" in steps[1]["error"]
    assert orchestrator.task_status_route.call_count == 2  # nothing to ask about step 2
    aborted = await dashboard.action(plan_id, "abort", session_id)
    assert aborted.json()["cancelled_tasks"] == 2
    assert orchestrator.cancel_route.call_count == 2
    assert await approved_outcome(dashboard, plan_id) == "executing: 2 of 3 steps dispatched"


async def approved_outcome(dashboard: Dashboard, plan_id: str) -> str:
    trail = (await dashboard.http.get(f"/api/dashboard/plan/{plan_id}/audit")).json()
    return next(e["outcome"] for e in trail["entries"] if e["action"] == "approved")


async def test_an_approval_that_dispatched_no_step_does_not_claim_a_start(
    dashboard: Dashboard, orchestrator
):
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.plans[plan_id].status = "executing"
    undispatched = [
        {"name": task["name"], "work_type": task["work_type"], "error": "no agent available"}
        for task in orchestrator.plans[plan_id].tasks
    ]
    orchestrator.approve_route.side_effect = _approve_answer(
        plan_id, {"plan_id": plan_id, "status": "executing", "dispatched_tasks": undispatched}
    )

    approved = await dashboard.approve(plan_id, session_id)
    again = await dashboard.approve(plan_id, session_id)  # a repeat answers the same

    steps = len(undispatched)
    assert approved.status_code == again.status_code == 200, approved.text
    assert approved.json()["execution_started"] is again.json()["execution_started"] is False
    assert await approved_outcome(dashboard, plan_id) == f"executing: 0 of {steps} steps dispatched"


async def test_a_paused_dispatch_is_approved_but_not_started(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.approve_route.side_effect = _approve_answer(
        plan_id,
        {
            "plan_id": plan_id,
            "status": "paused",
            "paused_tasks": 3,
            "message": "Insufficient agent capacity; tasks will resume when agents free up.",
        },
    )

    approved = await dashboard.approve(plan_id, session_id)

    assert approved.status_code == 200
    assert approved.json()["execution_started"] is False
    reply = (await dashboard.session(session_id))["messages"][-1]["content"]
    assert "paused" in reply and "Insufficient agent capacity" in reply
    assert (await dashboard.poll(plan_id)).json()["overall_status"] == "paused"
    # Nothing can be followed or cancelled from here: it does not hold the session.
    assert (await dashboard.chat(session_id, "Deploy the billing service to staging"))["plan"]


async def test_an_abort_cancels_once_even_when_the_session_changed_meanwhile(
    dashboard: Dashboard, orchestrator
):
    """Only the record of the abort is written again after a concurrent change: the cancels
    are not sent twice, and the answer counts what this abort cancelled."""
    from shared.store import get_store
    from shared.store.records import NewMessage

    session_id, plan_id = await dashboard.executing()
    plain_cancel = orchestrator.cancel_route.side_effect
    store = get_store()

    def cancel_while_the_session_changes(request: httpx.Request, task_id: str):
        if orchestrator.cancel_route.call_count == 1:  # another write lands meanwhile
            store.save(store.get_session(session_id),
                       messages=[NewMessage(role="user", content="hello")])  # fmt: skip
        return plain_cancel(request, task_id)

    orchestrator.cancel_route.side_effect = cancel_while_the_session_changes
    answer = await dashboard.action(plan_id, "abort", session_id)

    assert answer.json() == {"status": "aborted", "cancelled_tasks": 3, "already_finished_tasks": 0}
    assert orchestrator.cancel_route.call_count == 3

async def test_approving_a_plan_the_orchestrator_forgot(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.plans.clear()  # the orchestrator restarted

    response = await dashboard.approve(plan_id, session_id)

    assert_error(response, 502, "orchestrator_lost_track")
    session = await dashboard.session(session_id)
    assert (session["status"], session["current_plan_id"]) == ("idle", None)
    assert "send your request again" in session["messages"][-1]["content"]
    assert (await dashboard.get_plan(plan_id)).json()["can_approve"] is False
    assert (await dashboard.chat(session_id, "Deploy the billing service"))["plan"] is not None


async def test_rejecting_a_plan_the_orchestrator_forgot(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.plans.clear()

    response = await dashboard.action(plan_id, "reject", session_id)

    assert response.json() == {"status": "rejected"}
    assert (await dashboard.session(session_id))["status"] == "idle"


async def test_a_step_the_orchestrator_forgot_is_failed(dashboard: Dashboard, orchestrator):
    _, plan_id = await dashboard.executing()
    forgotten = orchestrator.plans[plan_id].task_ids[0]
    del orchestrator.task_status[forgotten]

    steps = (await dashboard.status(plan_id)).json()["steps"]

    assert steps[0]["status"] == "failed"
    assert "no longer knows this step" in steps[0]["error"]


async def test_a_completed_run_is_recorded_once(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.executing()
    for task_id in orchestrator.plans[plan_id].task_ids:
        orchestrator.task_status[task_id] = "completed"

    for _ in range(3):
        assert (await dashboard.poll(plan_id)).json()["overall_status"] == "completed"

    session = await dashboard.session(session_id)
    assert session["status"] == "completed"
    assert [m["content"] for m in session["messages"]].count("All 3 steps completed.") == 1
    plan = (await dashboard.get_plan(plan_id)).json()
    assert (plan["status"], plan["can_abort"]) == ("completed", False)


async def test_a_failed_run_does_not_show_as_completed(dashboard: Dashboard, orchestrator):
    _, plan_id = await dashboard.executing()
    first, second, third = orchestrator.plans[plan_id].task_ids
    orchestrator.task_status.update({first: "completed", second: "failed", third: "cancelled"})
    assert (await dashboard.status(plan_id)).json()["status"] == "failed"

    plan = (await dashboard.get_plan(plan_id)).json()

    assert plan["status"] == "failed"


async def test_a_finished_run_keeps_its_outcome(dashboard: Dashboard, orchestrator):
    _, plan_id = await dashboard.executing()
    for task_id in orchestrator.plans[plan_id].task_ids:
        orchestrator.task_status[task_id] = "completed"
    assert (await dashboard.poll(plan_id)).json()["overall_status"] == "completed"
    orchestrator.task_status.clear()  # the orchestrator restarted

    assert (await dashboard.poll(plan_id)).json()["overall_status"] == "completed"


async def test_an_untracked_run_cannot_be_aborted_and_says_why(dashboard: Dashboard, orchestrator):
    """The task ids were lost with the approve answer: nothing can be cancelled from here, so
    abort reports no abort; it names what is unknown and what the person can do."""
    session_id, plan_id = await dashboard.plan_ready()

    def approve_then_time_out(request: httpx.Request, plan_id: str) -> httpx.Response:
        orchestrator.plans[plan_id].status = "executing"
        raise httpx.ReadTimeout("timed out", request=request)

    orchestrator.approve_route.side_effect = approve_then_time_out
    assert (await dashboard.approve(plan_id, session_id)).status_code == 200

    response = await dashboard.action(plan_id, "abort", session_id)

    message = assert_error(response, 409, "conflict")["message"]
    assert "stop it at the orchestrator" in message
    assert not orchestrator.cancel_route.called


async def test_an_abort_whose_answers_were_lost_says_so_then_the_run_ends_as_aborted(
    dashboard: Dashboard, orchestrator
):
    """The cancels reached the orchestrator but their answers did not come back: the abort is
    not reported as done, and nothing says the run finished. Once the steps show as cancelled,
    the run ends with an abort record, not as a run with failures."""
    session_id, plan_id = await dashboard.executing()
    plain_cancel = orchestrator.cancel_route.side_effect

    def cancel_then_time_out(request: httpx.Request, task_id: str) -> httpx.Response:
        plain_cancel(request, task_id)
        raise httpx.ReadTimeout("timed out", request=request)

    orchestrator.cancel_route.side_effect = cancel_then_time_out
    assert_error(await dashboard.action(plan_id, "abort", session_id), 504, "orchestrator_timeout")
    said = [m["content"] for m in (await dashboard.session(session_id))["messages"]]
    assert "abort was not confirmed" in said[-1]
    assert not any(text.startswith("Aborted") for text in said)

    status = (await dashboard.status(plan_id)).json()
    assert status["status"] == "aborted"
    session = await dashboard.session(session_id)
    assert session["status"] == "idle"
    assert session["messages"][-1]["content"].startswith("The run was aborted: 3 step(s) cancelled")
    assert "failed step" not in session["messages"][-1]["content"]


async def test_an_abort_is_recorded_with_who_and_what_it_cancelled(
    dashboard: Dashboard, orchestrator
):
    session_id, plan_id = await dashboard.executing()
    answer = (await dashboard.action(plan_id, "abort", session_id)).json()
    record = (await dashboard.session(session_id))["messages"][-1]
    assert answer == {"status": "aborted", "cancelled_tasks": 3, "already_finished_tasks": 0}
    assert record["content"].startswith("Aborted. 3 step(s) cancelled")
    assert "(by " in record["content"]
    assert record["metadata"]["outcome"] == "aborted"
    assert (record["metadata"]["cancelled"], record["metadata"]["already_finished"]) == (3, 0)
