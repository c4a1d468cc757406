"""A session and its plans belong to whoever created them: to anybody else they do not exist."""

import pytest

from tests.api.flows import BASE, Dashboard, assert_error


@pytest.fixture
async def alices_plan(dashboard: Dashboard):
    session_id = await dashboard.new_session(user="alice")
    turn = await dashboard.chat(session_id, "Deploy the billing service", user="alice")
    return session_id, turn["plan"]["plan_id"]


async def test_alice_sees_her_own_session(dashboard: Dashboard, alices_plan):
    session_id, plan_id = alices_plan

    session = await dashboard.session(session_id, user="alice")

    assert session["user_id"] == "alice"
    assert (await dashboard.get_plan(plan_id, user="alice")).status_code == 200


async def test_the_header_wins_over_the_user_id_in_the_body(http, orchestrator):
    response = await http.post(
        f"{BASE}/session", json={"user_id": "mallory"}, headers={"X-User-Id": "alice"}
    )

    assert response.json()["user_id"] == "alice"


async def test_bob_cannot_read_alices_session(dashboard: Dashboard, http, alices_plan):
    session_id, _ = alices_plan

    response = await http.get(f"{BASE}/session/{session_id}", headers={"X-User-Id": "bob"})

    assert_error(response, 404, "not_found")


async def test_bob_cannot_chat_in_alices_session(dashboard: Dashboard, orchestrator, alices_plan):
    session_id, _ = alices_plan

    response = await dashboard.send(session_id, "Delete everything", user="bob")

    assert_error(response, 404, "not_found")
    assert orchestrator.submit_route.call_count == 1
    messages = (await dashboard.session(session_id, user="alice"))["messages"]
    assert "Delete everything" not in [m["content"] for m in messages]


async def test_bob_cannot_read_alices_plan(dashboard: Dashboard, orchestrator, alices_plan):
    _, plan_id = alices_plan

    assert_error(await dashboard.get_plan(plan_id, user="bob"), 404, "not_found")
    for suffix in ("/status", "/poll"):
        response = await dashboard.http.get(
            f"{BASE}/plan/{plan_id}{suffix}", headers={"X-User-Id": "bob"}
        )
        assert_error(response, 404, "not_found")


async def test_bob_cannot_approve_alices_plan(dashboard: Dashboard, orchestrator, alices_plan):
    session_id, plan_id = alices_plan

    response = await dashboard.action(plan_id, "approve", session_id, user="bob")

    assert_error(response, 404, "not_found")
    assert not orchestrator.approve_route.called
    assert (await dashboard.get_plan(plan_id, user="alice")).json()["can_approve"] is True


def ids(page: dict) -> list[str]:
    return [s["session_id"] for s in page["sessions"]]


async def test_bob_never_sees_alices_sessions_in_his_list(dashboard: Dashboard, alices_plan):
    alices_first, _ = alices_plan
    alices_second = await dashboard.new_session(user="alice")
    bobs = await dashboard.new_session(user="bob")
    alices_page = await dashboard.sessions(user="alice", limit=1)

    bobs_list = await dashboard.sessions(user="bob")
    bobs_list_from_alices_cursor = await dashboard.sessions(
        user="bob", cursor=alices_page["next_cursor"]
    )

    assert ids(alices_page) == [alices_second]
    assert ids(await dashboard.sessions(user="alice")) == [alices_second, alices_first]
    assert ids(bobs_list) == [bobs]
    # A cursor is a position in the caller's own list: older than it, bob has nothing.
    assert bobs_list_from_alices_cursor == {"sessions": [], "next_cursor": None}
