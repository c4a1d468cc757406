"""Comments on approve, reject and abort (issue 17), on both hosts: passed to the orchestrator as
the decision's notes (the fake records what it was sent), shown in the history, and refused when
too long before anything is sent."""

from tests.api.flows import BASE, Dashboard, assert_error


async def decide(dashboard: Dashboard, plan_id: str, action: str, session_id: str, comment):
    return await dashboard.http.post(
        f"{BASE}/plan/{plan_id}/{action}", json={"session_id": session_id, "comment": comment}
    )


async def test_an_approval_comment_is_the_orchestrators_notes_and_is_in_the_history(
    dashboard: Dashboard, orchestrator
):
    session_id, plan_id = await dashboard.plan_ready()
    answer = await decide(dashboard, plan_id, "approve", session_id, "  Reviewed with ops.  ")
    assert answer.status_code == 200, answer.text
    assert orchestrator.approve_bodies() == [
        {"approved": True, "user_id": "dev-user", "notes": "Reviewed with ops."}
    ]
    last = (await dashboard.session(session_id))["messages"][-1]
    assert last["content"] == 'Approved. 3 of 3 steps dispatched. Comment: "Reviewed with ops."'
    assert last["metadata"]["comment"] == "Reviewed with ops."


async def test_a_rejection_comment_is_the_orchestrators_notes_and_is_in_the_history(
    dashboard: Dashboard, orchestrator
):
    session_id, plan_id = await dashboard.plan_ready()
    answer = await decide(dashboard, plan_id, "reject", session_id, "Not during the freeze")
    assert answer.status_code == 200, answer.text
    assert orchestrator.approve_bodies() == [
        {"approved": False, "user_id": "dev-user", "notes": "Not during the freeze"}
    ]
    last = (await dashboard.session(session_id))["messages"][-1]
    assert last["content"].startswith('The plan was rejected. Comment: "Not during the freeze"')
    assert last["metadata"]["comment"] == "Not during the freeze"


async def test_an_abort_comment_is_in_the_history(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.executing()
    answer = await decide(dashboard, plan_id, "abort", session_id, "Wrong build")
    assert answer.status_code == 200, answer.text
    last = (await dashboard.session(session_id))["messages"][-1]
    assert last["content"].startswith("Aborted. 3 step(s) cancelled")
    assert last["content"].endswith(' Comment: "Wrong build"')
    assert last["metadata"]["comment"] == "Wrong build"


async def test_a_blank_comment_is_no_comment(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()
    answer = await decide(dashboard, plan_id, "approve", session_id, " \n\t ")
    assert answer.status_code == 200, answer.text
    assert orchestrator.approve_bodies()[0]["notes"] is None
    last = (await dashboard.session(session_id))["messages"][-1]
    assert last["content"] == "Approved. 3 of 3 steps dispatched."
    assert "comment" not in last["metadata"]


async def test_a_comment_over_2000_characters_is_refused_before_anything_is_sent(
    dashboard: Dashboard, orchestrator
):
    session_id, plan_id = await dashboard.plan_ready()
    for action in ("approve", "reject"):
        answer = await decide(dashboard, plan_id, action, session_id, "x" * 2001)
        error = assert_error(answer, 400, "invalid_request")
        assert "comment" in error["message"]
    assert orchestrator.approve_bodies() == []
    assert (await decide(dashboard, plan_id, "approve", session_id, "x" * 2000)).status_code == 200


async def test_a_comment_that_is_not_text_is_refused(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.plan_ready()
    answer = await decide(dashboard, plan_id, "approve", session_id, {"why": "because"})
    assert_error(answer, 400, "invalid_request")
    assert orchestrator.approve_bodies() == []
