"""DELETE /api/dashboard/session/{id} (issue 17) on both hosts and both stores: the session, its
messages and its plans go (the audit trails stay); refused while a run executes; another identity
gets 404; a retry with the same Idempotency-Key gets the same 204; a delete stopped half way by a
store fault is finished by the next one."""

import pytest

from shared.store.records import SessionChanges
from tests.flows.test_store_faults import StoreFault

DEPLOY = "build and deploy the api service to staging"
BASE = "/api/dashboard"


async def delete(dashboard, session_id: str, user: str = "alice", **headers):
    return await dashboard.client.delete(
        f"{BASE}/session/{session_id}", headers={**dashboard.as_(user), **headers}
    )


async def get(dashboard, path: str, user: str = "alice"):
    return await dashboard.client.get(f"{BASE}{path}", headers=dashboard.as_(user))


async def session_with_plans(dashboard) -> tuple[str, list[str]]:
    """A session with a plan, its revision (the first one superseded) and the revision rejected."""
    session_id = await dashboard.new_session()
    first = (await dashboard.chat(session_id, DEPLOY)).json()["plan"]["plan_id"]
    second = (await dashboard.chat(session_id, "also run the tests")).json()["plan"]["plan_id"]
    assert (await dashboard.act(second, "reject", session_id)).status_code == 200
    return session_id, [first, second]


async def assert_gone(dashboard, session_id: str, plans: list[str]) -> None:
    assert (await get(dashboard, f"/session/{session_id}")).status_code == 404
    assert (await get(dashboard, f"/session/{session_id}/messages")).status_code == 404
    for plan_id in plans:
        assert (await get(dashboard, f"/plan/{plan_id}")).status_code == 404
        assert (await get(dashboard, f"/plan/{plan_id}/status")).status_code == 404
    listed = (await get(dashboard, "/sessions")).json()["sessions"]
    assert session_id not in [s["session_id"] for s in listed]
    answer = await dashboard.chat(session_id, DEPLOY)
    assert answer.status_code == 404


async def test_a_deleted_session_is_gone_with_its_messages_and_plans(dashboard):
    session_id, plans = await session_with_plans(dashboard)
    kept = await dashboard.new_session()  # another of alice's sessions stays

    answer = await delete(dashboard, session_id)

    assert answer.status_code == 204, answer.text
    assert answer.content == b""
    await assert_gone(dashboard, session_id, plans)
    for plan_id in plans:  # the audit trails stay
        assert (await get(dashboard, f"/plan/{plan_id}/audit")).status_code == 200
    assert (await get(dashboard, f"/session/{kept}")).status_code == 200
    again = await delete(dashboard, session_id)  # a retry without a key after success
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "not_found"


async def test_a_session_is_not_deleted_while_its_run_executes(dashboard):
    await dashboard.configure(task_seconds=60)  # the run stays running
    session_id = await dashboard.new_session()
    plan_id = (await dashboard.chat(session_id, DEPLOY)).json()["plan"]["plan_id"]
    assert (await dashboard.act(plan_id, "approve", session_id)).status_code == 200

    refused = await delete(dashboard, session_id)

    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "session_busy"
    assert (await get(dashboard, f"/session/{session_id}")).json()["status"] == "executing"
    assert (await dashboard.act(plan_id, "abort", session_id)).status_code == 200
    assert (await delete(dashboard, session_id)).status_code == 204
    await assert_gone(dashboard, session_id, [plan_id])


async def test_a_session_is_not_deleted_while_an_approval_is_in_flight(dashboard):
    await dashboard.configure(task_seconds=60)
    session_id = await dashboard.new_session()
    plan_id = (await dashboard.chat(session_id, DEPLOY)).json()["plan"]["plan_id"]
    # The orchestrator got the approval; its answer and the status check never come back.
    dashboard.link.faults = {"approve": "hang", "plan_status": "hang"}
    assert (await dashboard.act(plan_id, "approve", session_id)).status_code == 504

    refused = await delete(dashboard, session_id)

    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "session_busy"
    assert (await get(dashboard, f"/plan/{plan_id}")).status_code == 200
    assert (await get(dashboard, f"/session/{session_id}")).json()["status"] == "executing"


async def test_another_identity_gets_404_and_deletes_nothing(dashboard):
    session_id, plans = await session_with_plans(dashboard)
    for target in (session_id, "not-a-uuid"):
        answer = await delete(dashboard, target, user="bob")
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
    assert len(await dashboard.history(session_id)) == 5
    assert (await get(dashboard, f"/plan/{plans[1]}")).status_code == 200


