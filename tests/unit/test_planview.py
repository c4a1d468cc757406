"""How a stored plan reads in the dashboard: risk, duration in words, the checklist, and the
actions a plan's state allows."""

from datetime import UTC, datetime

import pytest

from shared.models import ExecutionUpdate
from shared.planview import (
    checklist,
    duration_in_words,
    plan_view,
    risk_level,
    step_description,
)
from shared.store.records import PlanRecord

PLAN_ID = "0b9e5c9e-4a55-4c5b-9f38-6a3c1f6b1d11"
REQUEST_ID = "6f1d2a7e-98b1-4c1f-8c39-2d2a8c3e7f21"


def task(order: int, name: str, seconds: int, **needs: int) -> dict:
    return {
        "order": order,
        "name": name,
        "work_type": "deploy_service",
        "agent_type": "infra",
        "parameters": {},
        "resource_requirements": {"estimated_duration_seconds": seconds, **needs},
        "depends_on": [order - 1] if order > 1 else [],
        "alternatives": [],
        "estimated_external_ai_calls": 0,
    }


def record(tasks: list[dict], *, state: str = "pending_approval", **plan_fields) -> PlanRecord:
    return PlanRecord(
        plan_id=PLAN_ID,
        session_id="3c0c8a0e-2b8d-4b8a-9d53-7c1d7a9a0e55",
        user_id="ops-anna",
        request_id=REQUEST_ID,
        original_request="Deploy the billing service",
        state=state,
        plan={
            "plan_id": PLAN_ID,
            "request_id": REQUEST_ID,
            "status": "pending_approval",
            "complexity_level": "simple",
            "tasks": tasks,
            **plan_fields,
        },
        created_at=datetime.now(UTC),
        expires_at=4_102_444_800,
    )


@pytest.mark.parametrize(
    ("complexity", "risk"),
    [
        ("simple", "low"),
        ("medium", "medium"),
        ("complex", "high"),
        (None, "high"),
        ("unheard-of", "high"),
    ],
)
def test_risk_level_from_complexity(complexity, risk):
    assert risk_level(complexity) == risk


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (300, "~5 minutes"),
        (0, "under a minute"),
        (45, "~45 seconds"),
        (60, "~1 minute"),
        (89, "~1 minute"),
        (3600, "~1 hour"),
        (5400, "~1 h 30 min"),
        (7200, "~2 hours"),
    ],
)
def test_duration_human_readable(seconds, words):
    assert duration_in_words(seconds) == words


def test_step_checklist_format():
    assert checklist(["Provision VM", "Deploy app", "Smoke test"], [True, False, False]) == (
        "- [x] 1. Provision VM\n- [ ] 2. Deploy app\n- [ ] 3. Smoke test"
    )


def test_plan_view_adds_up_the_tasks_in_order():
    tasks = [
        task(2, "Deploy app", 200, cpu_cores=1),
        task(1, "Provision VM", 100, cpu_cores=4, gpu_vram_mb=2048),
    ]

    view = plan_view(record(tasks, human_readable_summary="Deploy the app."), is_current=True)

    assert view.summary == "Deploy the app."
    assert view.checklist == "- [ ] 1. Provision VM\n- [ ] 2. Deploy app"
    assert [step["index"] for step in view.steps] == [1, 2]
    assert view.steps[0]["estimated_duration"] == "~2 minutes"
    assert view.estimated_duration == "~5 minutes"
    assert view.risk_level == "low"
    assert view.resource_requirements == {
        "estimated_duration_seconds": 300,
        "gpu_vram_mb": 2048,
        "cpu_cores": 4,
    }


def test_plan_view_without_a_summary_still_says_something():
    view = plan_view(record([task(1, "Provision VM", 60)]), is_current=True)

    assert view.summary.startswith("A plan of 1 step")


def test_completed_steps_are_checked():
    tasks = [task(1, "Provision VM", 60), task(2, "Deploy app", 60)]
    updates = [
        ExecutionUpdate(
            plan_id=PLAN_ID, step_index=1, step_name="Provision VM", status="completed"
        ),
        ExecutionUpdate(plan_id=PLAN_ID, step_index=2, step_name="Deploy app", status="running"),
    ]

    view = plan_view(record(tasks, state="executing"), is_current=True, updates=updates)

    assert view.checklist == "- [x] 1. Provision VM\n- [ ] 2. Deploy app"
    assert [step["checked"] for step in view.steps] == [True, False]


