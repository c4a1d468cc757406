"""A running plan's steps, observed from the orchestrator at most once per poll interval however
many people watch it: the observation is kept in the table (the plan's status snapshot, shared
by every container). A poll that finds it younger than the interval answers from it; when it is
older, the one request whose conditional claim wins refreshes it, and the others answer from it
as it is, without waiting. A refresh that fails keeps the last observation, marked stale, and
the next try waits for the next interval.

The snapshot holds for the plan version it was observed at: a change of the plan (an abort, a
settled approval) makes the next poll refresh it whatever its age."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.errors import OrchestratorError
from shared.models import ExecutionUpdate
from shared.services.context import Context
from shared.services.execution import execution_updates
from shared.store.records import Lease, PlanRecord, StatusSnapshot, utcnow


@dataclass(frozen=True)
class Observation:
    steps: list[ExecutionUpdate]
    observed_at: datetime
    stale: bool = False
    fresh: bool = False  # observed by this request, not read from the snapshot


def followed(plan: PlanRecord) -> bool:
    """Whether reading the plan's steps asks the orchestrator: a dispatched run whose end is not
    recorded (a finished run answers from its kept steps)."""
    return plan.final_steps is None and any(t.task_id for t in plan.dispatched_tasks)


def _observed_now() -> datetime:
    now = utcnow()  # to the millisecond, as the table keeps it: the refresher answers the same
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _read(ctx: Context, plan: PlanRecord) -> Observation:
    return Observation(execution_updates(ctx.orchestrator, plan), utcnow(), fresh=True)


def _kept(snapshot: StatusSnapshot) -> Observation:
    assert snapshot.steps is not None and snapshot.observed_at is not None
    return Observation(snapshot.steps, snapshot.observed_at, stale=snapshot.stale)


def observe(ctx: Context, plan: PlanRecord, snapshot: StatusSnapshot | None) -> Observation:
    """The plan's steps: from the snapshot when it is recent enough (or the run has ended), else
    refreshed by this request if it wins the claim. `snapshot` is read with the plan, after the
    owner check."""
    if not ctx.settings.status_snapshot or not followed(plan):
        return _read(ctx, plan)
    now = utcnow()
    interval = timedelta(milliseconds=ctx.settings.poll_interval_ms)
    seen = snapshot if snapshot is not None and snapshot.steps is not None else None
    current = seen is not None and seen.plan_version == plan.version
    if current and (seen.final or now - seen.observed_at < interval):
        return _kept(seen)
    lease = Lease(token=uuid.uuid4().hex, taken_at=now, interval=interval)
    if not ctx.store.claim_status_refresh(plan, seen, lease):
        # Another request refreshes it: answer from what is there, or, before the run was
        # ever observed, read it without writing (only the first polls of a run can).
        return _kept(seen) if seen is not None else _read(ctx, plan)
    try:
        steps = execution_updates(ctx.orchestrator, plan)
    except OrchestratorError:
        if seen is None:
            raise
        kept = seen.model_copy(update={"stale": True})
        # The lease stays: the next try waits an interval, however many poll meanwhile.
        ctx.store.save_status_snapshot(kept, lease, plan.expires_at, keep_lease=True)
        return _kept(kept)
    observed = StatusSnapshot(
        plan_id=plan.plan_id,
        plan_version=plan.version,
        steps=steps,
        observed_at=_observed_now(),
        final=plan.state == "aborted",  # an abort was confirmed for every step: nothing moves
    )
    ctx.store.save_status_snapshot(observed, lease, plan.expires_at)
    return Observation(steps, observed.observed_at, fresh=True)