async def test_a_retry_with_the_same_key_gets_the_same_204(dashboard):
    session_id, _ = await session_with_plans(dashboard)
    key = {"Idempotency-Key": "delete-1"}
    first = await delete(dashboard, session_id, **key)
    again = await delete(dashboard, session_id, **key)
    assert first.status_code == again.status_code == 204
    assert again.content == b""
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_the_answers_kept_for_idempotency_keys_go_with_the_session(dashboard):
    """An answer kept for an Idempotency-Key holds what the person said and the plan: deleting
    the session removes it (a repeat was already refused; now nothing is kept either)."""
    session_id = await dashboard.new_session()
    said = {"headers": {"Idempotency-Key": "chat-1"}}
    plan_id = (await dashboard.chat(session_id, DEPLOY, **said)).json()["plan"]["plan_id"]
    decided = {"headers": {"Idempotency-Key": "reject-1"}}
    assert (await dashboard.act(plan_id, "reject", session_id, **decided)).status_code == 200

    assert (await delete(dashboard, session_id)).status_code == 204

    for key in ("chat-1", "reject-1"):
        # Nothing is kept under the key: another request with it is a new one (here a repeated
        # delete: 404), not "this key was used for a different request" (422).
        again = await delete(dashboard, session_id, **{"Idempotency-Key": key})
        assert again.status_code == 404, again.text


async def test_a_session_whose_delete_stopped_half_way_is_listed_until_it_is_finished(dashboard):
    session_id, plans = await session_with_plans(dashboard)
    record = dashboard.store.get_session(session_id)  # as a delete stopped after its mark
    dashboard.store.save(record, changes=SessionChanges(deleting=True))

    listed = (await get(dashboard, "/sessions")).json()["sessions"]
    assert [(s["session_id"], s["deleting"]) for s in listed] == [(session_id, True)]
    assert (await get(dashboard, f"/session/{session_id}")).status_code == 404
    assert (await delete(dashboard, session_id)).status_code == 204
    await assert_gone(dashboard, session_id, plans)


@pytest.mark.parametrize(
    "dashboard", [pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)], indirect=True
)
@pytest.mark.parametrize(
    "operation, nth",
    [("PutItem", 1), ("BatchWriteItem", 1), ("BatchWriteItem", 2), ("DeleteItem", 1)],
    ids=["marking", "first-batch", "links", "session-item"],
)
async def test_a_delete_stopped_by_a_store_fault_is_finished_by_a_retry(dashboard, operation, nth):
    session_id, plans = await session_with_plans(dashboard)
    # One call fails (the key's release, a DeleteItem too, goes through: the retry may run).
    injected = StoreFault(dashboard.store._client, operation, "unreachable", nth=nth, persist=False)
    failed = await delete(dashboard, session_id, **{"Idempotency-Key": "delete-2"})
    injected.remove()
    assert failed.status_code == 503, failed.text
    assert failed.json()["error"]["code"] == "store_unavailable"
    if operation == "PutItem":  # not marked: the session is as it was
        assert len(await dashboard.history(session_id)) == 5
    else:  # marked: gone for everything but the delete that finishes it
        assert (await get(dashboard, f"/session/{session_id}")).status_code == 404
        assert (await dashboard.chat(session_id, DEPLOY)).status_code == 404
        # The list still shows it, as being deleted, so the page can offer to finish the delete.
        listed = (await get(dashboard, "/sessions")).json()["sessions"]
        assert [s["deleting"] for s in listed if s["session_id"] == session_id] == [True]
        # A plan not deleted yet stays readable to its owner (and only to them) until the retry:
        # reading the session on every plan read to hide it would cost a GetItem each poll.
        plans_left = operation == "BatchWriteItem" and nth == 1
        for plan_id in plans:
            assert (await get(dashboard, f"/plan/{plan_id}")).status_code == (
                200 if plans_left else 404
            )
            assert (await get(dashboard, f"/plan/{plan_id}", user="bob")).status_code == 404

    retried = await delete(dashboard, session_id, **{"Idempotency-Key": "delete-2"})

    assert retried.status_code == 204, retried.text
    await assert_gone(dashboard, session_id, plans)
    left = dashboard.store._client.query(
        TableName=dashboard.store._table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"SESSION#{session_id}"}},
    )
    assert left["Items"] == []
