"""A revision is stored with its link and its diff, and keeps them through later plan updates; a
record over DynamoDB's 400 KB item is refused, told as what it was and how large: on the
in-memory store (which checks the same limit), moto and DynamoDB Local."""

import uuid

import pytest

from shared.errors import TooLargeToStore
from shared.models import PlanDiff, StepChange, StepSummary, TextChange, ValueChange
from shared.plandiff import plan_diff
from shared.store.records import PlanChanges, PlanRecord, SessionChanges, utcnow


def _plan(session, **fields) -> PlanRecord:
    return PlanRecord(
        plan_id=str(uuid.uuid4()),
        session_id=session.session_id,
        user_id=session.user_id,
        request_id=str(uuid.uuid4()),
        original_request="deploy web to staging",
        plan={"tasks": [{"order": 1, "name": "Deploy service", "parameters": {"env": 1.5}}]},
        created_at=utcnow(),
        expires_at=int(utcnow().timestamp()) + 3600,
        **fields,
    )


def _save_revision(store, session, first: PlanRecord, second: PlanRecord):
    """Store `second` as the revision that replaces `first`, as a modification does."""
    session, _ = store.save(
        session,
        changes=SessionChanges(
            current_plan_id=second.plan_id, current_plan_created_at=second.created_at
        ),
        new_plan=second,
        plan_update=(store.get_plan(first.plan_id), PlanChanges(state="superseded")),
    )
    return session


def test_a_revision_keeps_its_link_and_diff_through_updates(store):
    session = store.create_session("alice")
    first = _plan(session)
    session, _ = store.save(session, new_plan=first)
    diff = PlanDiff(
        previous_plan_id=first.plan_id,
        previous_revision=1,
        added=[StepSummary(name="Run tests", work_type="test", estimated_duration="~3 minutes")],
        changed=[
            StepChange(
                name="Deploy service",
                changes={"parameters": ValueChange(before={"env": 1.5}, after={"env": [2, None]})},
            )
        ],
        duration=TextChange(before="~5 minutes", after="~8 minutes"),
    )
    second = _plan(session, revision=2, previous_plan_id=first.plan_id, diff=diff)
    session = _save_revision(store, session, first, second)

    stored = store.get_plan(second.plan_id)
    assert (stored.revision, stored.previous_plan_id, stored.diff) == (2, first.plan_id, diff)
    first_stored = store.get_plan(first.plan_id)
    assert (first_stored.revision, first_stored.previous_plan_id, first_stored.diff) == (
        1,
        None,
        None,
    )

    store.save(session, plan_update=(stored, PlanChanges(state="rejected")))
    rejected = store.get_plan(second.plan_id)
    assert rejected.state == "rejected"
    assert (rejected.revision, rejected.previous_plan_id, rejected.diff) == (2, first.plan_id, diff)


def _long_steps(script_mark: str, count: int = 9) -> list[dict]:
    # Each step carries a long script: about 150 KB of plan, well within an item.
    return [
        {
            "order": i,
            "name": f"Step {i}",
            "work_type": "deployment",
            "parameters": {"script": script_mark * 17_000},
            "resource_requirements": {"estimated_duration_seconds": 60},
        }
        for i in range(1, count + 1)
    ]


def test_a_revision_changing_every_long_parameter_is_stored_with_its_diff(store):
    # Diffed whole, the old and new scripts beside the new plan are over DynamoDB's 400 KB.
    session = store.create_session("alice")
    first = _plan(session)
    first.plan = {"tasks": _long_steps("a"), "complexity_level": "simple"}
    session, _ = store.save(session, new_plan=first)
    second = _plan(session, revision=2, previous_plan_id=first.plan_id)
    second.plan = {"tasks": _long_steps("b"), "complexity_level": "simple"}
    second.diff = plan_diff(store.get_plan(first.plan_id), second)
    session = _save_revision(store, session, first, second)
    stored = store.get_plan(second.plan_id)
    assert stored.diff == second.diff
    assert [change.name for change in stored.diff.changed] == [f"Step {i}" for i in range(1, 10)]
    assert "17,000 characters" in stored.diff.changed[0].changes["parameters"].before["script"]
    assert store.get_session(session.session_id).current_plan_id == second.plan_id


ITEM_LIMIT = 400 * 1024  # DynamoDB's 400 KB, in bytes


def _quoted_kb(message: str) -> int:
    return int(message.split("(about ", 1)[1].split(" KB", 1)[0])


def test_a_plan_over_the_item_limit_is_refused_as_too_large_not_as_unavailable(store):
    # The in-memory store checks the same limit (the record as JSON), so this runs on all three.
    session = store.create_session("alice")
    huge = _plan(session)
    huge.plan = {"tasks": _long_steps("a", count=27), "complexity_level": "simple"}
    with pytest.raises(TooLargeToStore) as refused:
        store.save(
            session,
            changes=SessionChanges(
                current_plan_id=huge.plan_id, current_plan_created_at=huge.created_at
            ),
            new_plan=huge,
        )
    assert refused.value.status != 503
    assert refused.value.record == "plan"
    assert refused.value.message.startswith("The plan is too large to store (about ")
    assert 450 <= _quoted_kb(refused.value.message) <= 460  # 27 steps of 17,000 characters
    assert "ask" not in refused.value.message.lower()  # what to do is the use case's to say
    assert store.get_plan(huge.plan_id) is None
    assert store.get_session(session.session_id).current_plan_id is None


def test_a_plan_that_its_diff_takes_over_the_limit_is_told_with_the_size_sent(store):
    # The plan alone is under 400 KB; with the diff stored beside it, the record is over.
    session = store.create_session("alice")
    first = _plan(session)
    session, _ = store.save(session, new_plan=first)
    second = _plan(session, revision=2, previous_plan_id=first.plan_id)
    second.plan = {"tasks": _long_steps("b", count=22), "complexity_level": "simple"}
    assert len(second.plan["tasks"]) * 17_000 < ITEM_LIMIT
    summary = StepSummary(name="s" * 2_000, work_type="deployment", estimated_duration="~1 min")
    second.diff = PlanDiff(
        previous_plan_id=first.plan_id, previous_revision=1, added=[summary] * 20
    )
    with pytest.raises(TooLargeToStore) as refused:
        _save_revision(store, session, first, second)
    assert refused.value.record == "plan with its revision diff"
    assert _quoted_kb(refused.value.message) > 400
    assert store.get_plan(second.plan_id) is None
    assert store.get_plan(first.plan_id).state == first.state
