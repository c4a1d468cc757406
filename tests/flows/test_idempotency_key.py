"""Idempotency-Key: the web client retries on 5xx, and a repeat must never do the work twice."""

import asyncio

DEPLOY = "build and deploy the api service to staging"


async def test_chat_repeated_with_the_same_key_answers_the_same_without_a_second_turn(dashboard):
    session_id = await dashboard.new_session()
    key = {"Idempotency-Key": "chat-1"}
    first = await dashboard.chat(session_id, DEPLOY, headers=key)
    again = await dashboard.chat(session_id, DEPLOY, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content  # byte for byte
    assert again.headers["Idempotent-Replayed"] == "true"
    calls = await dashboard.calls()
    assert (calls["request"], calls["plan"]) == (1, 1)
    assert len(await dashboard.history(session_id)) == 2  # one user message, one reply


async def test_a_deleted_session_is_not_shown_again_by_a_replay(dashboard):
    # The person asked for their data to go: a repeat of an earlier request must not hand the
    # deleted messages and plan back from the key's stored answer.
    session_id = await dashboard.new_session()
    key = {"Idempotency-Key": "chat-before-delete"}
    assert (await dashboard.chat(session_id, DEPLOY, headers=key)).status_code == 200
    deleted = await dashboard.client.delete(
        f"/api/dashboard/session/{session_id}", headers=dashboard.as_("alice")
    )
    assert deleted.status_code == 204
    again = await dashboard.chat(session_id, DEPLOY, headers=key)
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "not_found"
    assert DEPLOY not in again.text


async def test_same_key_with_a_different_body_is_refused(dashboard):
    session_id = await dashboard.new_session()
    key = {"Idempotency-Key": "chat-2"}
    assert (await dashboard.chat(session_id, DEPLOY, headers=key)).status_code == 200
    other = await dashboard.chat(session_id, "migrate the database", headers=key)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert (await dashboard.calls())["request"] == 1


async def test_keys_are_per_caller(dashboard):
    alice = await dashboard.new_session("alice")
    bob = await dashboard.new_session("bob")
    key = {"Idempotency-Key": "same-key"}
    assert (await dashboard.chat(alice, DEPLOY, "alice", headers=key)).status_code == 200
    answer = await dashboard.chat(bob, DEPLOY, "bob", headers=key)
    assert answer.status_code == 200
    assert "Idempotent-Replayed" not in answer.headers
    assert answer.json()["messages"][0]["session_id"] == bob


async def test_approve_reject_modify_abort_replay_with_their_key(dashboard):
    session_id = await dashboard.new_session()
    plan = (await dashboard.chat(session_id, DEPLOY)).json()["plan"]["plan_id"]
    modify = {"plan_id": plan, "user_message": "also set up monitoring"}
    first = await dashboard.act(plan, "modify", session_id, extra=modify,
                                headers={"Idempotency-Key": "m"})  # fmt: skip
    again = await dashboard.act(plan, "modify", session_id, extra=modify,
                                headers={"Idempotency-Key": "m"})  # fmt: skip
    assert first.json() == again.json()
    plan = first.json()["new_plan"]["plan_id"]

    await dashboard.configure(task_seconds=30)
    approvals = await asyncio.gather(
        *(dashboard.act(plan, "approve", session_id, headers={"Idempotency-Key": "a"})
          for _ in range(5))
    )  # fmt: skip
    statuses = sorted(a.status_code for a in approvals)
    assert 200 in statuses and set(statuses) <= {200, 409}
    aborts = [
        await dashboard.act(plan, "abort", session_id, headers={"Idempotency-Key": "x"})
        for _ in range(3)
    ]
    assert [a.status_code for a in aborts] == [200, 200, 200]
    assert aborts[1].json() == aborts[0].json()
    calls = await dashboard.calls()
    assert (calls["request"], calls["plan"], calls["approve"]) == (2, 2, 1)


async def test_a_refusal_is_given_again_byte_for_byte(dashboard):
    """A 4xx that will not change (here a change whose body names another plan) is kept with the
    key, like a success, and a repeat gets it again exactly as it was first given."""
    session_id = await dashboard.new_session()
    plan = (await dashboard.chat(session_id, DEPLOY)).json()["plan"]["plan_id"]
    other = {"plan_id": "00000000-0000-4000-8000-000000000000", "user_message": "add tests"}
    key = {"Idempotency-Key": "refused-once"}
    first = await dashboard.act(plan, "modify", session_id, extra=other, headers=key)
    again = await dashboard.act(plan, "modify", session_id, extra=other, headers=key)
    assert first.status_code == again.status_code == 400
    assert first.json()["error"]["code"] == "invalid_request"
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_a_fault_releases_the_key_so_the_retry_does_the_work(dashboard):
    session_id = await dashboard.new_session()
    key = {"Idempotency-Key": "retry-me"}
    dashboard.link.faults["request"] = "refused"
    failed = await dashboard.chat(session_id, DEPLOY, headers=key)
    assert failed.status_code == 503
    dashboard.link.faults.clear()
    retried = await dashboard.chat(session_id, DEPLOY, headers=key)
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers
    assert retried.json()["plan"] is not None


async def test_malformed_key_is_a_clear_400(dashboard):
    session_id = await dashboard.new_session()
    answer = await dashboard.chat(session_id, DEPLOY, headers={"Idempotency-Key": "bad key!"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_request"


async def test_a_conflict_is_not_replayed_once_the_state_allows_the_action(dashboard):
    """A 409 says what holds now ("only a running plan can be aborted"): the same key used
    again once the plan runs does the work, instead of replaying the refusal for a day."""
    session_id = await dashboard.new_session()
    plan = (await dashboard.chat(session_id, DEPLOY)).json()["plan"]["plan_id"]
    key = {"Idempotency-Key": "abort-when-running"}
    refused = await dashboard.act(plan, "abort", session_id, headers=key)
    assert refused.status_code == 409
    await dashboard.configure(task_seconds=30)
    assert (await dashboard.act(plan, "approve", session_id)).status_code == 200
    done = await dashboard.act(plan, "abort", session_id, headers=key)
    assert done.status_code == 200, done.text
    assert "Idempotent-Replayed" not in done.headers
