"""Another user's session, messages and plans do not exist for you: 404 through every endpoint,
and nothing you try changes them."""

DEPLOY = "build and deploy the api service to staging"


async def test_bob_gets_404_everywhere_and_changes_nothing(dashboard):
    session_id = await dashboard.new_session("alice")
    plan_id = (await dashboard.chat(session_id, DEPLOY, "alice")).json()["plan"]["plan_id"]
    before = await dashboard.history(session_id, "alice")
    calls_before = await dashboard.calls()
    bob = dashboard.as_("bob")
    plan = f"/api/dashboard/plan/{plan_id}"
    attempts = [
        ("GET", f"/api/dashboard/session/{session_id}", None),
        ("GET", f"/api/dashboard/session/{session_id}/messages", None),
        ("POST", "/api/dashboard/chat", {"session_id": session_id, "message": DEPLOY}),
        ("GET", plan, None),
        ("GET", f"{plan}/status", None),
        ("GET", f"{plan}/poll", None),
        ("POST", f"{plan}/approve", {"session_id": session_id}),
        ("POST", f"{plan}/reject", {"session_id": session_id}),
        ("POST", f"{plan}/abort", {"session_id": session_id}),
        ("POST", f"{plan}/modify",
         {"plan_id": plan_id, "session_id": session_id, "user_message": "drop the tests"}),
    ]  # fmt: skip
    for method, path, body in attempts:
        answer = await dashboard.client.request(method, path, json=body, headers=bob)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "not_found"
        assert "alice" not in answer.text

    # Bob's own session cannot reach alice's plan either.
    bobs = await dashboard.new_session("bob")
    answer = await dashboard.act(plan_id, "approve", bobs, "bob")
    assert answer.status_code == 404

    assert await dashboard.history(session_id, "alice") == before
    calls = await dashboard.calls()
    assert {k: calls[k] - calls_before[k] for k in calls} == dict.fromkeys(calls, 0)
    view = (await dashboard.client.get(plan, headers=dashboard.as_("alice"))).json()
    assert view["can_approve"] is True
