"""Approval expiry: a plan waiting for approval longer than APPROVAL_TTL_SECONDS can no longer be
approved (what was planned then may no longer hold); it can still be modified, which makes a
fresh plan, or rejected."""

from datetime import datetime

from shared.errors import PlanExpired
from shared.models import DashboardPlanView
from shared.planview import duration_in_words
from shared.services import audit
from shared.settings import Settings
from shared.store.records import NewAuditEntry, PlanChanges, PlanRecord, utcnow


def approval_deadline(plan: PlanRecord, settings: Settings) -> datetime | None:
    """When the plan can no longer be approved; None once it is no longer waiting for it."""
    if plan.state != "pending_approval":
        return None
    return settings.approval_deadline(plan.created_at)


def is_expired(plan: PlanRecord, settings: Settings) -> bool:
    deadline = approval_deadline(plan, settings)
    return deadline is not None and utcnow() >= deadline


def with_recorded_expiry(
    plan: PlanRecord, settings: Settings, changes: PlanChanges
) -> tuple[PlanChanges, list[NewAuditEntry]]:
    """`changes` to a plan being decided on (approved, rejected, replaced), and, the first time
    it is seen expired, its expiry with the audit entry saying so, to write before the
    decision's: the trail then says it expired before it was rejected or replaced. Recorded
    once, in the trail only: the history has no line for it (the plan view and approve's 409
    say it expired)."""
    if plan.expired_at is not None or not is_expired(plan, settings):
        return changes, []
    expired = changes.model_copy(update={"expired_at": utcnow()})
    return expired, [audit.entry(plan, "expired", audit.SYSTEM)]


def with_expiry(view: DashboardPlanView, plan: PlanRecord, settings: Settings) -> DashboardPlanView:
    """While it waits: when it expires, and whether it has. Once recorded expired (it may since
    have been rejected or replaced), it stays so, with when it expired: by the setting, and no
    later than when that was first seen."""
    if plan.expired_at is not None:
        deadline = min(settings.approval_deadline(plan.created_at), plan.expired_at)
        return view.model_copy(
            update={"approval_expires_at": deadline, "expired": True, "can_approve": False}
        )
    deadline = approval_deadline(plan, settings)
    if deadline is None:
        return view
    expired = utcnow() >= deadline
    return view.model_copy(
        update={
            "approval_expires_at": deadline,
            "expired": expired,
            "can_approve": view.can_approve and not expired,
        }
    )


def expired_error(settings: Settings) -> PlanExpired:
    waited = duration_in_words(settings.approval_ttl_seconds).lstrip("~")
    return PlanExpired(
        "expired: ask for a fresh plan. This plan waited for approval longer than "
        f"{waited}; tell me what to change (or send the request again) for a new plan."
    )
