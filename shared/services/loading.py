"""Loading what a request acts on, with ownership checks: anything not the caller's is 404."""

from shared.errors import NotFound
from shared.identity import check_access
from shared.ids import canonical_uuid
from shared.services.context import Context
from shared.store.base import SessionStore
from shared.store.records import PlanRecord, SessionRecord, StatusSnapshot


def session_key(session_id: str) -> str:
    """The canonical session id, or NotFound for a malformed one (it never reaches the store)."""
    canonical = canonical_uuid(session_id)
    if canonical is None:
        raise NotFound("Session not found.")
    return canonical


def load_session(ctx: Context, session_id: str) -> SessionRecord:
    """The caller's session, or NotFound for malformed, unknown, expired or other users' ids,
    and for one being deleted."""
    record = ctx.store.get_session(session_key(session_id))
    if record is None or record.deleting:
        raise NotFound("Session not found.")
    check_access(record.user_id, ctx.caller, ctx.settings, "Session")
    return record


def _owned(ctx: Context, plan: PlanRecord | None) -> PlanRecord:
    if plan is None:
        raise NotFound("Plan not found.")
    check_access(plan.user_id, ctx.caller, ctx.settings, "Plan")
    return plan


def load_plan(ctx: Context, plan_id: str) -> PlanRecord:
    canonical = canonical_uuid(plan_id)
    return _owned(ctx, ctx.store.get_plan(canonical) if canonical else None)


def load_plan_with_status(ctx: Context, plan_id: str) -> tuple[PlanRecord, StatusSnapshot | None]:
    """The caller's plan (as load_plan) and its status snapshot, read together; the snapshot is
    handed out only once the plan is known to be the caller's. Without snapshots: the plan."""
    canonical = canonical_uuid(plan_id)
    if not ctx.settings.status_snapshot or canonical is None:
        return load_plan(ctx, plan_id), None
    plan, snapshot = ctx.store.get_plan_with_status(canonical)
    return _owned(ctx, plan), snapshot


def load_session_plan(store: SessionStore, session: SessionRecord, plan_id: str) -> PlanRecord:
    """A plan of this (already authorised) session."""
    canonical = canonical_uuid(plan_id)
    plan = store.get_plan(canonical) if canonical else None
    if plan is None or plan.session_id != session.session_id:
        raise NotFound("Plan not found.")
    return plan
