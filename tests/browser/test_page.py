"""A person on the page, in a real browser, against the real local stack: a request becomes a
plan card, a change reshapes it, an approval (confirmed) runs it and the run is watched to its
end; a rejection; an abort; a reload and a shared link landing back in the same run; errors in
words with nothing typed lost; the sessions list and the older history."""

import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    DEPLOY,
    ask,
    confirm,
    conversation,
    plan_card,
    screenshot,
    session_title,
    sign_in,
    step,
    steps,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.dynamodb_local]


def test_a_request_is_reshaped_approved_and_watched_to_the_end(page: Page, tmp_path):
    ask(page, DEPLOY)
    card = plan_card(page)
    expect(card).to_be_visible()
    expect(card).to_contain_text("Waiting for your approval")
    expect(steps(page)).to_have_count(2)
    expect(step(page, "Build artifacts")).to_contain_text("Pending")
    expect(step(page, "Deploy service")).to_contain_text("Pending")
    expect(card).to_contain_text("Risk")
    expect(card).to_contain_text("Low")
    expect(card).to_contain_text("~9 minutes")
    expect(card).to_contain_text("4 CPU cores")
    expect(conversation(page)).to_contain_text("Here is the plan.")
    expect(page.get_by_label("Message", exact=True)).to_have_value("")  # sent, so cleared
    screenshot(page, "plan-under-review.png", tmp_path)

    # A change, from the card's own field: a new plan with one more step replaces the card.
    page.get_by_label("Request a change").fill("also set up monitoring")
    page.get_by_role("button", name="Send change").click()
    expect(steps(page)).to_have_count(3)
    expect(step(page, "Set up monitoring")).to_contain_text("Pending")
    expect(conversation(page)).to_contain_text("Here is the updated plan.")
    expect(page.get_by_label("Request a change")).to_have_value("")

    # Approve, confirmed in the dialog, then the run is followed to its end.
    page.get_by_role("button", name="Approve plan").click()
    confirm(page, "Approve this plan?", "Yes, approve and run")
    expect(card).to_contain_text("Completed", timeout=30_000)
    expect(card.get_by_role("status")).to_contain_text("3 of 3 steps completed")
    for name in ("Build artifacts", "Deploy service", "Set up monitoring"):
        expect(step(page, name)).to_contain_text("Completed")
    expect(page.get_by_role("button", name="Abort run")).to_be_hidden()
    expect(page.get_by_role("button", name="Approve plan")).to_be_hidden()
    expect(conversation(page)).to_contain_text("All 3 steps completed.")
    expect(page.get_by_text("Session status:")).to_contain_text("Completed")
    expect(page.get_by_role("alert")).to_be_empty()

    # A reload lands back on the same finished run.
    address = page.url
    assert re.search(r"#/session/[0-9a-f-]+/plan/[0-9a-f-]+$", address), address
    page.reload()
    expect(card).to_contain_text("Completed")
    expect(step(page, "Set up monitoring")).to_contain_text("Completed")
    assert page.url == address


def test_a_cancelled_approval_runs_nothing_and_a_plan_can_be_rejected(page: Page):
    ask(page, "run the tests and deploy the web app")
    card = plan_card(page)
    expect(card).to_contain_text("Waiting for your approval")

    page.get_by_role("button", name="Approve plan").click()
    dialog = page.get_by_role("dialog", name="Approve this plan?")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")  # closing the dialog is a "no"
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Approve plan").click()
    confirm(page, "Approve this plan?", "Cancel")
    expect(card).to_contain_text("Waiting for your approval")

    page.get_by_role("button", name="Reject plan").click()
    confirm(page, "Reject this plan?", "Yes, reject the plan")
    expect(card).to_contain_text("Rejected")
    expect(page.get_by_role("button", name="Approve plan")).to_be_hidden()
    expect(page.get_by_role("button", name="Reject plan")).to_be_hidden()
    expect(page.get_by_label("Request a change")).to_be_hidden()
    expect(page.get_by_text("Session status:")).to_contain_text("Idle")


