"""GET /api/v1/status/{task_id} and POST /api/v1/cancel/{task_id}: progression over time."""

import asyncio
import time
import uuid
from datetime import datetime

import pytest

TASK_KEYS = {"task_id", "status", "progress", "output", "error_message", "created_at", "updated_at"}
THREE_STEPS = "build, test and deploy the api"


async def statuses(api, task_ids):
    return [(await api.task(task_id))["status"] for task_id in task_ids]


async def test_tasks_run_one_after_another(api, clock):
    await api.configure(task_seconds=10)
    ids = await api.task_ids_for(THREE_STEPS)
    first = await api.task(ids[0])
    assert set(first) == TASK_KEYS
    assert first["status"] == "executing" and first["progress"] == 0
    assert await statuses(api, ids) == ["executing", "pending", "pending"]
    clock.advance(5)
    assert (await api.task(ids[0]))["progress"] == 50
    assert (await api.task(ids[1]))["progress"] == 0
    clock.advance(5)
    assert await statuses(api, ids) == ["completed", "executing", "pending"]
    clock.advance(10)
    assert await statuses(api, ids) == ["completed", "completed", "executing"]
    clock.advance(10)
    done = [await api.task(task_id) for task_id in ids]
    assert [t["status"] for t in done] == ["completed"] * 3
    assert [t["progress"] for t in done] == [100] * 3
    assert all(t["output"] is not None and t["error_message"] is None for t in done)
    assert datetime.fromisoformat(done[2]["updated_at"]) > datetime.fromisoformat(
        done[2]["created_at"]
    )


async def test_tasks_complete_in_real_time(api, store):
    store.clock = time.time
    await api.configure(task_seconds=0.1)
    ids = await api.task_ids_for("build and deploy the api")
    assert (await api.task(ids[1]))["status"] == "pending"
    await asyncio.sleep(0.3)
    assert await statuses(api, ids) == ["completed", "completed"]


async def test_task_seconds_comes_from_the_environment(api, clock, monkeypatch):
    monkeypatch.setenv("STANDIN_TASK_SECONDS", "4")
    ids = await api.task_ids_for("build and deploy the api")
    clock.advance(3.9)
    assert await statuses(api, ids) == ["executing", "pending"]
    clock.advance(0.2)
    assert await statuses(api, ids) == ["completed", "executing"]


async def test_default_task_seconds_is_two(api, clock, monkeypatch):
    monkeypatch.delenv("STANDIN_TASK_SECONDS", raising=False)
    assert (await api.configure())["task_seconds"] == 2.0
    ids = await api.task_ids_for("build and deploy the api")
    clock.advance(1.9)
    assert await statuses(api, ids) == ["executing", "pending"]
    clock.advance(0.2)
    assert await statuses(api, ids) == ["completed", "executing"]


async def test_failing_step_ends_failed_and_the_run_goes_on(api, clock):
    await api.configure(task_seconds=10)
    ids = await api.task_ids_for("build the api, then a failing step, then deploy it")
    clock.advance(30)
    tasks = [await api.task(task_id) for task_id in ids]
    assert [t["status"] for t in tasks] == ["completed", "failed", "completed"]
    assert tasks[1]["error_message"]
    assert tasks[1]["output"] is None
    assert tasks[1]["progress"] < 100


async def test_cancel_a_running_task(api, client, clock):
    await api.configure(task_seconds=10)
    ids = await api.task_ids_for(THREE_STEPS)
    clock.advance(3)
    response = await client.post(f"/api/v1/cancel/{ids[0]}")
    assert response.status_code == 200
    assert response.json() == {"task_id": ids[0], "status": "cancelled"}
    cancelled = await api.task(ids[0])
    assert cancelled["status"] == "cancelled" and cancelled["progress"] == 30
    # The next task starts when the cancelled one stopped.
    assert await statuses(api, ids) == ["cancelled", "executing", "pending"]
    clock.advance(100)
    assert await statuses(api, ids) == ["cancelled", "completed", "completed"]


async def test_cancel_a_pending_task(api, client, clock):
    await api.configure(task_seconds=10)
    ids = await api.task_ids_for(THREE_STEPS)
    for task_id in ids[1:]:
        assert (await client.post(f"/api/v1/cancel/{task_id}")).status_code == 200
    clock.advance(100)
    assert await statuses(api, ids) == ["completed", "cancelled", "cancelled"]


@pytest.mark.parametrize("text", [THREE_STEPS, "build the api, then a failing step"])
async def test_cancel_a_finished_task_is_400(api, client, clock, text):
    await api.configure(task_seconds=1)
    ids = await api.task_ids_for(text)
    clock.advance(10)
    response = await client.post(f"/api/v1/cancel/{ids[-1]}")
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)


async def test_cancel_twice_is_400(api, client):
    ids = await api.task_ids_for(THREE_STEPS)
    assert (await client.post(f"/api/v1/cancel/{ids[0]}")).status_code == 200
    again = await client.post(f"/api/v1/cancel/{ids[0]}")
    assert again.status_code == 400


@pytest.mark.parametrize("method", ["get_status", "cancel"])
async def test_non_uuid_task_id_is_422(client, method):
    if method == "cancel":
        response = await client.post("/api/v1/cancel/not-a-uuid")
    else:
        response = await client.get("/api/v1/status/not-a-uuid")
    assert response.status_code == 422


async def test_unknown_task_is_404(client):
    status = await client.get(f"/api/v1/status/{uuid.uuid4()}")
    cancel = await client.post(f"/api/v1/cancel/{uuid.uuid4()}")
    assert status.status_code == cancel.status_code == 404
    assert status.json() == cancel.json() == {"detail": "Task not found"}
