"""An approval that waited too long, on the page: a stack of its own whose APPROVAL_TTL_SECONDS
is a few seconds, so a plan expires while the test looks at it. What a person sees: until when
a plan can be approved, then that it expired (and when), Approve disabled, and what to do
instead; an approval sent from a page that had not noticed yet is refused in words."""

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    DEPLOY,
    ask,
    confirm,
    plan_card,
    running_stack,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.dynamodb_local]

# Long enough for the plan to reach the page while it still waits for approval, short enough
# to wait for.
APPROVAL_TTL_SECONDS = 5


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory, APPROVAL_TTL_SECONDS=str(APPROVAL_TTL_SECONDS))


def wait_until_expired(stack, user: str, plan_id: str) -> None:
    """Until the API itself says the plan expired (the page under test is not asked)."""
    with httpx.Client(base_url=stack.dashboard, headers={"X-User-Id": user}, timeout=30) as api:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            plan = api.get(f"/api/dashboard/plan/{plan_id}")
            assert plan.status_code == 200, plan.text
            if plan.json()["expired"]:
                return
            time.sleep(0.5)
    raise AssertionError("the plan never expired")


def test_a_plan_left_waiting_expires_and_cannot_be_approved(page: Page, tmp_path):
    ask(page, DEPLOY)
    card = plan_card(page)
    expect(card).to_contain_text("Can be approved until")
    approve = page.get_by_role("button", name="Approve plan")
    expect(approve).to_be_enabled()

    # The page reads the plan again once its deadline has passed.
    expect(card).to_contain_text("This plan expired on", timeout=30_000)
    expect(card).to_contain_text("can no longer be approved")
    expect(card).to_contain_text("Ask for a fresh plan")
    expect(card).to_contain_text("Expired")
    expect(approve).to_be_visible()
    expect(approve).to_be_disabled()
    expect(approve).to_have_accessible_description(re.compile("This plan expired on .* fresh plan"))
    # It can still be turned down, or changed into a fresh plan.
    expect(page.get_by_role("button", name="Reject plan")).to_be_visible()
    expect(page.get_by_label("Request a change")).to_be_visible()
    expect(page.get_by_role("alert")).to_be_empty()
    screenshot(page, "plan-expired.png", tmp_path)


def test_an_approval_after_the_deadline_is_refused_in_words(page: Page, stack, user):
    # This page's clock stands still, as in a tab left open while the deadline passed: it does
    # not re-read the plan by itself, so the approval reaches the API.
    page.clock.install()
    page.reload()
    ask(page, DEPLOY)
    card = plan_card(page)
    expect(card).to_contain_text("Can be approved until")
    page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))
    plan_id = card.get_attribute("data-plan-id")
    wait_until_expired(stack, user, plan_id)

    page.get_by_role("button", name="Approve plan").click()
    confirm(page, "Approve this plan?", "Yes, approve and run")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Approving the plan failed: the plan waited too long")
    expect(alert).to_contain_text("expired: ask for a fresh plan")
    # The card is read again and says why.
    expect(card).to_contain_text("can no longer be approved")
    expect(page.get_by_role("button", name="Approve plan")).to_be_disabled()
    # The audit trail has it, once, as the system's doing.
    page.get_by_role("button", name="Show audit trail").click()
    entries = card.get_by_role("region", name="Audit trail").get_by_role("listitem")
    expect(entries.filter(has_text="Expired without approval")).to_have_count(1)
    expect(entries.filter(has_text="Expired without approval")).to_contain_text("by the system")
