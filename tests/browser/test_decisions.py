"""Issue 17 on the page, against the real local stack: a comment given with a decision, a
revision and what it changed, the audit trail of a plan, a session deleted on request."""

import re

import pytest
from playwright.sync_api import Page, expect

from devtools.devstack import TABLE
from devtools.dynamodb_local import DynamoDBLocal
from tests.browser.conftest import (
    DEPLOY,
    ask,
    confirm,
    conversation,
    plan_card,
    screenshot,
    sign_in,
    step,
    steps,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.dynamodb_local]


def decide(page: Page, title: str, button: str, comment: str, safe: str = "Cancel") -> None:
    """Answer a decision's confirmation with a comment typed in its field."""
    dialog = page.get_by_role("dialog", name=title)
    expect(dialog.get_by_role("button", name=safe)).to_be_focused()  # the safe choice
    dialog.get_by_label("Comment (optional)").fill(comment)
    dialog.get_by_role("button", name=button).click()
    expect(dialog).to_be_hidden()


def audit_trail(page: Page):
    """The plan's audit trail, opened from the card; its entries, oldest first."""
    toggle = page.get_by_role("button", name="Show audit trail")
    if toggle.is_visible():
        toggle.click()
    trail = plan_card(page).get_by_role("region", name="Audit trail")
    expect(trail).to_be_visible()
    return trail.get_by_role("listitem")


def test_comments_given_with_a_rejection_and_an_approval_reach_the_conversation(
    page: Page, tmp_path
):
    ask(page, DEPLOY)
    card = plan_card(page)
    expect(card).to_contain_text("Waiting for your approval")
    expect(card).to_contain_text("Can be approved until")

    page.get_by_role("button", name="Reject plan").click()
    decide(page, "Reject this plan?", "Yes, reject the plan", "Not on a Friday afternoon.")
    expect(card).to_contain_text("Rejected")
    rejection = conversation(page).get_by_role("listitem").filter(has_text="rejected")
    expect(rejection).to_contain_text('Comment: "Not on a Friday afternoon."')

    ask(page, "build the api service")
    expect(card).to_contain_text("Waiting for your approval")
    # A comment typed and then cancelled is still there when the person comes back to it.
    page.get_by_role("button", name="Approve plan").click()
    decide(page, "Approve this plan?", "Cancel", "Ship it, staging only.")
    page.get_by_role("button", name="Approve plan").click()
    dialog = page.get_by_role("dialog", name="Approve this plan?")
    expect(dialog.get_by_label("Comment (optional)")).to_have_value("Ship it, staging only.")
    screenshot(page, "approve-with-comment.png", tmp_path)
    confirm(page, "Approve this plan?", "Yes, approve and run")
    approval = conversation(page).get_by_role("listitem").filter(has_text="Approved.")
    expect(approval).to_contain_text('Comment: "Ship it, staging only."')
    expect(card).to_contain_text("Completed", timeout=30_000)
    expect(page.get_by_role("alert")).to_be_empty()


def test_a_change_makes_a_new_revision_that_shows_what_changed(page: Page, tmp_path):
    ask(page, "run the tests and deploy the web app")
    card = plan_card(page)
    expect(steps(page)).to_have_count(2)
    expect(card).to_contain_text("Revision 1")
    diff = card.get_by_role("region", name=re.compile("^What changed"))
    expect(diff).to_be_hidden()  # nothing to compare a first plan with

    page.get_by_label("Request a change").fill("skip the tests, set up monitoring for production")
    page.get_by_role("button", name="Send change").click()
    expect(card).to_contain_text("Revision 2, replaces revision 1")
    expect(diff).to_be_visible()
    expect(diff).to_have_accessible_name("What changed since revision 1")
    changes = diff.get_by_role("listitem")
    expect(changes.filter(has_text="Added")).to_contain_text("Set up monitoring")
    expect(changes.filter(has_text="Removed")).to_contain_text("Run test suite")
    expect(changes.filter(has_text="Duration")).to_contain_text(
        re.compile(r"~8 minutes\s*→\s*to\s*~6 minutes")
    )
    # The deployment now also targets production: the same step, changed.
    expect(changes.filter(has_text="Changed")).to_contain_text("Deploy service")
    expect(changes.filter(has_text="Changed")).to_contain_text(
        re.compile(r"parameter targets: web, app\s*→\s*to\s*production, web, app")
    )
    expect(step(page, "Set up monitoring")).to_contain_text("New in this revision")
    expect(step(page, "Deploy service")).to_contain_text("Changed in this revision")
    # The assistant says it in words too.
    expect(conversation(page)).to_contain_text("Revision 2")
    expect(conversation(page)).to_contain_text("Set up monitoring")
    screenshot(page, "plan-revision-diff.png", tmp_path)

    # The revision it replaces is a link away, and says it was replaced.
    card.get_by_role("link", name="revision 1").click()
    expect(card).to_contain_text("Replaced by a newer plan")
    expect(step(page, "Run test suite")).to_be_visible()
    expect(diff).to_be_hidden()
    expect(page.get_by_role("button", name="Approve plan")).to_be_hidden()


