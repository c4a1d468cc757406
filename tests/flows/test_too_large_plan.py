"""A plan too large to store (over DynamoDB's 400 KB item; the in-memory store checks the same
limit), on both hosts and both stores: the chat answers 502 too_large_to_store with what to do,
the session goes back to where it was, the conversation says why, and the next message works."""

DEPLOY = "build and deploy the api service to staging"
ADVICE = "Ask for a plan with fewer or smaller steps."


async def _session(dashboard, session_id: str) -> dict:
    answer = await dashboard.client.get(
        f"/api/dashboard/session/{session_id}", headers=dashboard.as_("alice")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _oversized_chat(dashboard, session_id: str, message: str):
    dashboard.link.faults["plan"] = "oversized"
    try:
        return await dashboard.chat(session_id, message)
    finally:
        dashboard.link.faults.clear()


def _assert_refused(answer) -> None:
    assert answer.status_code == 502, answer.text
    error = answer.json()["error"]
    assert error["code"] == "too_large_to_store"
    # "The plan" of a first request, "The plan with its revision diff" of a modification.
    assert error["message"].startswith("The plan")
    assert "is too large to store (about " in error["message"]
    assert error["message"].endswith(ADVICE)


async def test_a_plan_too_large_to_store_leaves_the_session_as_it_was_and_says_why(dashboard):
    session_id = await dashboard.new_session()

    # A first request: the session was idle, and is again.
    _assert_refused(await _oversized_chat(dashboard, session_id, DEPLOY))
    session = await _session(dashboard, session_id)
    assert (session["status"], session["current_plan_id"]) == ("idle", None)
    said = session["messages"][-1]
    assert said["role"] == "assistant" and said["metadata"] == {"error": "too_large_to_store"}
    assert "too large to store" in said["content"] and said["content"].endswith(ADVICE)

    first = await dashboard.chat(session_id, DEPLOY)
    assert first.status_code == 200, first.text
    plan_id = first.json()["plan"]["plan_id"]

    # A modification: the plan under review stays the current one, ready to approve.
    _assert_refused(await _oversized_chat(dashboard, session_id, "also run the tests"))
    session = await _session(dashboard, session_id)
    assert (session["status"], session["current_plan_id"]) == ("plan_ready", plan_id)
    assert session["messages"][-1]["content"].endswith(ADVICE)

    revised = await dashboard.chat(session_id, "also run the tests")
    assert revised.status_code == 200, revised.text
    assert (revised.json()["plan"]["revision"], revised.json()["plan"]["previous_plan_id"]) == (
        2,
        plan_id,
    )


async def test_the_refusal_is_answered_even_when_the_session_cannot_be_put_back(dashboard):
    # The session is deleted while its plan is made: returning it to idle then fails too, and
    # the caller still learns that the plan was too large (not a 409 about the session).
    session_id = await dashboard.new_session()

    def delete_the_session(kind: str) -> None:
        if kind == "plan":
            dashboard.store.delete_session(dashboard.store.get_session(session_id))

    dashboard.link.before_send = delete_the_session
    _assert_refused(await _oversized_chat(dashboard, session_id, DEPLOY))
    dashboard.link.before_send = None
    gone = await dashboard.client.get(
        f"/api/dashboard/session/{session_id}", headers=dashboard.as_("alice")
    )
    assert gone.status_code == 404, gone.text
