"""What the use cases say in the chat, and the plan view they answer with."""

from shared.models import DashboardPlanView, ExecutionUpdate
from shared.planview import plan_view
from shared.store.records import NewMessage, PlanRecord


def view(
    plan: PlanRecord, status: str | None = None, steps: list[ExecutionUpdate] | None = None
) -> DashboardPlanView:
    # A new plan supersedes the old one in the same write, so only superseded plans are stale.
    return plan_view(plan, is_current=plan.state != "superseded", status=status, updates=steps)


def say(text: str, **metadata) -> NewMessage:
    return NewMessage(role="assistant", content=text, metadata=metadata or None)


def with_comment(text: str, comment: str | None) -> str:
    """A decision's line in the history, with the comment given with it."""
    return f'{text} Comment: "{comment}"' if comment else text


def comment_metadata(comment: str | None) -> dict:
    """The decision's message metadata: its comment, when one was given."""
    return {"comment": comment} if comment else {}
