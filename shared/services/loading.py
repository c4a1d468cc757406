"""Loading what a request acts on, with ownership checks: anything not the caller's is 404."""

from shared.errors import NotFound
from shared.identity import Caller, check_access
from shared.ids import canonical_uuid
from shared.settings import Settings
from shared.store.base import SessionStore
from shared.store.records import PlanRecord, SessionRecord


async def load_session(
    store: SessionStore, caller: Caller, session_id: str, settings: Settings
) -> SessionRecord:
    """The caller's session, or NotFound for malformed, unknown, expired or other users' ids."""
    canonical = canonical_uuid(session_id)
    record = await store.get_session(canonical) if canonical else None
    if record is None:
        raise NotFound("Session not found.")
    check_access(record.user_id, caller, settings, "Session")
    return record


async def load_plan(
    store: SessionStore, caller: Caller, plan_id: str, settings: Settings
) -> PlanRecord:
    canonical = canonical_uuid(plan_id)
    plan = await store.get_plan(canonical) if canonical else None
    if plan is None:
        raise NotFound("Plan not found.")
    check_access(plan.user_id, caller, settings, "Plan")
    return plan


async def load_session_plan(
    store: SessionStore, session: SessionRecord, plan_id: str
) -> PlanRecord:
    """A plan of this (already authorised) session."""
    canonical = canonical_uuid(plan_id)
    plan = await store.get_plan(canonical) if canonical else None
    if plan is None or plan.session_id != session.session_id:
        raise NotFound("Plan not found.")
    return plan
