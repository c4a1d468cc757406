"""/api/dashboard/plan/{plan_id}: review, approve, reject, modify, follow and abort a plan."""

import uuid
from datetime import datetime

import httpx
import pytest

from tests.api.flows import BASE, Dashboard, assert_error
from tests.api.orchestrator_fake import FIRST_REQUEST, SUMMARY


async def test_get_plan_formats_for_ui(dashboard: Dashboard, orchestrator):
    _, plan_id = await dashboard.plan_ready()

    response = await dashboard.get_plan(plan_id)

    assert response.status_code == 200
    plan = response.json()
    assert plan["summary"] == SUMMARY
    assert plan["checklist"] == (
        "- [ ] 1. Provision staging VM\n- [ ] 2. Deploy billing service\n- [ ] 3. Run smoke tests"
    )
    assert [s["name"] for s in plan["steps"]] == [
        "Provision staging VM",
        "Deploy billing service",
        "Run smoke tests",
    ]
    assert plan["steps"][1]["depends_on"] == [1]
    assert plan["steps"][1]["estimated_duration"] == "~2 minutes"
    assert plan["risk_level"] == "medium"
    assert plan["estimated_duration"] == "~5 minutes"
    assert plan["resource_requirements"] == {
        "estimated_duration_seconds": 300,
        "gpu_vram_mb": 512,
        "cpu_cores": 2,
    }
    assert plan["status"] == "pending_approval"
    assert (plan["can_approve"], plan["can_modify"], plan["can_abort"]) == (True, True, False)


async def test_a_plan_under_review_says_each_step_is_pending_and_what_it_does(
    dashboard: Dashboard, orchestrator
):
    _, plan_id = await dashboard.plan_ready()

    steps = (await dashboard.get_plan(plan_id)).json()["steps"]

    assert [(s["status"], s["description"]) for s in steps] == [
        ("pending", "provision_vm (infra agent): environment=staging"),
        ("pending", "deploy_service (code agent): environment=staging"),
        ("pending", "run_tests (research agent): environment=staging"),
    ]
    assert [s["checked"] for s in steps] == [False, False, False]


async def test_a_running_plan_shows_each_steps_live_status(dashboard: Dashboard, orchestrator):
    _, plan_id = await dashboard.executing()
    first, second, _ = orchestrator.plans[plan_id].task_ids
    orchestrator.task_status.update({first: "completed", second: "executing"})
    plan_status_calls = orchestrator.plan_status_route.call_count

    plan = (await dashboard.get_plan(plan_id)).json()

    assert plan["status"] == "executing"
    assert [s["status"] for s in plan["steps"]] == ["completed", "running", "pending"]
    assert [s["checked"] for s in plan["steps"]] == [True, False, False]
    assert plan["checklist"].startswith("- [x] 1. Provision staging VM\n- [ ] 2.")
    # The steps' statuses say how the run goes: no plan-status call on top of them.
    assert orchestrator.task_status_route.call_count == 3
    assert orchestrator.plan_status_route.call_count == plan_status_calls


async def test_a_finished_run_shows_how_each_step_ended_without_asking_again(
    dashboard: Dashboard, orchestrator
):
    _, plan_id = await dashboard.executing()
    first, second, third = orchestrator.plans[plan_id].task_ids
    orchestrator.task_status.update({first: "completed", second: "failed", third: "cancelled"})
    await dashboard.status(plan_id)  # the run is seen to end, and its steps are kept
    asked = orchestrator.task_status_route.call_count

    plan = (await dashboard.get_plan(plan_id)).json()

    assert plan["status"] == "failed"
    assert [s["status"] for s in plan["steps"]] == ["completed", "failed", "skipped"]
    assert orchestrator.task_status_route.call_count == asked


