"""Chat sessions: create one, read it back with its history."""

import uuid

from tests.api.flows import BASE, Dashboard, assert_error


async def test_create_session_returns_a_new_idle_session(http, orchestrator):
    response = await http.post(f"{BASE}/session", json={"user_id": "ops-anna"})

    assert response.status_code == 201
    session = response.json()
    assert uuid.UUID(session["session_id"])
    assert session["user_id"] == "ops-anna"
    assert session["status"] == "idle"
    assert session["messages"] == []
    assert session["current_plan_id"] is None
    assert not orchestrator.submit_route.called  # a session is ours alone


async def test_get_session_returns_the_session(dashboard: Dashboard):
    session_id = await dashboard.new_session()

    session = await dashboard.session(session_id)

    assert session["session_id"] == session_id
    assert session["status"] == "idle"
    assert session["messages"] == []


async def test_session_not_found(http, orchestrator):
    response = await http.get(f"{BASE}/session/{uuid.uuid4()}")

    assert_error(response, 404, "not_found")


async def test_malformed_session_id_is_not_found(http, orchestrator):
    response = await http.get(f"{BASE}/session/not-a-session")

    assert_error(response, 404, "not_found")


async def test_session_stores_messages(dashboard: Dashboard):
    session_id = await dashboard.new_session()
    await dashboard.chat(session_id, "Deploy the billing service to staging")

    session = await dashboard.session(session_id)

    assert [m["role"] for m in session["messages"]] == ["user", "assistant"]
    assert session["messages"][0]["content"] == "Deploy the billing service to staging"
    assert "Here is the plan." in session["messages"][1]["content"]
    assert all(m["session_id"] == session_id for m in session["messages"])
    assert session["status"] == "plan_ready"
