"""The chat and plans functions through handler(event, context), one Lambda per group.

The three handlers share this process's in-memory store the way the deployed functions share
the table; the orchestrator is the fake of tests/api on respx.
"""

import uuid

import pytest
import respx

from shared.orchestrator.factory import get_orchestrator
from shared.settings import get_settings
from tests.api.orchestrator_fake import FIRST_REQUEST, ORCHESTRATOR_URL, FakeOrchestrator
from tests.lambda_events import answer, http_event

from .cfn import load_template
from .test_sessions_handler import assert_error

PLAN = "/api/dashboard/plan/{plan_id}"
PLAN_ROUTES = [
    (e["Properties"]["Method"], e["Properties"]["Path"])
    for e in load_template()["Resources"]["PlansFunction"]["Properties"]["Events"].values()
    if "{plan_id}" in e["Properties"]["Path"]  # not the readiness check it also serves
]


@pytest.fixture
def orchestrator(lambda_env):
    lambda_env.setenv("ORCHESTRATOR_URL", ORCHESTRATOR_URL)
    lambda_env.setenv("ORCHESTRATOR_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    get_orchestrator.cache_clear()
    with respx.mock(base_url=ORCHESTRATOR_URL, assert_all_called=False) as router:
        yield FakeOrchestrator(router)
    get_orchestrator.cache_clear()


def call(handler, context, method, path, *, route=None, body=None, sub=None):
    return answer(handler(http_event(method, path, route=route, body=body, sub=sub), context))


def action_body(method: str, path: str, plan_id: str, session_id: str):
    if method == "GET":
        return None
    if path.endswith("/modify"):
        return {"plan_id": plan_id, "session_id": session_id, "user_message": "use two VMs"}
    return {"session_id": session_id}


@pytest.mark.parametrize("method, route", PLAN_ROUTES)
def test_an_unknown_plan_answers_404_in_the_error_shape(
    plans_handler, context, orchestrator, method, route
):
    plan_id, session_id = str(uuid.uuid4()), str(uuid.uuid4())
    path = route.replace("{plan_id}", plan_id)
    body = action_body(method, route, plan_id, session_id)
    result = call(plans_handler, context, method, path, route=route, body=body, sub="sub-a")
    assert_error(result, 404, "not_found")
    assert orchestrator.approve_route.call_count == 0


def test_chat_in_an_unknown_session_answers_404(chat_handler, context, orchestrator):
    body = {"session_id": str(uuid.uuid4()), "message": FIRST_REQUEST}
    result = call(chat_handler, context, "POST", "/api/dashboard/chat", body=body, sub="sub-a")
    assert_error(result, 404, "not_found")
    assert orchestrator.submit_route.call_count == 0


@pytest.mark.parametrize("body", ['{"session_id": "x", "message": ', "[}"])
def test_chat_with_malformed_json_answers_400(chat_handler, context, orchestrator, body):
    result = call(chat_handler, context, "POST", "/api/dashboard/chat", body=body)
    assert_error(result, 400, "invalid_request")


def test_a_plan_made_in_chat_is_reviewed_and_approved_through_the_plans_function(
    sessions_handler, chat_handler, plans_handler, context, orchestrator
):
    created = call(sessions_handler, context, "POST", "/api/dashboard/session", sub="sub-a")
    session_id = created.body["session_id"]

    turn = call(
        chat_handler, context, "POST", "/api/dashboard/chat",
        body={"session_id": session_id, "message": FIRST_REQUEST}, sub="sub-a",
    )  # fmt: skip
    assert turn.status == 200, turn.body
    assert turn.body["session_status"] == "plan_ready"
    plan_id = turn.body["plan"]["plan_id"]
    path = PLAN.replace("{plan_id}", plan_id)

    view = call(plans_handler, context, "GET", path, route=PLAN, sub="sub-a")
    assert view.status == 200
    assert view.body["plan_id"] == plan_id
    assert view.body["can_approve"] is True

    # Another person's token: the plan does not exist for them, and nothing reaches upstream.
    assert_error(
        call(plans_handler, context, "GET", path, route=PLAN, sub="sub-b"), 404, "not_found"
    )
    theirs = call(
        plans_handler, context, "POST", f"{path}/approve", route=f"{PLAN}/approve",
        body={"session_id": session_id}, sub="sub-b",
    )  # fmt: skip
    assert_error(theirs, 404, "not_found")
    assert orchestrator.approve_route.call_count == 0

    approved = call(
        plans_handler, context, "POST", f"{path}/approve", route=f"{PLAN}/approve",
        body={"session_id": session_id}, sub="sub-a",
    )  # fmt: skip
    assert approved.status == 200, approved.body
    assert approved.body["status"] == "approved"
    assert orchestrator.approve_route.call_count == 1

    poll = call(plans_handler, context, "GET", f"{path}/poll", route=f"{PLAN}/poll", sub="sub-a")
    assert poll.status == 200
    assert poll.headers["x-poll-interval"] == str(get_settings().poll_interval_ms)
    assert len(poll.body["steps"]) == len(turn.body["plan"]["steps"])

    session = call(
        sessions_handler, context, "GET", f"/api/dashboard/session/{session_id}",
        route="/api/dashboard/session/{session_id}", sub="sub-a",
    )  # fmt: skip
    assert session.body["status"] == "executing"
    assert session.body["current_plan_id"] == plan_id
