"""The diff between a revision and the plan it replaces (shared/plandiff.py), over plans shaped as
the orchestrator returns them, awkward ones included."""

import uuid

from shared.models import PlanDiff, TextChange, ValueChange
from shared.plandiff import diff_in_words, plan_diff
from shared.store.records import PlanRecord, utcnow


def task(order: int, name: str, work_type: str = "deployment", seconds: int = 300, **parameters):
    return {
        "order": order,
        "name": name,
        "work_type": work_type,
        "agent_type": "infra",
        "parameters": parameters or {"targets": ["api"]},
        "resource_requirements": {"estimated_duration_seconds": seconds, "cpu_cores": 1},
    }


def plan(*tasks, complexity: str | None = "simple", revision: int = 1, **extra) -> PlanRecord:
    body = {"tasks": list(tasks), **extra}
    if complexity is not None:
        body["complexity_level"] = complexity
    return PlanRecord(
        plan_id=str(uuid.uuid4()),
        session_id="s",
        user_id="alice",
        request_id=str(uuid.uuid4()),
        original_request="deploy the api",
        revision=revision,
        plan=body,
        created_at=utcnow(),
        expires_at=0,
    )


BACKUP = task(1, "Back up data", "backup", 120)
BUILD = task(2, "Build artifacts", "build", 240)
DEPLOY = task(3, "Deploy service", "deployment", 300)


def test_an_identical_plan_has_an_empty_diff_that_says_so():
    before = plan(BACKUP, BUILD, DEPLOY)
    diff = plan_diff(before, plan(BACKUP, BUILD, DEPLOY, revision=2))
    assert diff == PlanDiff(previous_plan_id=before.plan_id, previous_revision=1)
    assert diff_in_words(2, diff) == "Revision 2: the same steps, duration and risk as revision 1."


def test_a_step_inserted_in_the_middle_is_added_and_shifts_nothing_into_a_change():
    # The orchestrator renumbers: build and deploy come back with orders 3 and 4.
    migrate = task(2, "Run database migration", "database_migration", 300)
    after = plan(BACKUP, migrate, {**BUILD, "order": 3}, {**DEPLOY, "order": 4}, revision=2)
    diff = plan_diff(plan(BACKUP, BUILD, DEPLOY), after)
    assert [(s.name, s.work_type, s.estimated_duration) for s in diff.added] == [
        ("Run database migration", "database_migration", "~5 minutes")
    ]
    assert diff.removed == [] and diff.changed == []
    assert diff.duration == TextChange(before="~11 minutes", after="~16 minutes")
    assert diff_in_words(2, diff) == (
        "Revision 2: added 1 step (Run database migration); duration ~11 minutes -> ~16 minutes."
    )


def test_removed_steps_are_listed_in_the_old_plans_order():
    diff = plan_diff(plan(BACKUP, BUILD, DEPLOY), plan({**DEPLOY, "order": 1}))
    assert [s.name for s in diff.removed] == ["Back up data", "Build artifacts"]
    assert diff.added == [] and diff.changed == []
    assert diff_in_words(2, diff).startswith(
        "Revision 2: removed 2 steps (Back up data, Build artifacts); duration"
    )


def test_a_changed_step_names_only_what_changed():
    before = plan(BACKUP, task(2, "Deploy service", "deployment", 300, env="staging", replicas=2))
    after = plan(BACKUP, task(2, "Deploy service", "rollout", 600, env="prod", replicas=2, az=3))
    (change,) = plan_diff(before, after).changed
    assert change.name == "Deploy service"
    assert change.changes == {
        "work_type": ValueChange(before="deployment", after="rollout"),
        # Only the keys that differ: az was added, env changed, replicas is as it was.
        "parameters": ValueChange(before={"env": "staging"}, after={"env": "prod", "az": 3}),
        "estimated_duration": ValueChange(before="~5 minutes", after="~10 minutes"),
    }
    assert diff_in_words(2, plan_diff(before, after)) == (
        "Revision 2: changed 1 step (Deploy service: work type deployment -> rollout, "
        'parameters "env", "az", duration ~5 minutes -> ~10 minutes); '
        "duration ~7 minutes -> ~12 minutes."
    )


def test_a_renamed_step_of_the_same_work_type_is_one_change_not_a_removal_and_an_addition():
    renamed = task(3, "Deploy service (blue-green)", "deployment", 300)
    (change,) = plan_diff(plan(BACKUP, BUILD, DEPLOY), plan(BACKUP, BUILD, renamed)).changed
    assert change.name == "Deploy service (blue-green)"
    assert change.changes == {
        "name": ValueChange(before="Deploy service", after="Deploy service (blue-green)")
    }


def test_another_kind_of_step_in_the_same_place_is_removed_and_added():
    rollback = task(3, "Roll back release", "rollback", 300)
    diff = plan_diff(plan(BACKUP, BUILD, DEPLOY), plan(BACKUP, BUILD, rollback))
    assert [s.name for s in diff.removed] == ["Deploy service"]
    assert [s.name for s in diff.added] == ["Roll back release"]
    assert diff.changed == []


