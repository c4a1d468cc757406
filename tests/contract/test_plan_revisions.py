"""A revision is stored with its link and its diff, and keeps them through later plan updates: on
the in-memory store, moto and DynamoDB Local."""

import uuid

from shared.models import PlanDiff, StepChange, StepSummary, TextChange, ValueChange
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
    session, _ = store.save(
        session,
        changes=SessionChanges(current_plan_id=second.plan_id),
        new_plan=second,
        plan_update=(store.get_plan(first.plan_id), PlanChanges(state="superseded")),
    )

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
