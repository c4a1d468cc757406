"""POST /api/dashboard/chat: a message becomes a request and one plan, a modification of the
plan under review, or a question back to the person."""

import asyncio
import time
import uuid

import httpx

from tests.api.flows import BASE, Dashboard, assert_error
from tests.api.orchestrator_fake import FIRST_REQUEST, SUMMARY


async def test_new_deployment_request(dashboard: Dashboard, orchestrator):
    session_id = await dashboard.new_session()

    turn = await dashboard.chat(session_id, FIRST_REQUEST)

    assert orchestrator.submit_route.call_count == 1
    assert orchestrator.generate_route.call_count == 1  # a plan call makes a plan: only once
    assert orchestrator.submitted_texts() == [FIRST_REQUEST]
    user, assistant = turn["messages"]
    assert (user["role"], user["content"]) == ("user", FIRST_REQUEST)
    assert assistant["role"] == "assistant"
    assert SUMMARY in assistant["content"]
    assert "- [ ] 1. Provision staging VM" in assistant["content"]
    plan = turn["plan"]
    assert plan["plan_id"] in orchestrator.plans
    assert plan["summary"] == SUMMARY
    assert plan["status"] == "pending_approval"
    assert plan["can_approve"] is True
    assert turn["session_status"] == "plan_ready"
    session = await dashboard.session(session_id)
    assert session["current_plan_id"] == plan["plan_id"]
    assert session["current_request_id"] == plan["request_id"]


async def test_modification_request(dashboard: Dashboard, orchestrator):
    session_id, first_plan_id = await dashboard.plan_ready(FIRST_REQUEST)

    turn = await dashboard.chat(session_id, "Use two VMs instead of one")

    text = orchestrator.submitted_texts()[-1]
    assert text.startswith(f"[Modify plan {first_plan_id}] Use two VMs instead of one")
    assert f"Original request: {FIRST_REQUEST}" in text
    assert orchestrator.generate_route.call_count == 2
    new_plan = turn["plan"]
    assert new_plan["plan_id"] != first_plan_id
    assert "Here is the updated plan." in turn["messages"][1]["content"]
    assert (await dashboard.session(session_id))["current_plan_id"] == new_plan["plan_id"]
    old = (await dashboard.get_plan(first_plan_id)).json()
    assert old["status"] == "superseded"
    assert old["can_approve"] is False
    assert old["can_modify"] is False


async def test_second_modification_carries_the_earlier_changes(dashboard: Dashboard, orchestrator):
    session_id, _ = await dashboard.plan_ready(FIRST_REQUEST)
    second = (await dashboard.chat(session_id, "Use two VMs"))["plan"]["plan_id"]

    await dashboard.chat(session_id, "And skip the smoke tests")

    text = orchestrator.submitted_texts()[-1]
    assert text.startswith(f"[Modify plan {second}] And skip the smoke tests")
    assert f"Original request: {FIRST_REQUEST}" in text
    assert "Changes asked before: Use two VMs" in text


async def test_empty_message_rejected(dashboard: Dashboard, orchestrator):
    session_id = await dashboard.new_session()

    for message in ("", "   "):
        assert_error(await dashboard.send(session_id, message), 400, "invalid_request")
    assert not orchestrator.submit_route.called
    assert (await dashboard.session(session_id))["messages"] == []


async def test_session_required(http, orchestrator):
    response = await http.post(f"{BASE}/chat", json={"message": FIRST_REQUEST})

    error = assert_error(response, 400, "invalid_request")
    assert "session_id" in error["message"]
    assert not orchestrator.submit_route.called


async def test_unknown_session_is_not_found(dashboard: Dashboard, orchestrator):
    assert_error(await dashboard.send(str(uuid.uuid4()), FIRST_REQUEST), 404, "not_found")
    assert not orchestrator.submit_route.called


async def test_malformed_session_id_is_not_found(dashboard: Dashboard, orchestrator):
    assert_error(await dashboard.send("../../etc/passwd", FIRST_REQUEST), 404, "not_found")
    assert not orchestrator.submit_route.called


async def test_clarification_is_asked_in_the_chat(dashboard: Dashboard, orchestrator):
    session_id = await dashboard.new_session()
    orchestrator.request_outcome = {
        "status": "requires_clarification",
        "ambiguities": ["Which environment: staging or production?"],
        "out_of_scope": ["Ordering new hardware"],
    }

    turn = await dashboard.chat(session_id, "Deploy it and buy a server")

    assert turn["plan"] is None
    assert not orchestrator.generate_route.called
    reply = turn["messages"][1]["content"]
    assert "- Which environment: staging or production?" in reply
    assert "- Ordering new hardware" in reply
    assert turn["session_status"] == "idle"
    follow_up = await dashboard.chat(session_id, "Deploy the billing service to staging")
    assert follow_up["plan"] is not None