@pytest.mark.parametrize(
    ("state", "is_current", "approve", "modify", "abort"),
    [
        ("pending_approval", True, True, True, False),
        ("pending_approval", False, False, False, False),
        ("approving", True, False, False, True),
        ("executing", True, False, False, True),
        ("completed", True, False, False, False),
        ("rejected", True, False, False, False),
        ("superseded", False, False, False, False),
    ],
)
def test_actions_follow_the_plan_state(state, is_current, approve, modify, abort):
    view = plan_view(record([task(1, "Provision VM", 60)], state=state), is_current=is_current)

    assert (view.can_approve, view.can_modify, view.can_abort) == (approve, modify, abort)
    assert view.status == state


def test_live_status_is_shown_when_known():
    view = plan_view(
        record([task(1, "Provision VM", 60)], state="executing"), is_current=True, status="approved"
    )

    assert view.status == "approved"
    assert view.can_abort is True


def update(index: int, status: str) -> ExecutionUpdate:
    return ExecutionUpdate(plan_id=PLAN_ID, step_index=index, step_name=f"Step {index}",
                           status=status)  # fmt: skip


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("pending_approval", "pending"),
        ("approving", "pending"),
        ("executing", "pending"),  # dispatched, and no update read yet
        ("rejected", "skipped"),  # never run
        ("superseded", "skipped"),
        ("aborted", "skipped"),
    ],
)
def test_without_updates_a_step_is_pending_unless_the_plan_will_never_run(state, status):
    view = plan_view(record([task(1, "Provision VM", 60), task(2, "Deploy app", 60)], state=state),
                     is_current=True)  # fmt: skip

    assert [step["status"] for step in view.steps] == [status, status]
    assert [step["checked"] for step in view.steps] == [False, False]


def test_a_running_plan_shows_each_steps_update():
    tasks = [task(1, "Provision VM", 60), task(2, "Deploy app", 60), task(3, "Smoke test", 60)]
    updates = [update(1, "completed"), update(2, "running"), update(3, "pending")]

    view = plan_view(record(tasks, state="executing"), is_current=True, updates=updates)

    assert [step["status"] for step in view.steps] == ["completed", "running", "pending"]


def test_a_finished_run_shows_how_each_step_ended_from_its_kept_steps():
    tasks = [task(1, "Provision VM", 60), task(2, "Deploy app", 60)]
    plan = record(tasks, state="failed").model_copy(
        update={"final_steps": [update(1, "completed"), update(2, "failed")]}
    )

    view = plan_view(plan, is_current=True)

    assert [step["status"] for step in view.steps] == ["completed", "failed"]
    assert view.checklist == "- [x] 1. Provision VM\n- [ ] 2. Deploy app"


def test_the_existing_step_fields_are_kept():
    view = plan_view(record([task(1, "Provision VM", 60), task(2, "Deploy app", 90)]),
                     is_current=True)  # fmt: skip

    assert view.steps[1] == {
        "index": 2,
        "name": "Deploy app",
        "work_type": "deploy_service",
        "agent_type": "infra",
        "depends_on": [1],
        "estimated_duration": "~2 minutes",
        "checked": False,
        "status": "pending",
        "description": "deploy_service (infra agent)",
    }


@pytest.mark.parametrize(
    ("fields", "line"),
    [
        ({"work_type": "build", "agent_type": "code", "parameters": {"service": "api"}},
         "build (code agent): service=api"),
        ({"work_type": "deploy", "agent_type": "infra",
          "parameters": {"service": "web", "environment": "staging"}},
         "deploy (infra agent): service=web, environment=staging"),
        ({"work_type": "test", "agent_type": "code", "parameters": {"targets": ["api", "web"]}},
         "test (code agent): targets=api,web"),
        ({"work_type": "scale", "agent_type": "infra", "parameters": {"replicas": 3,
          "limits": {"cpu": 2}}},
         'scale (infra agent): replicas=3, limits={"cpu":2}'),
        ({"work_type": "notify", "parameters": {"text": "line one\nline two"}},
         "notify: text=line one line two"),
        ({"name": "Something"}, "step"),
    ],
)  # fmt: skip
def test_a_step_is_described_in_one_line(fields, line):
    assert step_description(fields) == line


def test_a_long_description_is_cut_to_120_characters():
    line = step_description(
        {"work_type": "migrate", "agent_type": "infra", "parameters": {"tables": ["t"] * 200}}
    )

    assert len(line) == 120
    assert line.startswith("migrate (infra agent): tables=t,t,")
    assert line.endswith("…")
