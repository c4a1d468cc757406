"""A plan's audit trail: who decided what about it, when, why, and what the orchestrator
confirmed. Entries are appended with the state change they record (one store write) and never
changed; they outlive the plan and its session when those are deleted, owner-scoped as ever."""

import logging

from shared.errors import DashboardError
from shared.identity import check_access
from shared.ids import canonical_uuid
from shared.models import AuditAction, AuditEntry, AuditTrail
from shared.services.context import Context
from shared.services.loading import load_plan
from shared.store.base import SessionStore, audit_entry_ulid, new_message_id
from shared.store.records import NewAuditEntry, PlanRecord

logger = logging.getLogger(__name__)

SYSTEM = "system"  # the actor of what no person did: a run finishing, an approval expiring


def entry(
    plan: PlanRecord,
    action: AuditAction,
    actor: str,
    *,
    comment: str | None = None,
    outcome: str | None = None,
) -> NewAuditEntry:
    """An entry about `plan`, naming the revision it is about (what the person saw)."""
    return NewAuditEntry(
        plan_id=plan.plan_id,
        plan_created_at=plan.created_at,
        session_id=plan.session_id,
        user_id=plan.user_id,
        action=action,
        actor=actor,
        comment=comment,
        outcome=outcome,
        revision=plan.revision,
        previous_plan_id=plan.previous_plan_id,
    )


def once(entry: NewAuditEntry) -> NewAuditEntry:
    """The entry with its id chosen now: every try to write it (retries, a fallback) writes the
    same item, so a write that went through but whose answer was lost is not recorded twice."""
    return entry.model_copy(update={"entry_ulid": str(new_message_id())})


def is_recorded(store: SessionStore, entry: NewAuditEntry) -> bool:
    """Whether an entry made with `once` is stored already (an earlier try went through): one
    read of its item."""
    if entry.entry_ulid is None:
        return False
    return store.get_audit_entry(entry.plan_id, audit_entry_ulid(entry)) is not None


def actor(ctx: Context, plan: PlanRecord) -> str:
    # Without an identity (local development only) the owner acts on their own plan.
    return ctx.caller.user_id or plan.user_id


def get_audit(ctx: Context, plan_id: str) -> AuditTrail:
    """The plan's trail, oldest first. Read from the entries alone (each names the plan's owner),
    so it is there after the plan and its session were deleted. A plan of the caller's without
    entries (made before the trail existed) has an empty trail; one not the caller's, or with
    neither plan nor entries, is not found."""
    canonical = canonical_uuid(plan_id)
    records = ctx.store.list_audit(canonical) if canonical else []
    if not records:
        load_plan(ctx, plan_id)  # NotFound unless it is the caller's
        return AuditTrail(plan_id=canonical, entries=[])
    check_access(records[0].user_id, ctx.caller, ctx.settings, "Plan")
    fields = set(AuditEntry.model_fields)
    return AuditTrail(
        plan_id=canonical,
        entries=[AuditEntry(**record.model_dump(include=fields)) for record in records],
    )


def log_unrecorded(plan: PlanRecord, action: str, error: DashboardError) -> None:
    """What happened stands (the orchestrator did it); only its record failed."""
    logger.error("plan %s: %s happened but was not recorded: %s", plan.plan_id, action, error.code)
