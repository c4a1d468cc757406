"""GET /api/v1/plan/{request_id} and GET /api/v1/plan/{plan_id}/status."""

import uuid

import pytest

WORK_TASK_KEYS = {
    "order",
    "name",
    "work_type",
    "agent_type",
    "parameters",
    "resource_requirements",
    "depends_on",
    "alternatives",
    "estimated_external_ai_calls",
}


def without_ids(plan):
    return {k: v for k, v in plan.items() if k not in ("plan_id", "request_id")}


async def test_plan_has_the_documented_shape(api):
    plan = await api.plan_for("back up the database, then migrate it and deploy the api")
    assert set(plan) == {
        "plan_id",
        "request_id",
        "status",
        "human_readable_summary",
        "complexity_level",
        "will_use_external_ai",
        "tasks",
    }
    uuid.UUID(plan["plan_id"])
    assert plan["status"] == "pending_approval"
    assert plan["human_readable_summary"]
    assert [t["order"] for t in plan["tasks"]] == [1, 2, 3]
    for task in plan["tasks"]:
        assert set(task) == WORK_TASK_KEYS
        assert task["agent_type"] in {"infra", "code", "research", "desktop"}
        assert isinstance(task["parameters"], dict)
        requirements = task["resource_requirements"]
        assert set(requirements) == {"estimated_duration_seconds", "gpu_vram_mb", "cpu_cores"}
        assert all(isinstance(v, int) for v in requirements.values())
        assert task["depends_on"] == ([] if task["order"] == 1 else [task["order"] - 1])
        assert isinstance(task["alternatives"], list)
        assert isinstance(task["estimated_external_ai_calls"], int)
    assert [t["work_type"] for t in plan["tasks"]] == ["backup", "database_migration", "deployment"]
    assert plan["will_use_external_ai"] is False


async def test_same_text_gives_the_same_plan(api):
    text = "build the frontend, run the tests and deploy it"
    first = await api.plan_for(text)
    second = await api.plan_for(text)
    assert without_ids(first) == without_ids(second)
    assert first["request_id"] != second["request_id"]


async def test_every_plan_call_makes_a_new_plan(api):
    submitted = await api.submit("build the frontend and deploy it")
    first = await api.plan(submitted["request_id"])
    second = await api.plan(submitted["request_id"])
    assert first["plan_id"] != second["plan_id"]
    assert first["request_id"] == second["request_id"] == submitted["request_id"]
    assert first["tasks"] == second["tasks"]


@pytest.mark.parametrize(
    ("text", "count", "level"),
    [
        ("please tidy the garden", 1, "simple"),
        ("build and deploy the api", 2, "simple"),
        ("build, test and deploy the api", 3, "medium"),
        ("back up, migrate, test and deploy the api", 4, "medium"),
        ("back up, migrate, build, test and deploy the api", 5, "complex"),
        ("back up, migrate, build, test, deploy, scale and monitor the api", 6, "complex"),
    ],
)
async def test_task_count_and_complexity(api, text, count, level):
    plan = await api.plan_for(text)
    assert len(plan["tasks"]) == count
    assert plan["complexity_level"] == level


async def test_word_order_does_not_change_task_order(api):
    plan = await api.plan_for("deploy the api after you test it and build it")
    assert [t["work_type"] for t in plan["tasks"]] == ["build", "test", "deployment"]


async def test_research_uses_external_ai(api):
    plan = await api.plan_for("research caching options for the api")
    assert plan["tasks"][0]["agent_type"] == "research"
    assert plan["will_use_external_ai"] is True


async def test_modification_plan_reflects_the_new_words(api):
    original = await api.plan_for("deploy the billing api")
    text = f"[Modify plan {original['plan_id']}] also add monitoring. Original request: "
    modified = await api.plan_for(text + "deploy the billing api")
    assert [t["work_type"] for t in original["tasks"]] == ["deployment"]
    assert [t["work_type"] for t in modified["tasks"]] == ["deployment", "monitoring"]
    assert modified["plan_id"] != original["plan_id"]
    assert original["plan_id"] in modified["human_readable_summary"]


async def test_modification_can_drop_a_step(api):
    original = await api.plan_for("build, test and deploy the api")
    text = f"[Modify plan {original['plan_id']}] without tests please. Original: "
    modified = await api.plan_for(text + "build, test and deploy the api")
    assert [t["work_type"] for t in modified["tasks"]] == ["build", "deployment"]


async def test_modification_with_only_new_words(api):
    plan = await api.plan_for("[Modify plan 1234] also add monitoring")
    assert [t["name"] for t in plan["tasks"]] == ["Set up monitoring"]


async def test_plan_fail_marker(api):
    submitted = await api.submit("[plan-fail] deploy the billing api")
    assert submitted["status"] == "parsing_complete"
    body = await api.plan(submitted["request_id"])
    assert body["status"] == "planning_failed"
    assert body["error"]
    assert "plan_id" not in body


async def test_unknown_request_is_404(client):
    response = await client.get(f"/api/v1/plan/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Request not found"}


async def test_plan_status_of_a_new_plan(api, client):
    plan = await api.plan_for("build and deploy the api")
    response = await client.get(f"/api/v1/plan/{plan['plan_id']}/status")
    assert response.status_code == 200
    body = response.json()
    assert body["plan_id"] == plan["plan_id"]
    assert body["request_id"] == plan["request_id"]
    assert body["status"] == "pending_approval"
    assert body["tasks"] == [
        {"order": t["order"], "name": t["name"], "work_type": t["work_type"]} for t in plan["tasks"]
    ]
    assert body["complexity_level"] == plan["complexity_level"]
    assert body["will_use_external_ai"] == plan["will_use_external_ai"]
    assert body["created_at"]
    assert body["approved_at"] is None


async def test_plan_status_of_unknown_plan_is_404(client):
    response = await client.get(f"/api/v1/plan/{uuid.uuid4()}/status")
    assert response.status_code == 404
    assert response.json() == {"detail": "Plan not found"}
