"""An approval that waited too long, on the page. What a person sees: until when a plan can be
approved, then that it expired (and when), Approve disabled, and what to do instead, with the
session's status and its line in the sessions list saying so too; an approval sent from a page
that had not noticed yet is refused in words.

Nothing here waits for the deadline. The stack of its own gives a plan ten minutes; the test
then makes the plan older than that where the expiry rules look (its creation, in the stack's
own table: see `make_older_than_its_window`), and moves the page's clock past the deadline with
Playwright's clock, so the page's own timer fires."""

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from devtools.devstack import TABLE
from devtools.dynamodb_local import DynamoDBLocal
from tests.browser.conftest import (
    DEPLOY,
    ask,
    confirm,
    plan_card,
    running_stack,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.dynamodb_local]

# Far longer than any step of a test takes on a busy machine: a plan expires only when the test
# says so.
APPROVAL_TTL_SECONDS = 600


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory, APPROVAL_TTL_SECONDS=str(APPROVAL_TTL_SECONDS))


def make_older_than_its_window(stack, user: str, plan_id: str) -> None:
    """Move the plan's creation back past its approval window, in the stack's DynamoDB Local.
    A plan's deadline is its creation plus APPROVAL_TTL_SECONDS, so to the stack this is the
    window having passed; the stack's processes keep the real time, which no test can move from
    outside them. The API itself then says the plan expired (the page under test is not asked).
    """
    created = datetime.now(UTC) - timedelta(seconds=APPROVAL_TTL_SECONDS + 1)
    DynamoDBLocal(port=stack.ports["dynamodb"]).client().update_item(
        TableName=TABLE,
        Key={"PK": {"S": f"PLAN#{plan_id}"}, "SK": {"S": "META"}},
        UpdateExpression="SET created_at = :created",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeValues={":created": {"S": created.isoformat()}},
    )
    with httpx.Client(base_url=stack.dashboard, headers={"X-User-Id": user}, timeout=30) as api:
        plan = api.get(f"/api/dashboard/plan/{plan_id}")
    assert plan.status_code == 200, plan.text
    assert (plan.json()["expired"], plan.json()["can_approve"]) == (True, False)


def open_with_a_clock_the_test_moves(page: Page) -> None:
    page.clock.install()  # runs on from now, until the test moves it
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def session_states(page: Page):
    """Where the page says how the session stands: its status line, and its line in the list."""
    return page.locator("#session-state"), page.locator("#session-list a[aria-current=page]")


def let_the_deadline_pass(page: Page, stack, user: str) -> None:
    """For the stack, then for the page, whose timer reads the plan again and says it expired."""
    card = plan_card(page)
    make_older_than_its_window(stack, user, card.get_attribute("data-plan-id"))
    page.clock.fast_forward(f"{APPROVAL_TTL_SECONDS // 60}:05")
    expect(card).to_contain_text("This plan expired on")


def test_a_plan_left_waiting_expires_and_cannot_be_approved(page: Page, stack, user, tmp_path):
    open_with_a_clock_the_test_moves(page)
    ask(page, DEPLOY)
    card = plan_card(page)
    expect(card).to_contain_text("Can be approved until")
    approve = page.get_by_role("button", name="Approve plan")
    expect(approve).to_be_enabled()
    expect(card).not_to_contain_text("This plan expired")
    status, listed = session_states(page)
    expect(status).to_contain_text("Plan to review")
    expect(listed).to_contain_text("Plan to review")

    let_the_deadline_pass(page, stack, user)
    # The session's status, on the page and in the list, no longer asks for a review.
    expect(status).to_contain_text("Plan expired")
    expect(listed).to_contain_text("Plan expired")
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


def test_a_question_back_leaves_the_plan_and_its_deadline_waiting(page: Page, stack, user):
    """A message sent while a plan waits asks for a change; a vague one gets a question back and
    no new plan. The plan still waits, and still expires when its time is up."""
    open_with_a_clock_the_test_moves(page)
    ask(page, DEPLOY)
    card = plan_card(page)
    expect(card).to_contain_text("Can be approved until")
    ask(page, "change something")
    conversation = page.get_by_role("log", name="Conversation")
    expect(conversation).to_contain_text('What exactly do you mean by "something"?')
    status, listed = session_states(page)
    expect(status).to_contain_text("Plan to review")

    let_the_deadline_pass(page, stack, user)
    expect(status).to_contain_text("Plan expired")
    expect(listed).to_contain_text("Plan expired")


def test_an_approval_after_the_deadline_is_refused_in_words(page: Page, stack, user):
    ask(page, DEPLOY)
    card = plan_card(page)
    expect(card).to_contain_text("Can be approved until")
    # A tab left open while the deadline passed: the page still counts ten minutes to go (its
    # timer is set for the deadline it was given), so the approval reaches the API.
    make_older_than_its_window(stack, user, card.get_attribute("data-plan-id"))
    approve = page.get_by_role("button", name="Approve plan")
    expect(approve).to_be_enabled()

    approve.click()
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
