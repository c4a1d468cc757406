"""POST /api/v1/plan/{plan_id}/approve: dispatch, rejection, capacity, undispatchable tasks."""

import uuid

DISPATCHED_KEYS = {
    "task_id",
    "trace_id",
    "request_id",
    "status",
    "agent_id",
    "agent_type",
    "routing_score",
    "selection_reason",
}


async def plan_status(client, plan_id):
    response = await client.get(f"/api/v1/plan/{plan_id}/status")
    assert response.status_code == 200
    return response.json()


async def test_approval_dispatches_every_task_in_order(api, client):
    plan = await api.plan_for("build, test and deploy the api")
    body = await api.approve(plan["plan_id"])
    assert body["plan_id"] == plan["plan_id"]
    assert body["status"] == "approved"
    assert body["dispatch_started"] is True
    result = body["dispatch_result"]
    assert result["plan_id"] == plan["plan_id"]
    assert result["status"] == "executing"
    dispatched = result["dispatched_tasks"]
    assert len(dispatched) == len(plan["tasks"])
    for entry, task in zip(dispatched, plan["tasks"], strict=True):
        assert set(entry) == DISPATCHED_KEYS
        uuid.UUID(entry["task_id"])
        assert entry["status"] == "pending"
        assert entry["request_id"] == plan["request_id"]
        assert entry["agent_type"] == task["agent_type"]
    status = await plan_status(client, plan["plan_id"])
    assert status["status"] == "executing"
    assert status["approved_at"] is not None


async def test_approval_is_not_idempotent(api):
    plan = await api.plan_for("build, test and deploy the api")
    first = await api.approve(plan["plan_id"])
    second = await api.approve(plan["plan_id"])
    first_ids = {d["task_id"] for d in first["dispatch_result"]["dispatched_tasks"]}
    second_ids = {d["task_id"] for d in second["dispatch_result"]["dispatched_tasks"]}
    assert len(first_ids) == len(second_ids) == 3
    assert first_ids.isdisjoint(second_ids)
    # Both runs exist and can be queried.
    for task_id in first_ids | second_ids:
        assert (await api.task(task_id))["task_id"] == task_id


async def test_rejection(api, client):
    plan = await api.plan_for("build and deploy the api")
    body = await api.approve(plan["plan_id"], approved=False)
    assert body == {"plan_id": plan["plan_id"], "status": "rejected"}
    assert (await plan_status(client, plan["plan_id"]))["status"] == "rejected"


async def test_unknown_plan_is_404(client):
    response = await client.post(
        f"/api/v1/plan/{uuid.uuid4()}/approve", json={"approved": True, "user_id": "u"}
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Plan not found"}


async def test_user_id_is_required(api, client):
    plan = await api.plan_for("build and deploy the api")
    response = await client.post(f"/api/v1/plan/{plan['plan_id']}/approve", json={"approved": True})
    assert response.status_code == 422


async def test_notes_are_accepted(api, client):
    plan = await api.plan_for("build and deploy the api")
    response = await client.post(
        f"/api/v1/plan/{plan['plan_id']}/approve",
        json={"approved": True, "user_id": "u", "notes": "ship it"},
    )
    assert response.status_code == 200


async def test_no_capacity_pauses_the_dispatch(api, client):
    await api.configure(capacity=False)
    plan = await api.plan_for("build, test and deploy the api")
    body = await api.approve(plan["plan_id"])
    assert body["status"] == "approved"
    assert body["dispatch_started"] is True
    result = body["dispatch_result"]
    assert set(result) == {"plan_id", "status", "paused_tasks", "message"}
    assert result["status"] == "paused"
    assert result["paused_tasks"] == 3
    assert result["message"]
    assert (await plan_status(client, plan["plan_id"]))["status"] == "approved"
    await api.configure(capacity=True)
    again = await api.approve(plan["plan_id"])
    assert again["dispatch_result"]["status"] == "executing"


async def test_undispatchable_task_is_reported_in_place(api):
    plan = await api.plan_for("build the api, then an undispatchable step, then deploy it")
    names = [t["name"] for t in plan["tasks"]]
    assert len(names) == 3 and "undispatchable" in names[1].lower()
    dispatched = (await api.approve(plan["plan_id"]))["dispatch_result"]["dispatched_tasks"]
    assert set(dispatched[1]) == {"name", "work_type", "error"}
    assert dispatched[1]["name"] == names[1]
    assert dispatched[1]["work_type"] == plan["tasks"][1]["work_type"]
    assert dispatched[1]["error"]
    assert set(dispatched[0]) == set(dispatched[2]) == DISPATCHED_KEYS
