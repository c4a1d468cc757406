"""The session state machine: which action each state allows.

idle -> awaiting_plan -> plan_ready -> executing -> completed
(reject and abort return to idle; a chat turn that ends without a plan returns to where
it started)
"""

from datetime import timedelta

from shared.errors import Conflict
from shared.settings import Settings
from shared.store.records import PlanRecord, SessionRecord, utcnow

CHAT_ALLOWED = {"idle", "plan_ready", "completed"}

_WHY_NOT = {
    "awaiting_plan": "A plan is being prepared for this session; wait for it.",
    "executing": "A plan is running in this session; wait for it or abort it first.",
    "plan_ready": "The plan is waiting for review; approve, reject or modify it first.",
    "idle": "There is no plan in this session yet; send a request first.",
    "completed": "The last plan has finished; send a new request.",
}


def require_status(session: SessionRecord, allowed: set[str]) -> None:
    if session.status not in allowed:
        raise Conflict(_WHY_NOT[session.status])


def require_current_pending_plan(session: SessionRecord, plan: PlanRecord) -> None:
    """Approve, reject and modify act only on the session's current plan awaiting review."""
    if session.current_plan_id != plan.plan_id:
        raise Conflict("This plan has been replaced by a newer one; review the latest plan.")
    if plan.state == "approving":
        raise Conflict("This plan is being approved right now.")
    if plan.state != "pending_approval":
        raise Conflict(f"This plan can no longer be changed (it is {plan.state}).")
    require_status(session, {"plan_ready"})


def claim_is_stale(session: SessionRecord, settings: Settings) -> bool:
    """A claim (awaiting_plan, approving) older than this was cut off, not still at work."""
    return utcnow() - session.last_activity > timedelta(seconds=settings.stale_claim_seconds)
