"""Actions the session's state does not allow are answered 409; repeats of approve, reject and
abort never do a thing twice at the orchestrator."""

import asyncio
import threading

import httpx

from tests.api.flows import BASE, Dashboard, assert_error


async def complete_run(dashboard: Dashboard, orchestrator, plan_id: str) -> None:
    for task_id in orchestrator.plans[plan_id].task_ids:
        orchestrator.task_status[task_id] = "completed"
    body = (await dashboard.status(plan_id)).json()
    assert body["status"] == "completed"


async def test_approve_after_completion_answers_again_without_a_second_call(
    dashboard: Dashboard, orchestrator
):
    session_id, plan_id = await dashboard.executing()
    await complete_run(dashboard, orchestrator, plan_id)
    assert (await dashboard.session(session_id))["status"] == "completed"

    again = await dashboard.approve(plan_id, session_id)

    assert again.status_code == 200
    assert again.json()["status"] == "approved"
    assert again.json()["execution_started"] is True
    assert orchestrator.approve_route.call_count == 1


async def test_approve_repeated_calls_the_orchestrator_once(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()

    responses = [await dashboard.approve(plan_id, session_id) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(r.json()["status"] == "approved" for r in responses)
    assert orchestrator.approve_route.call_count == 1
    assert len(orchestrator.task_status) == 3  # the tasks were dispatched once


async def test_five_concurrent_approvals_call_the_orchestrator_once(
    dashboard: Dashboard, orchestrator
):
    session_id, plan_id = await dashboard.plan_ready()
    plain_approve = orchestrator.approve_route.side_effect
    arrived, release = threading.Event(), threading.Event()

    def held_approve(request: httpx.Request, plan_id: str) -> httpx.Response:
        # The orchestrator holds the first approval until the other clicks have been answered.
        arrived.set()
        release.wait(timeout=10)
        return plain_approve(request, plan_id)

    orchestrator.approve_route.side_effect = held_approve
    first = asyncio.ensure_future(dashboard.approve(plan_id, session_id))
    assert await asyncio.to_thread(arrived.wait, 10)

    others = await asyncio.gather(*(dashboard.approve(plan_id, session_id) for _ in range(4)))
    release.set()

    assert (await first).status_code == 200
    assert orchestrator.approve_route.call_count == 1
    for response in others:  # the other clicks are told it is under way
        assert "being approved right now" in assert_error(response, 409, "conflict")["message"]
    # Once it went through, a repeat answers as the first did.
    assert (await dashboard.approve(plan_id, session_id)).status_code == 200
    assert orchestrator.approve_route.call_count == 1


async def test_approve_superseded_plan_conflicts(dashboard: Dashboard, orchestrator):
    session_id, old_plan_id = await dashboard.plan_ready()
    await dashboard.chat(session_id, "Use two VMs")

    response = await dashboard.approve(old_plan_id, session_id)

    assert_error(response, 409, "conflict")
    assert not orchestrator.approve_route.called


async def test_approve_rejected_plan_conflicts(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()
    await dashboard.action(plan_id, "reject", session_id)

    assert_error(await dashboard.approve(plan_id, session_id), 409, "conflict")
    assert orchestrator.approve_bodies() == [
        {"approved": False, "user_id": "dev-user", "notes": None}
    ]


async def test_reject_repeated_answers_rejected_again(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()

    first = await dashboard.action(plan_id, "reject", session_id)
    second = await dashboard.action(plan_id, "reject", session_id)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"status": "rejected"}
    assert orchestrator.approve_route.call_count == 1


async def test_reject_running_plan_conflicts(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.executing()

    assert_error(await dashboard.action(plan_id, "reject", session_id), 409, "conflict")
    assert orchestrator.approve_route.call_count == 1


async def test_abort_plan_not_running_conflicts(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()

    response = await dashboard.action(plan_id, "abort", session_id)

    assert_error(response, 409, "conflict")
    assert not orchestrator.cancel_route.called
    assert (await dashboard.get_plan(plan_id)).json()["can_approve"] is True


async def test_chat_while_executing_conflicts(dashboard: Dashboard, orchestrator):
    session_id, _ = await dashboard.executing()

    response = await dashboard.send(session_id, "Deploy something else too")

    assert_error(response, 409, "conflict")
    assert orchestrator.submit_route.call_count == 1
    session = await dashboard.session(session_id)
    assert "Deploy something else too" not in [m["content"] for m in session["messages"]]


async def test_modify_running_plan_conflicts(dashboard: Dashboard, http, orchestrator):
    session_id, plan_id = await dashboard.executing()

    response = await http.post(
        f"{BASE}/plan/{plan_id}/modify",
        json={"plan_id": plan_id, "session_id": session_id, "user_message": "Use two VMs"},
    )

    assert_error(response, 409, "conflict")
    assert orchestrator.submit_route.call_count == 1


async def test_modify_superseded_plan_conflicts(dashboard: Dashboard, http, orchestrator):
    session_id, old_plan_id = await dashboard.plan_ready()
    await dashboard.chat(session_id, "Use two VMs")

    response = await http.post(
        f"{BASE}/plan/{old_plan_id}/modify",
        json={"plan_id": old_plan_id, "session_id": session_id, "user_message": "And a third"},
    )

    assert_error(response, 409, "conflict")
    assert orchestrator.submit_route.call_count == 2


async def test_after_abort_the_session_takes_a_new_request(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.executing()
    await dashboard.action(plan_id, "abort", session_id)

    turn = await dashboard.chat(session_id, "Deploy the billing service to production")

    assert orchestrator.submitted_texts()[-1] == "Deploy the billing service to production"
    assert turn["plan"]["plan_id"] != plan_id
    assert_error(await dashboard.approve(plan_id, session_id), 409, "conflict")
