"""Chat sessions: create one, read it back with its history."""

import uuid

import httpx
import pytest

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


# GET /sessions: the caller's sessions, newest activity first ---------------------------------


async def test_sessions_are_listed_newest_activity_first_page_by_page(dashboard: Dashboard):
    made = [await dashboard.new_session(user="alice") for _ in range(3)]
    turn = await dashboard.chat(made[0], "Deploy the billing service", user="alice")

    first = await dashboard.sessions(user="alice", limit=2)
    second = await dashboard.sessions(user="alice", limit=2, cursor=first["next_cursor"])

    assert [s["session_id"] for s in first["sessions"]] == [made[0], made[2]]
    assert [s["session_id"] for s in second["sessions"]] == [made[1]]
    assert first["next_cursor"] and second["next_cursor"] is None
    chatted = first["sessions"][0]
    assert chatted["status"] == "plan_ready"
    assert chatted["current_plan_id"] == turn["plan"]["plan_id"]
    assert chatted["user_id"] == "alice"
    assert chatted["last_activity"] > chatted["created_at"]
    assert set(chatted) == {
        "session_id", "user_id", "created_at", "last_activity", "status",
        "current_request_id", "current_plan_id", "plan_approval_expires_at", "deleting",
    }  # fmt: skip
    assert chatted["plan_approval_expires_at"] == turn["plan"]["approval_expires_at"]
    assert first["sessions"][1]["plan_approval_expires_at"] is None  # idle: no plan waits
    assert chatted["deleting"] is False


async def test_a_person_without_sessions_gets_an_empty_list(dashboard: Dashboard):
    assert await dashboard.sessions(user="newcomer") == {"sessions": [], "next_cursor": None}


async def test_without_an_identity_locally_the_list_is_of_sessions_made_without_one(
    dashboard: Dashboard, http
):
    anonymous = (await http.post(f"{BASE}/session", json={})).json()["session_id"]
    await dashboard.new_session(user="alice")

    without_identity = await dashboard.sessions()
    alices = await dashboard.sessions(user="alice")

    assert [s["session_id"] for s in without_identity["sessions"]] == [anonymous]
    assert anonymous not in [s["session_id"] for s in alices["sessions"]]


async def test_without_an_identity_a_deployment_with_the_authorizer_answers_401(
    http, orchestrator, monkeypatch
):
    from shared.settings import get_settings

    monkeypatch.setenv("REQUIRE_IDENTITY", "true")
    get_settings.cache_clear()

    assert_error(await http.get(f"{BASE}/sessions"), 401, "unauthenticated")


@pytest.mark.parametrize(
    "query", [{"cursor": "not-a-cursor!"}, {"limit": "0"}, {"limit": "101"}, {"limit": "many"}]
)
async def test_a_bad_cursor_or_limit_answers_400(http, orchestrator, query):
    response = await http.get(f"{BASE}/sessions", params=query, headers={"X-User-Id": "alice"})

    assert_error(response, 400, "invalid_request")


async def test_readiness_names_what_cannot_be_reached(http, orchestrator, app):
    """GET /health/ready checks the table and the orchestrator; GET /health checks nothing."""
    from shared.errors import StoreUnavailable
    from shared.services.context import store_dependency
    from shared.store.memory import InMemorySessionStore

    assert (await http.get("/health/ready")).json() == {
        "status": "ready", "table": "ok", "orchestrator": "ok"
    }

    orchestrator.health_route.side_effect = httpx.ConnectError("refused")
    down = assert_error(await http.get("/health/ready"), 503, "not_ready")
    assert down["message"] == "Not ready: the orchestrator cannot be reached."

    class Unreachable(InMemorySessionStore):
        def ping(self):
            raise StoreUnavailable("The session store cannot be reached.")

    app.dependency_overrides[store_dependency] = Unreachable
    try:
        both = assert_error(await http.get("/health/ready"), 503, "not_ready")
        assert (await http.get("/health")).status_code == 200  # liveness checks nothing
    finally:
        app.dependency_overrides.pop(store_dependency)
    assert both["message"] == "Not ready: the table and the orchestrator cannot be reached."