async def test_parsing_failed_says_what_went_wrong(dashboard: Dashboard, orchestrator):
    session_id = await dashboard.new_session()
    orchestrator.request_outcome = {"status": "parsing_failed", "error": "LLM returned no JSON"}

    turn = await dashboard.chat(session_id, "asdfgh")

    assert turn["plan"] is None
    assert "LLM returned no JSON" in turn["messages"][1]["content"]
    assert "rephrase" in turn["messages"][1]["content"]
    assert turn["session_status"] == "idle"
    assert (await dashboard.chat(session_id, FIRST_REQUEST))["plan"] is not None


async def test_planning_failed_says_what_went_wrong(dashboard: Dashboard, orchestrator):
    session_id = await dashboard.new_session()
    orchestrator.plan_outcome = {"status": "planning_failed", "error": "No agent can do GPU work"}

    turn = await dashboard.chat(session_id, FIRST_REQUEST)

    assert turn["plan"] is None
    assert "No agent can do GPU work" in turn["messages"][1]["content"]
    assert turn["session_status"] == "idle"
    assert orchestrator.generate_route.call_count == 1
    assert (await dashboard.chat(session_id, FIRST_REQUEST))["plan"] is not None


async def test_failed_modification_keeps_the_plan_under_review(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.plan_outcome = {"status": "planning_failed", "error": "conflicting constraints"}

    turn = await dashboard.chat(session_id, "Run it on zero machines")

    assert turn["plan"] is None
    assert turn["session_status"] == "plan_ready"
    plan = (await dashboard.get_plan(plan_id)).json()
    assert plan["status"] == "pending_approval"
    assert plan["can_approve"] is True


async def test_chat_after_a_completed_run_is_a_new_request(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.executing()
    for task_id in orchestrator.plans[plan_id].task_ids:
        orchestrator.task_status[task_id] = "completed"
    assert (await dashboard.status(plan_id)).json()["status"] == "completed"

    turn = await dashboard.chat(session_id, "Now deploy it to production")

    assert orchestrator.submitted_texts()[-1] == "Now deploy it to production"
    assert turn["plan"]["plan_id"] != plan_id
    assert turn["session_status"] == "plan_ready"


async def test_two_messages_at_once_make_one_request(dashboard: Dashboard, orchestrator):
    session_id = await dashboard.new_session()
    plain_submit = orchestrator.submit_route.side_effect

    def slow_submit(request: httpx.Request) -> httpx.Response:
        # In the client's worker thread: the other message arrives while this one is planned.
        time.sleep(0.05)
        return plain_submit(request)

    orchestrator.submit_route.side_effect = slow_submit

    first, second = await asyncio.gather(
        dashboard.send(session_id, FIRST_REQUEST), dashboard.send(session_id, "Something else")
    )

    assert sorted([first.status_code, second.status_code]) == [200, 409]
    assert orchestrator.submit_route.call_count == 1
    assert_error(second if second.status_code == 409 else first, 409, "conflict")


async def test_message_over_the_limit_is_rejected(dashboard: Dashboard, orchestrator):
    session_id = await dashboard.new_session()

    response = await dashboard.send(session_id, "x" * 10_001)

    assert_error(response, 400, "invalid_request")
    assert not orchestrator.submit_route.called


async def test_body_that_is_not_json_is_rejected(http, orchestrator):
    response = await http.post(
        f"{BASE}/chat",
        content=b"session_id=1&message=hi",
        headers={"Content-Type": "application/json"},
    )

    assert_error(response, 400, "invalid_request")


async def test_modification_too_long_to_send_is_refused_before_anything_is_stored(
    dashboard: Dashboard, orchestrator
):
    session_id, plan_id = await dashboard.plan_ready("Deploy " + "x" * 9_900)

    response = await dashboard.send(session_id, "Use two VMs instead of one")

    error = assert_error(response, 400, "invalid_request")
    assert "reject it" in error["message"]
    assert orchestrator.submit_route.call_count == 1
    session = await dashboard.session(session_id)
    assert session["status"] == "plan_ready"
    assert len(session["messages"]) == 2


async def test_overlong_malformed_session_id_is_not_found(dashboard: Dashboard, orchestrator):
    assert_error(await dashboard.send("x" * 65, FIRST_REQUEST), 404, "not_found")