def test_a_run_survives_a_reload_and_a_shared_link_and_is_aborted(
    page: Page, context, user, standin, tmp_path
):
    standin.post("/_standin/config", json={"task_seconds": 30})  # a run that lasts
    ask(page, "migrate the database and deploy the web app")
    card = plan_card(page)
    expect(card).to_contain_text("Waiting for your approval")
    page.get_by_role("button", name="Approve plan").click()
    confirm(page, "Approve this plan?", "Yes, approve and run")
    first = steps(page).first
    expect(first).to_contain_text("Running")
    expect(steps(page).nth(1)).to_contain_text("Pending")
    expect(card).to_contain_text("0 of 2 steps completed. Run status: Running.")
    screenshot(page, "run-in-progress.png", tmp_path)

    # A reload: the same session and the same run, still followed.
    title = session_title(page).text_content()
    address = page.url
    page.reload()
    expect(card).to_contain_text("Run status: Running.")
    expect(first).to_contain_text("Running")
    expect(session_title(page)).to_have_text(title)
    assert page.url == address

    # The address is a shared link: another tab of the same person lands on the same run.
    other = context.new_page()
    sign_in(other, user, address)
    expect(plan_card(other)).to_contain_text("Run status: Running.")
    other.close()

    # Abort, confirmed; the steps that had not finished are skipped.
    page.get_by_role("button", name="Abort run").click()
    confirm(page, "Abort this run?", "Yes, abort the run", safe="Keep running")
    expect(card).to_contain_text("Aborted")
    expect(steps(page).last).to_contain_text("Skipped")
    expect(page.get_by_role("button", name="Abort run")).to_be_hidden()
    expect(conversation(page)).to_contain_text("Aborted.")


def test_refusals_and_failures_are_said_in_words_and_nothing_typed_is_lost(
    page: Page, context, user
):
    ask(page, DEPLOY)
    card = plan_card(page)
    expect(card).to_contain_text("Waiting for your approval")
    stale_address = page.url

    # Another tab replaces the plan with a change; this tab's Approve then gets a 409.
    other = context.new_page()
    sign_in(other, user, stale_address)
    other.get_by_label("Request a change").fill("also set up monitoring")
    other.get_by_role("button", name="Send change").click()
    expect(steps(other)).to_have_count(3)
    other.close()

    page.get_by_role("button", name="Approve plan").click()
    confirm(page, "Approve this plan?", "Yes, approve and run")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Approving the plan failed: not possible in the current state.")
    expect(alert).to_contain_text("replaced by a newer one")
    page.get_by_role("button", name="Dismiss message").click()
    expect(alert).to_be_empty()

    # The network fails while sending: the error is said, and the text stays in the box.
    text = "also run the tests first"
    page.route("**/api/dashboard/chat", lambda route: route.abort())
    ask(page, text)
    expect(alert).to_contain_text("Sending your message failed: the API could not be reached")
    expect(page.get_by_label("Message", exact=True)).to_have_value(text)
    page.unroute("**/api/dashboard/chat")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(conversation(page)).to_contain_text(text)
    expect(page.get_by_label("Message", exact=True)).to_have_value("")
    expect(alert).to_be_empty()

    # Someone else at this browser (another user id) is refused the session, and sees none of it.
    page.get_by_label("User id").fill(f"{user}-other")
    page.get_by_role("button", name="Save").click()
    expect(alert).to_contain_text("Opening the session failed: not found.")
    expect(page.get_by_role("heading", name="No session open")).to_be_visible()
    expect(conversation(page).get_by_role("listitem")).to_have_count(0)
    expect(card).to_be_hidden()


def test_a_slow_orchestrator_is_said_in_words_and_the_message_kept(page: Page, standin):
    standin.post("/_standin/config", json={"delay_seconds": 4})  # longer than the timeout (3 s)
    ask(page, DEPLOY)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        "Sending your message failed: the orchestrator took too long to answer.", timeout=60_000
    )
    expect(page.get_by_label("Message", exact=True)).to_have_value(DEPLOY)
    standin.post("/_standin/config", json={"delay_seconds": 0})
    page.get_by_role("button", name="Send", exact=True).click()
    expect(plan_card(page)).to_contain_text("Waiting for your approval")
    expect(page.get_by_label("Message", exact=True)).to_have_value("")