async def test_the_steps_of_a_rejected_plan_were_not_run(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()
    await dashboard.action(plan_id, "reject", session_id)

    plan = (await dashboard.get_plan(plan_id)).json()

    assert plan["status"] == "rejected"
    assert {s["status"] for s in plan["steps"]} == {"skipped"}


async def test_get_plan_never_generates_the_plan_again(dashboard: Dashboard, orchestrator):
    _, plan_id = await dashboard.plan_ready()

    for _ in range(3):
        assert (await dashboard.get_plan(plan_id)).status_code == 200

    assert orchestrator.generate_route.call_count == 1
    assert orchestrator.plan_status_route.call_count == 3  # the live status, a read


@pytest.mark.parametrize(
    ("running", "asked", "stored_state"),
    [(False, "plan_status_route", "pending_approval"), (True, "task_status_route", "executing")],
)
async def test_get_plan_still_shows_the_plan_when_the_orchestrator_is_down(
    dashboard: Dashboard, orchestrator, running, asked, stored_state
):
    _, plan_id = await (dashboard.executing() if running else dashboard.plan_ready())
    getattr(orchestrator, asked).side_effect = httpx.ConnectError("Connection refused")

    response = await dashboard.get_plan(plan_id)

    assert response.status_code == 200
    plan = response.json()
    assert plan["status"] == stored_state
    assert [s["status"] for s in plan["steps"]] == ["pending", "pending", "pending"]


async def test_plan_approval_proxies(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()

    response = await dashboard.approve(plan_id, session_id)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "approved"
    assert body["execution_started"] is True
    assert body["plan"]["can_abort"] is True
    assert body["plan"]["can_approve"] is False
    assert orchestrator.approve_bodies() == [
        {"approved": True, "user_id": "dev-user", "notes": None}
    ]
    session = await dashboard.session(session_id)
    assert session["status"] == "executing"
    assert session["messages"][-1]["content"] == "Approved. 3 of 3 steps dispatched."


async def test_plan_rejection_proxies(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()

    response = await dashboard.action(plan_id, "reject", session_id)

    assert response.status_code == 200
    assert response.json() == {"status": "rejected"}
    assert orchestrator.approve_bodies() == [
        {"approved": False, "user_id": "dev-user", "notes": None}
    ]
    assert orchestrator.plans[plan_id].status == "rejected"
    session = await dashboard.session(session_id)
    assert session["status"] == "idle"
    assert session["current_plan_id"] is None
    assert "rejected" in session["messages"][-1]["content"]
    plan = (await dashboard.get_plan(plan_id)).json()
    assert (plan["status"], plan["can_approve"]) == ("rejected", False)


async def test_plan_modification_returns_new_plan(dashboard: Dashboard, http, orchestrator):
    session_id, plan_id = await dashboard.plan_ready(FIRST_REQUEST)

    response = await http.post(
        f"{BASE}/plan/{plan_id}/modify",
        json={"plan_id": plan_id, "session_id": session_id, "user_message": "Use two VMs"},
    )

    assert response.status_code == 200
    body = response.json()
    new_plan = body["new_plan"]
    assert new_plan["plan_id"] != plan_id
    assert new_plan["can_approve"] is True
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    text = orchestrator.submitted_texts()[-1]
    assert text.startswith(f"[Modify plan {plan_id}] Use two VMs")
    assert f"Original request: {FIRST_REQUEST}" in text
    assert (await dashboard.get_plan(plan_id)).json()["status"] == "superseded"


async def test_modify_with_a_different_plan_id_in_the_body_is_refused(
    dashboard: Dashboard, http, orchestrator
):
    session_id, plan_id = await dashboard.plan_ready()

    response = await http.post(
        f"{BASE}/plan/{plan_id}/modify",
        json={"plan_id": str(uuid.uuid4()), "session_id": session_id, "user_message": "x"},
    )

    assert_error(response, 400, "invalid_request")
    assert orchestrator.submit_route.call_count == 1


async def test_status_polling(dashboard: Dashboard, orchestrator):
    _, plan_id = await dashboard.executing()
    first, second, third = orchestrator.plans[plan_id].task_ids
    orchestrator.task_status.update({first: "completed", second: "executing", third: "pending"})

    response = await dashboard.status(plan_id)

    assert response.status_code == 200
    body = response.json()
    assert body["plan_id"] == plan_id
    assert body["status"] == "executing"
    steps = body["steps"]
    assert [(s["step_index"], s["step_name"], s["status"]) for s in steps] == [
        (1, "Provision staging VM", "completed"),
        (2, "Deploy billing service", "running"),
        (3, "Run smoke tests", "pending"),
    ]
    assert steps[0]["output"] == "all checks passed"
    assert steps[0]["completed_at"] is not None
    assert steps[1]["started_at"] is not None and steps[1]["completed_at"] is None
    assert orchestrator.task_status_route.call_count == 3


async def test_failed_step_reports_its_error(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.executing()
    first, second, third = orchestrator.plans[plan_id].task_ids
    orchestrator.task_status.update({first: "completed", second: "failed", third: "cancelled"})

    body = (await dashboard.status(plan_id)).json()

    assert body["status"] == "failed"
    assert [s["status"] for s in body["steps"]] == ["completed", "failed", "skipped"]
    assert body["steps"][1]["error"] == "agent crashed"
    session = await dashboard.session(session_id)
    assert session["status"] == "completed"
    assert "2. Deploy billing service (agent crashed)" in session["messages"][-1]["content"]


async def test_poll_returns_progress_and_the_interval(dashboard: Dashboard, orchestrator):
    _, plan_id = await dashboard.executing()

    response = await dashboard.poll(plan_id)

    assert response.status_code == 200
    assert response.headers["X-Poll-Interval"] == "2000"
    body = response.json()
    assert set(body) == {"overall_status", "steps", "last_update", "stale"}
    assert body["overall_status"] == "executing"
    assert [s["status"] for s in body["steps"]] == ["pending", "pending", "pending"]
    assert datetime.fromisoformat(body["last_update"])


async def test_poll_before_approval_asks_no_task_status(dashboard: Dashboard, orchestrator):
    _, plan_id = await dashboard.plan_ready()

    body = (await dashboard.poll(plan_id)).json()

    assert body["overall_status"] == "pending_approval"
    assert [s["status"] for s in body["steps"]] == ["pending"] * 3
    assert not orchestrator.task_status_route.called


async def test_abort_cancels_tasks(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.executing()
    task_ids = orchestrator.plans[plan_id].task_ids

    response = await dashboard.action(plan_id, "abort", session_id)

    assert response.status_code == 200
    assert response.json() == {
        "status": "aborted",
        "cancelled_tasks": 3,
        "already_finished_tasks": 0,
    }
    assert sorted(orchestrator.cancelled_task_ids()) == sorted(task_ids)
    assert all(orchestrator.task_status[t] == "cancelled" for t in task_ids)
    session = await dashboard.session(session_id)
    assert session["status"] == "idle"
    assert session["current_plan_id"] is None


async def test_abort_tolerates_finished_and_unknown_tasks(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.executing()
    finished, running, forgotten = orchestrator.plans[plan_id].task_ids
    orchestrator.task_status[finished] = "completed"  # cancel answers 400
    del orchestrator.task_status[forgotten]  # cancel answers 404

    response = await dashboard.action(plan_id, "abort", session_id)

    assert response.status_code == 200
    assert response.json() == {
        "status": "aborted",
        "cancelled_tasks": 1,
        "already_finished_tasks": 2,
    }
    assert orchestrator.cancel_route.call_count == 3
    assert orchestrator.task_status[running] == "cancelled"


async def test_abort_repeated_answers_aborted_again(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.executing()
    await dashboard.action(plan_id, "abort", session_id)

    again = await dashboard.action(plan_id, "abort", session_id)

    assert again.status_code == 200
    assert again.json()["status"] == "aborted"
    assert orchestrator.cancel_route.call_count == 3


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("GET", "/status"),
        ("GET", "/poll"),
        ("POST", "/approve"),
        ("POST", "/reject"),
        ("POST", "/abort"),
    ],
)
async def test_plan_not_found(dashboard: Dashboard, http, orchestrator, method, suffix):
    session_id = await dashboard.new_session()
    body = {"session_id": session_id} if method == "POST" else None

    response = await http.request(method, f"{BASE}/plan/{uuid.uuid4()}{suffix}", json=body)

    assert_error(response, 404, "not_found")
    assert not orchestrator.approve_route.called


async def test_malformed_plan_id_is_not_found(http, orchestrator):
    assert_error(await http.get(f"{BASE}/plan/DROP%20TABLE"), 404, "not_found")


# CORS is the all-in-one app's; deployed, API Gateway answers it (tests/lambda/test_template.py).
@pytest.mark.parametrize("host", ["fastapi"])
async def test_the_browser_may_read_the_poll_interval(dashboard: Dashboard, orchestrator):
    _, plan_id = await dashboard.executing()

    response = await dashboard.http.get(
        f"{BASE}/plan/{plan_id}/poll", headers={"Origin": "http://localhost:5173"}
    )

    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "X-Poll-Interval" in response.headers["Access-Control-Expose-Headers"]
