"""The /_standin control endpoints: call counters, reset, config and the answer delay."""

import time
import uuid

KINDS = {"request", "plan", "approve", "plan_status", "task_status", "cancel"}


async def calls(client):
    response = await client.get("/_standin/calls")
    assert response.status_code == 200
    return response.json()


async def test_counters_start_at_zero(client):
    assert await calls(client) == dict.fromkeys(KINDS, 0)


async def test_every_call_is_counted_including_failed_ones(api, client):
    plan = await api.plan_for("build and deploy the api")  # 1 request, 1 plan
    ids = [
        d["task_id"]
        for d in (await api.approve(plan["plan_id"]))["dispatch_result"]["dispatched_tasks"]
    ]  # 1 approve
    await api.approve(plan["plan_id"])  # approve again: 2
    await client.post("/api/v1/request", json={"request": "", "user_id": "u"})  # 400
    await client.post("/api/v1/request", json={})  # 422
    await client.get(f"/api/v1/plan/{uuid.uuid4()}")  # 404
    await client.post(f"/api/v1/plan/{uuid.uuid4()}/approve", json={"approved": True})  # 422
    await client.get(f"/api/v1/plan/{plan['plan_id']}/status")
    await client.get(f"/api/v1/plan/{uuid.uuid4()}/status")  # 404
    await api.task(ids[0])
    await client.get("/api/v1/status/not-a-uuid")  # 422
    await client.post(f"/api/v1/cancel/{ids[0]}")
    await client.post(f"/api/v1/cancel/{ids[0]}")  # 400
    await client.post("/api/v1/cancel/nope")  # 422
    await client.get("/health")  # not counted
    assert await calls(client) == {
        "request": 3,
        "plan": 2,
        "approve": 3,
        "plan_status": 2,
        "task_status": 2,
        "cancel": 3,
    }


async def test_reset_clears_state_counts_and_config(api, client):
    await api.configure(capacity=False, task_seconds=0.5, delay_seconds=0.01)
    plan = await api.plan_for("build and deploy the api")
    response = await client.post("/_standin/reset")
    assert response.status_code == 200
    assert await calls(client) == dict.fromkeys(KINDS, 0)
    assert (await client.get(f"/api/v1/plan/{plan['plan_id']}/status")).status_code == 404
    assert (await client.get(f"/api/v1/plan/{plan['request_id']}")).status_code == 404
    config = (await client.get("/_standin/config")).json()
    assert config["capacity"] is True and config["delay_seconds"] == 0


async def test_config_changes_only_what_is_sent(api):
    assert (await api.configure(capacity=False))["capacity"] is False
    config = await api.configure(task_seconds=0.25)
    assert config == {"capacity": False, "task_seconds": 0.25, "delay_seconds": 0.0}


async def test_config_rejects_negative_values(client):
    response = await client.post("/_standin/config", json={"delay_seconds": -1})
    assert response.status_code == 422


async def test_delay_applies_to_api_answers_only(api, client):
    await api.configure(delay_seconds=0.2)
    started = time.perf_counter()
    await client.get("/health")
    await client.get("/_standin/calls")
    assert time.perf_counter() - started < 0.15
    started = time.perf_counter()
    body = await api.submit("deploy the billing api")
    assert time.perf_counter() - started >= 0.2
    # The work was done before the delayed answer: the request exists.
    assert (await client.get(f"/api/v1/plan/{body['request_id']}")).status_code == 200