def test_a_reordered_step_is_the_one_told_as_moved():
    # Deploy moved from last to first; backup and build only shifted along.
    after = plan({**DEPLOY, "order": 1}, {**BACKUP, "order": 2}, {**BUILD, "order": 3})
    diff = plan_diff(plan(BACKUP, BUILD, DEPLOY), after)
    (change,) = diff.changed
    assert (change.name, change.changes) == (
        "Deploy service",
        {"position": ValueChange(before=3, after=1)},
    )
    assert diff.added == diff.removed == [] and diff.duration is None
    assert diff_in_words(2, diff) == (
        "Revision 2: changed 1 step (Deploy service: moved from step 3 to step 1)."
    )


def test_tasks_are_compared_in_their_order_not_as_listed():
    listed_backwards = plan({**DEPLOY}, {**BUILD}, {**BACKUP})
    assert plan_diff(plan(BACKUP, BUILD, DEPLOY), listed_backwards).changed == []


def test_risk_and_duration_before_and_after():
    longer = {**DEPLOY, "resource_requirements": {"estimated_duration_seconds": 3900}}
    diff = plan_diff(
        plan(BACKUP, DEPLOY, complexity="simple"), plan(BACKUP, longer, complexity="complex")
    )
    assert diff.risk == TextChange(before="low", after="high")
    assert diff.duration == TextChange(before="~7 minutes", after="~1 h 7 min")
    words = diff_in_words(3, diff)
    assert words.endswith("; duration ~7 minutes -> ~1 h 7 min; risk low -> high.")


def test_a_few_seconds_that_read_the_same_are_no_change():
    slower = {**DEPLOY, "resource_requirements": {"estimated_duration_seconds": 310}}
    diff = plan_diff(plan(BACKUP, DEPLOY), plan(BACKUP, slower))
    assert diff.changed == [] and diff.duration is None


def test_repeated_names_pair_in_turn():
    first = task(1, "Deploy service", "deployment", 300, region="eu")
    second = task(2, "Deploy service", "deployment", 300, region="us")
    changed_second = task(2, "Deploy service", "deployment", 300, region="ap")
    (change,) = plan_diff(plan(first, second), plan(first, changed_second)).changed
    assert change.changes == {
        "parameters": ValueChange(before={"region": "us"}, after={"region": "ap"})
    }


def test_what_the_orchestrator_left_out_reads_as_the_plan_view_shows_it():
    # No work type, parameters or resource requirements, no complexity, an empty name: the plan
    # view shows a step "Step 2" of under a minute and high risk; the diff compares the same.
    bare = {"order": 2, "name": ""}
    before = plan(BACKUP, bare, complexity=None)
    diff = plan_diff(before, plan(BACKUP, {"order": 2, "name": "", "parameters": None}))
    assert diff == PlanDiff(
        previous_plan_id=before.plan_id,
        previous_revision=1,
        risk=TextChange(before="high", after="low"),
    )
    added = plan_diff(before, plan(BACKUP, bare, {"order": 3, "name": "Notify"}, complexity=None))
    assert [(s.name, s.work_type, s.estimated_duration) for s in added.added] == [
        ("Notify", None, "under a minute")
    ]
    # A stored plan with no tasks at all: everything was removed.
    empty = plan_diff(before, plan(complexity=None))
    assert [s.name for s in empty.removed] == ["Back up data", "Step 2"]
    assert empty.duration == TextChange(before="~2 minutes", after="under a minute")


def test_a_work_type_change_on_a_step_of_the_same_name():
    diff = plan_diff(plan(BACKUP), plan({**BACKUP, "work_type": None}))
    (change,) = diff.changed
    assert change.changes == {"work_type": ValueChange(before="backup", after=None)}
    assert diff_in_words(2, diff) == (
        "Revision 2: changed 1 step (Back up data: work type backup -> none)."
    )


def test_the_reply_names_a_few_steps_and_counts_the_rest():
    many = [task(i, f"Step number {i}", "build", 60) for i in range(1, 9)]
    diff = plan_diff(plan(BACKUP), plan(BACKUP, *[{**t, "order": t["order"] + 1} for t in many]))
    assert len(diff.added) == 8
    assert (
        "added 8 steps (Step number 1, Step number 2, Step number 3, Step number 4, "
        "Step number 5, and 3 more)" in diff_in_words(2, diff)
    )


def test_the_diff_names_the_previous_revision():
    before = plan(BACKUP, revision=4)
    diff = plan_diff(before, plan(BACKUP, BUILD, revision=5))
    assert (diff.previous_plan_id, diff.previous_revision) == (before.plan_id, 4)
    assert diff_in_words(5, diff).startswith("Revision 5: added 1 step (Build artifacts)")
