"""A change of a session's current plan carries the plan's creation, from which the sessions
list says when the plan under review expires (plan_approval_expires_at)."""

import pytest
from pydantic import ValidationError

from shared.store.records import SessionChanges, utcnow


def test_a_plan_id_without_its_creation_is_refused_and_the_pair_is_taken():
    with pytest.raises(ValidationError, match="go together"):
        SessionChanges(status="plan_ready", current_plan_id="p1")
    with pytest.raises(ValidationError, match="go together"):
        SessionChanges(current_plan_created_at=utcnow())
    made = utcnow()
    changes = SessionChanges(current_plan_id="p1", current_plan_created_at=made)
    assert (changes.current_plan_id, changes.current_plan_created_at) == ("p1", made)
