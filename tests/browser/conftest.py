"""The page (page/) in Debian's chromium, against the real local stack: the launcher's DynamoDB
Local, orchestrator stand-in and dashboard as processes, one stack per test module. Each test
has a fresh browser context and a user id of its own, so no test sees another's sessions.

Playwright's sync API drives the browser; its own browser download is never used (chromium
comes from apt, see scripts/bootstrap; CHROMIUM=/path points at another build).

Screenshots: the tests take them with `screenshot(page, name)`; with UPDATE_SCREENSHOTS=1 they
are written to docs/screenshots/ (the README's pictures), otherwise to the test's tmp folder,
so a test run leaves the tree as it was.
"""

import os
import re
import shutil
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from devtools.dynamodb_local import ROOT
from tests.e2e.test_local_stack import Stack

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous: the machine is shared and has 2 cores.
TIMEOUT_MS = 15_000
SCREENSHOTS = ROOT / "docs" / "screenshots"
TASK_SECONDS = 0.3  # what the stack's stand-in gives each dispatched task (tests/e2e's Stack)

expect.set_options(timeout=TIMEOUT_MS)


def running_stack(tmp_path_factory, **settings: str):
    """The local stack with the browser tests' settings, and `settings` on top (a module that
    needs another setting, e.g. a short APPROVAL_TTL_SECONDS, starts its own stack with it)."""
    stack = Stack(tmp_path_factory.mktemp("browser-stack") / "dynamodb-data")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POLL_INTERVAL_MS", "250")  # the page polls at the answer's X-Poll-Interval
        env.setenv("HISTORY_PAGE_SIZE", "6")  # a few turns make an older page of history
        env.setenv("ORCHESTRATOR_TIMEOUT_SECONDS", "3")  # a slowed stand-in gives a 504 soon
        for name, value in settings.items():
            env.setenv(name, value)
        stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory)


@pytest.fixture
def standin(stack):
    """The stand-in's admin endpoints; its task time and delay are put back after the test."""
    with httpx.Client(base_url=stack.orchestrator, timeout=10) as client:
        yield client
        client.post("/_standin/config", json={"task_seconds": TASK_SECONDS, "delay_seconds": 0})


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: run scripts/bootstrap as root, or "
                    "apt-get install chromium, or set CHROMIUM=/path/to/chromium")  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, stack):
    context = browser.new_context(base_url=stack.dashboard, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def user(request) -> str:
    """A user id of this test's own."""
    return re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:60]


@pytest.fixture
def page(context, user) -> Page:
    """The page, opened as `user`; fails the test on any uncaught script error."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, user)
    yield page
    assert not errors, errors


def sign_in(page: Page, user: str, address: str = "/") -> None:
    page.goto(address)
    page.get_by_label("User id").fill(user)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Working as {user},")).to_be_visible()
    # The page has read the sessions (and the one in the address) as this user: what the test
    # does next is not undone by an answer still on its way.
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def screenshot(page: Page, name: str, tmp_path: Path) -> Path:
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    return path


# What a person does and looks at on the page ---------------------------------------------

DEPLOY = "build and deploy the api service to staging"


def plan_card(page: Page):
    return page.get_by_role("region", name="Plan")


def steps(page: Page):
    """The plan card's steps (not the items of its diff or audit trail)."""
    return plan_card(page).get_by_role("list", name="Steps", exact=True).get_by_role("listitem")


def step(page: Page, name: str):
    return steps(page).filter(has_text=name)


def conversation(page: Page):
    return page.get_by_role("log", name="Conversation")


def session_title(page: Page):
    return page.get_by_role("heading", name=re.compile(r"^Session started"))


def ask(page: Page, text: str) -> None:
    """Type a request in the message box and send it with Enter, as most people do."""
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def confirm(page: Page, title: str, button: str, safe: str = "Cancel") -> None:
    """Answer the confirmation dialog with `button`; the focus starts on the safe choice."""
    dialog = page.get_by_role("dialog", name=title)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name=safe)).to_be_focused()
    dialog.get_by_role("button", name=button).click()
    expect(dialog).to_be_hidden()