def test_sessions_newest_first_and_older_history_on_scroll(page: Page, stack, user):
    # Session A: one turn on the page, three more through the API (a history of 8 messages,
    # more than the stack's page of 6).
    page.get_by_role("button", name="New session").click()
    expect(session_title(page)).to_be_visible()
    ask(page, "build the api service")
    expect(plan_card(page)).to_be_visible()
    first_address = page.url
    session_a = re.search(r"#/session/([^/]+)", first_address).group(1)
    with httpx.Client(base_url=stack.dashboard, headers={"X-User-Id": user}, timeout=30) as api:
        for text in ("also run the tests", "also set up monitoring", "and back it up first"):
            turn = api.post("/api/dashboard/chat", json={"session_id": session_a, "message": text})
            assert turn.status_code == 200, turn.text

    # Session B, newer.
    page.get_by_role("button", name="New session").click()
    expect(page).not_to_have_url(first_address)
    ask(page, "deploy the web app")
    expect(plan_card(page)).to_be_visible()

    page.reload()
    sessions = page.get_by_role("navigation", name="Your sessions").get_by_role("link")
    expect(sessions).to_have_count(2)
    # The list is the API's (GET /sessions), not only what this browser remembers.
    expect(page.get_by_text("Newest activity first.")).to_be_visible()
    expect(sessions.first).to_have_attribute("aria-current", "page")  # B, the open one
    expect(sessions.first).to_contain_text("Plan to review")

    # Open A from the list: its newest page, then the older one when scrolled to the top.
    sessions.nth(1).click()
    expect(page).to_have_url(re.compile(f"#/session/{session_a}"))
    history = conversation(page)
    expect(history).to_contain_text("and back it up first")
    expect(history.get_by_role("listitem")).to_have_count(6)
    expect(page.get_by_role("button", name="Load older messages")).to_be_visible()
    # The page scrolls the newest page into view; a wheel before that moves nothing, and a
    # loaded machine can get there first.
    page.wait_for_function("() => document.getElementById('history').scrollTop > 40")
    history.hover()
    page.mouse.wheel(0, -10_000)
    expect(history.get_by_role("listitem")).to_have_count(8)
    expect(history.get_by_role("listitem").first).to_contain_text("build the api service")
    expect(page.get_by_role("button", name="Load older messages")).to_be_hidden()


def test_the_sessions_list_of_the_api_is_shown_page_by_page(page: Page, stack, user):
    """The page's side of GET /api/dashboard/sessions: its documented answer, in two pages
    joined by next_cursor (fulfilled here, so the test holds whatever the stack lists), for
    sessions that exist; opening one from the list reads it from the stack."""
    with httpx.Client(base_url=stack.dashboard, headers={"X-User-Id": user}, timeout=30) as api:
        made = [api.post("/api/dashboard/session", json={}).json() for _ in range(3)]
    newest_first = made[::-1]
    pages = {
        None: {"sessions": newest_first[:2], "next_cursor": "page-2"},
        "page-2": {"sessions": newest_first[2:], "next_cursor": None},
    }

    def answer(route):
        cursor = parse_qs(urlparse(route.request.url).query).get("cursor", [None])[0]
        assert route.request.headers.get("x-user-id") == user
        route.fulfill(json=pages[cursor])

    page.route(re.compile(r"/api/dashboard/sessions(\?|$)"), answer)
    page.reload()
    sessions = page.get_by_role("navigation", name="Your sessions").get_by_role("link")
    expect(sessions).to_have_count(2)
    expect(sessions.first).to_contain_text("Idle")
    page.get_by_role("button", name="Load more sessions").click()
    expect(sessions).to_have_count(3)
    expect(page.get_by_role("button", name="Load more sessions")).to_be_hidden()
    sessions.nth(2).click()
    expect(page).to_have_url(re.compile(f"#/session/{made[0]['session_id']}$"))
    expect(sessions.nth(2)).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("alert")).to_be_empty()


def test_the_whole_approval_works_by_keyboard_alone(page: Page):
    page.reload()  # arriving, signed in, with the focus nowhere yet
    expect(page.get_by_text("Working as")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the message box")).to_be_focused()
    page.keyboard.press("Enter")
    box = page.get_by_label("Message", exact=True)
    expect(box).to_be_focused()
    page.keyboard.type("build the api service")
    page.keyboard.press("Enter")
    expect(plan_card(page)).to_contain_text("Waiting for your approval")

    approve = page.get_by_role("button", name="Approve plan")
    for _ in range(10):  # Tab onwards from the message box until Approve has the focus
        page.keyboard.press("Tab")
        if approve.evaluate("button => button === document.activeElement"):
            break
    expect(approve).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Approve this plan?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Yes, approve and run")).to_be_focused()
    page.keyboard.press("Enter")
    expect(plan_card(page)).to_contain_text("1 of 1 steps completed", timeout=30_000)
    expect(page.get_by_role("heading", name="Plan", exact=True)).to_be_focused()

    # Every control on the page has a name a screen reader can say.
    for control in page.locator("button:visible, input:visible, textarea:visible").all():
        name = control.evaluate(
            "el => el.labels?.[0]?.textContent || el.getAttribute('aria-label') || el.textContent"
        )
        assert name and name.strip(), control