def test_the_audit_trail_lists_who_decided_what_and_when_oldest_first(page: Page, tmp_path):
    # A person's name, as the trail shows it (the screenshot's); no other test here is "dana".
    user = "dana"
    sign_in(page, user)
    ask(page, DEPLOY)
    page.get_by_label("Request a change").fill("also set up monitoring")
    page.get_by_role("button", name="Send change").click()
    card = plan_card(page)
    expect(card).to_contain_text("Revision 2")
    page.get_by_role("button", name="Approve plan").click()
    decide(page, "Approve this plan?", "Yes, approve and run", "Monitoring was the missing piece.")
    expect(card).to_contain_text("3 of 3 steps completed", timeout=30_000)

    entries = audit_trail(page)
    expect(entries).to_have_count(3)
    revised, approved, finished = entries.nth(0), entries.nth(1), entries.nth(2)
    expect(revised).to_contain_text("Revised")
    expect(revised).to_contain_text(f"by {user} (you)")
    expect(revised).to_contain_text("Revision: 2, replaces plan")
    expect(approved).to_contain_text("Approved")
    expect(approved).to_contain_text(f"by {user} (you)")
    expect(approved).to_contain_text("Comment: “Monitoring was the missing piece.”")
    expect(approved).to_contain_text("Outcome: Running: 3 of 3 steps dispatched")
    expect(finished).to_contain_text("Run finished")
    expect(finished).to_contain_text("by the system")
    expect(finished).to_contain_text("Outcome: Completed")
    for entry in (revised, approved, finished):
        expect(entry.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    screenshot(page, "audit-trail.png", tmp_path)

    # The first revision's trail: created, then replaced by the change.
    card.get_by_role("link", name="revision 1").click()
    expect(card).to_contain_text("Replaced by a newer plan")
    first = audit_trail(page)
    expect(first.first).to_contain_text("Plan created")
    expect(page.get_by_role("alert")).to_be_empty()


def test_a_session_is_deleted_on_request_but_not_while_it_runs(page: Page, standin, tmp_path):
    sessions = page.get_by_role("navigation", name="Your sessions").get_by_role("link")
    standin.post("/_standin/config", json={"task_seconds": 30})  # a run that lasts
    ask(page, "migrate the database and deploy the web app")
    card = plan_card(page)
    page.get_by_role("button", name="Approve plan").click()
    confirm(page, "Approve this plan?", "Yes, approve and run")
    expect(card).to_contain_text("Run status: Running.")
    expect(sessions).to_have_count(1)

    # While the run goes on: refused, in words, and nothing is removed.
    page.get_by_role("button", name="Delete session").click()
    confirm(page, "Delete this session?", "Yes, delete the session", safe="Keep the session")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Deleting the session failed: a run is still going")
    expect(sessions).to_have_count(1)
    expect(card).to_be_visible()

    page.get_by_role("button", name="Abort run").click()
    decide(page, "Abort this run?", "Yes, abort the run", "Wrong window.", safe="Keep running")
    expect(card).to_contain_text("Aborted")
    abort = conversation(page).get_by_role("listitem").filter(has_text="Aborted.")
    expect(abort).to_contain_text('Comment: "Wrong window."')

    # "Keep the session" keeps it; "Yes" removes it from the list and the screen.
    page.get_by_role("button", name="Delete session").click()
    confirm(page, "Delete this session?", "Keep the session", safe="Keep the session")
    expect(sessions).to_have_count(1)
    page.get_by_role("button", name="Delete session").click()
    expect(page.get_by_role("dialog", name="Delete this session?")).to_be_visible()
    screenshot(page, "delete-session.png", tmp_path)
    confirm(page, "Delete this session?", "Yes, delete the session", safe="Keep the session")
    expect(page.get_by_role("status").filter(has_text="Session deleted")).to_be_visible()
    expect(sessions).to_have_count(0)
    expect(page.get_by_role("heading", name="No session open")).to_be_visible()
    expect(card).to_be_hidden()
    expect(alert).to_be_empty()

    # The API no longer lists it either.
    page.reload()
    expect(page.get_by_text("No sessions yet")).to_be_visible()
    expect(sessions).to_have_count(0)


def stop_its_delete_half_way(stack, session_id: str) -> None:
    """What a delete cut off by a store fault leaves: the session marked `deleting` (the delete's
    first write) with everything of it still there. Written in the stack's own DynamoDB Local,
    since the stack's processes cannot be made to fail from outside."""
    DynamoDBLocal(port=stack.ports["dynamodb"]).client().update_item(
        TableName=TABLE,
        Key={"PK": {"S": f"SESSION#{session_id}"}, "SK": {"S": "META"}},
        UpdateExpression="SET deleting = :yes",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )


def test_a_delete_that_did_not_finish_is_listed_and_sent_again(page: Page, stack, user, tmp_path):
    nav = page.get_by_role("navigation", name="Your sessions")
    ask(page, DEPLOY)
    expect(plan_card(page)).to_be_visible()
    session_id = re.search(r"#/session/([^/]+)", page.url).group(1)
    stop_its_delete_half_way(stack, session_id)

    sign_in(page, user)  # the page opened afresh, with no session open
    unfinished = nav.get_by_role("listitem").filter(has_text="Deleting did not finish")
    expect(unfinished).to_have_count(1)
    expect(unfinished).to_contain_text("Session started")
    expect(nav.get_by_role("link")).to_have_count(0)  # it cannot be opened any more
    screenshot(page, "delete-not-finished.png", tmp_path)

    unfinished.get_by_role("button", name=re.compile(r"^Delete again: Session started")).click()
    expect(page.get_by_role("status").filter(has_text="deleted now")).to_be_visible()
    expect(nav.get_by_role("listitem")).to_have_count(0)
    expect(page.get_by_role("alert")).to_be_empty()
    expect(page.get_by_role("heading", name="Your sessions")).to_be_focused()

    # The API no longer lists it either: the delete finished.
    page.reload()
    expect(page.get_by_text("No sessions yet")).to_be_visible()
