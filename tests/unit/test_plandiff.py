"""The diff between a revision and the plan it replaces (shared/plandiff.py), over plans shaped as
the orchestrator returns them, awkward ones included."""

import json
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
        "env: staging -> prod, az: none -> 3, duration ~5 minutes -> ~10 minutes); "
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
    slower = {
        **DEPLOY,
        "resource_requirements": {"estimated_duration_seconds": 310, "cpu_cores": 1},
    }
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


def test_a_step_of_the_same_work_type_aimed_elsewhere_is_removed_and_added_not_renamed():
    api = task(2, "Deploy api", "deployment", 300, service="api", env="staging")
    billing = task(2, "Deploy billing", "deployment", 300, service="billing", env="production")
    diff = plan_diff(plan(BACKUP, api), plan(BACKUP, billing))
    assert ([s.name for s in diff.removed], [s.name for s in diff.added]) == (
        ["Deploy api"],
        ["Deploy billing"],
    )
    assert diff.changed == []
    assert diff_in_words(2, diff) == (
        "Revision 2: added 1 step (Deploy billing); removed 1 step (Deploy api)."
    )


def test_a_renamed_step_keeping_most_of_its_parameters_is_one_change():
    before = task(2, "Deploy api", "deployment", 300, service="api", region="eu", env="staging")
    after = task(2, "Roll out api", "deployment", 300, service="api", region="eu", env="prod")
    (change,) = plan_diff(plan(BACKUP, before), plan(BACKUP, after)).changed
    assert change.changes["name"] == ValueChange(before="Deploy api", after="Roll out api")


def test_every_task_field_the_orchestrator_returns_is_compared():
    before = {**DEPLOY, "depends_on": [1, 2], "alternatives": [], "estimated_external_ai_calls": 0}
    after = {
        **DEPLOY,
        "agent_type": "desktop",
        "depends_on": [1],
        "alternatives": ["canary release"],
        "estimated_external_ai_calls": 2,
        "resource_requirements": {"estimated_duration_seconds": 300, "cpu_cores": 4},
    }
    diff = plan_diff(plan(BACKUP, BUILD, before), plan(BACKUP, BUILD, after, revision=2))
    (change,) = diff.changed
    assert change.changes == {
        "agent_type": ValueChange(before="infra", after="desktop"),
        "resource_requirements": ValueChange(before={"cpu_cores": 1}, after={"cpu_cores": 4}),
        "depends_on": ValueChange(
            before=["Back up data", "Build artifacts"], after=["Back up data"]
        ),
        "alternatives": ValueChange(before=None, after=["canary release"]),
        "estimated_external_ai_calls": ValueChange(before=None, after=2),
    }
    words = diff_in_words(2, diff)
    assert "the same" not in words
    assert words == (
        "Revision 2: changed 1 step (Deploy service: agent type infra -> desktop, "
        "cpu_cores: 1 -> 4, depends on Back up data, Build artifacts -> Back up data, "
        "alternatives none -> canary release, estimated external ai calls none -> 2)."
    )


def test_dependencies_renumbered_by_an_insertion_are_the_same_dependencies():
    deploy = {**DEPLOY, "depends_on": [2]}
    migrate = task(2, "Run database migration", "database_migration", 300)
    after = plan(BACKUP, migrate, {**BUILD, "order": 3}, {**deploy, "order": 4, "depends_on": [3]})
    assert plan_diff(plan(BACKUP, BUILD, deploy), after).changed == []


def test_the_reply_gives_parameter_values_shortened_when_long():
    long_script = "echo " + "x" * 500
    before = plan(task(1, "Deploy", "deployment", 60, env="staging", script="echo hi"))
    after = plan(task(1, "Deploy", "deployment", 60, env="production", script=long_script))
    words = diff_in_words(2, plan_diff(before, after))
    assert words.startswith("Revision 2: changed 1 step (Deploy: env: staging -> production, ")
    assert "script: echo hi -> echo xxxxxxxxx" in words and len(words) < 200


def _long_plan(mark: str, steps: int = 60, keys: int = 30):
    """Every step with many parameters, each a long script: a plan of about 2 MB of JSON."""
    return [
        task(
            i, f"Step {i} " + "n" * 300, "build", 60, **{f"p{k}": mark * 1000 for k in range(keys)}
        )
        for i in range(1, steps + 1)
    ]


def test_a_diff_of_long_plans_stays_small_and_counts_what_it_leaves_out():
    before, after = plan(*_long_plan("a")), plan(*_long_plan("b"), revision=2)
    diff = plan_diff(before, after)
    assert len(diff.model_dump_json().encode()) < 50_000
    assert diff.changed and len(diff.changed) + diff.more_changed == 60
    first = diff.changed[0].changes["parameters"]
    assert first.more_keys == 30 - len(first.after)
    # A long value is a preview that still tells the two apart.
    assert first.before["p0"].startswith("aaaa") and first.after["p0"].startswith("bbbb")
    assert (
        "30,000 characters" not in first.before["p0"] and "1,000 characters" in first.before["p0"]
    )
    assert first.before["p0"][-12:] != first.after["p0"][-12:]
    assert "changed 60 steps (" in diff_in_words(2, diff)
    assert diff_in_words(2, diff).endswith(f"and {60 - 5} more).")


def test_many_added_steps_are_capped_and_counted():
    diff = plan_diff(
        plan(BACKUP), plan(BACKUP, *[task(i, f"S{i}", "b", 60) for i in range(2, 400)])
    )
    assert len(diff.added) + diff.more_added == 398 and diff.more_added > 0
    assert "added 398 steps (S2, S3, S4, S5, S6, and 393 more)" in diff_in_words(2, diff)
    assert len(json.dumps(diff.model_dump(mode="json"))) < 50_000
