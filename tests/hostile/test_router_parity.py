"""The Lambda router (shared/web/router.py) against the FastAPI app (functions/app.py): the same
request gets the same answer, and the middlewares both share answer it rightly.

Tests that compare the hosts send one request to each (`_on_both`), each host on a fresh
in-memory store; the others run on both hosts through the `host` fixture."""

import json
import re

import pytest

from shared.store.memory import InMemorySessionStore
from tests.hostile.conftest import new_session
from tests.hostile.support import API, DEPLOY, asgi_client, assert_error, build_world
from tests.hosts import HOSTS, dashboard_app

ALICE = {"X-User-Id": "alice"}


async def _on_both(send) -> dict:
    """`await send(http)` on each host; {host: its answer}."""
    answers = {}
    for host in HOSTS:
        app = dashboard_app(host)
        world = build_world(InMemorySessionStore())
        world.install(app)
        try:
            async with asgi_client(app) as http:
                answers[host] = await send(http)
        finally:
            world.uninstall(app)
            await world.orchestrator.aclose()
    return answers


# Routing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/health/"),
        ("GET", f"{API}/session/6f0c3f0e-0d52-4c1c-9f5e-1c1a2b3c4d5e/"),
        ("GET", f"{API}/plan/x/poll/"),
        ("POST", f"{API}/session/"),
        ("POST", f"{API}/chat/"),
    ],
)
async def test_a_trailing_slash_is_answered_alike_by_both_hosts(method, path):
    """No route: API Gateway's routes are exact, so neither host redirects (FastAPI's default
    redirect_slashes is off) and both answer 404 in the one error shape."""
    answers = await _on_both(lambda http: http.request(method, path, json={}, headers=ALICE))
    for answer in answers.values():
        assert_error(answer, 404, "not_found")


UNKNOWN = "6f0c3f0e-0d52-4c1c-9f5e-1c1a2b3c4d5e"
JSON = {"Content-Type": "application/json"}
ALIKE = {
    "head": ("HEAD", "/health", {}, None),
    "unknown-method": ("FOO", "/health", {}, None),
    "put-on-get": ("PUT", f"{API}/plan/x", {}, None),
    "encoded-slash": ("GET", f"{API}/session/x%2Fmessages", ALICE, None),
    "encoded-space": ("GET", f"{API}/session/%20", ALICE, None),
    "repeated-query-last-bad": ("GET", f"{API}/session/{UNKNOWN}/messages?limit=5&limit=abc",
                                ALICE, None),
    "repeated-query-last-good": ("GET", f"{API}/session/{UNKNOWN}/messages?limit=abc&limit=5",
                                 ALICE, None),
    "extra-query": ("GET", f"{API}/session/{UNKNOWN}/messages?foo=bar&limit=2", ALICE, None),
    "blank-query": ("GET", f"{API}/session/{UNKNOWN}/messages?limit", ALICE, None),
    "charset": ("POST", f"{API}/session",
                {"Content-Type": "application/json; charset=utf-8"}, b'{"user_id": 5}'),
    "plus-json": ("POST", f"{API}/chat", {"Content-Type": "application/vnd.api+json"}, b"{}"),
    "utf-16": ("POST", f"{API}/session", {"Content-Type": "application/json"},
               '{"user_id": "bob"}'.encode("utf-16")),
    "not-json": ("POST", f"{API}/chat", JSON, b"{"),
    "empty-required": ("POST", f"{API}/chat", JSON, b""),
    "empty-optional-text": ("POST", f"{API}/session", {"Content-Type": "text/plain"}, b""),
    "null-optional": ("POST", f"{API}/session", JSON, b"null"),
    "duplicate-keys": ("POST", f"{API}/chat", JSON,
                       f'{{"session_id": "x", "message": "hi", "session_id": "{UNKNOWN}"}}'
                       .encode()),
}  # fmt: skip


def _comparable(answer) -> tuple:
    body = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "U", answer.text)
    body = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "T", body)
    headers = {k: answer.headers.get(k) for k in ("content-type", "allow", "location")}
    if answer.request.method != "HEAD":
        assert answer.headers.get("content-length", "0") == str(len(answer.content))
    return answer.status_code, headers, body


@pytest.mark.parametrize("method, path, headers, body", list(ALIKE.values()), ids=list(ALIKE))
async def test_edge_requests_get_the_same_answer_from_both_hosts(method, path, headers, body):
    """Regression: status, content type, Allow and body (ids and times aside) are the same."""
    answers = await _on_both(lambda http: http.request(method, path, headers=headers, content=body))
    assert _comparable(answers["lambda"]) == _comparable(answers["fastapi"])


# Idempotency-Key ----------------------------------------------------------------------------


async def test_a_key_sent_to_a_path_no_operation_serves_is_not_spent(mem_client):
    """/chat/ is no route on either host (no redirect: API Gateway's routes are exact, so the
    local app answers 404 too): the key must stay free for the real request."""
    session_id = await new_session(mem_client)
    body = {"session_id": session_id, "message": DEPLOY}
    headers = {**ALICE, "Idempotency-Key": "slash-1"}
    missed = await mem_client.post(f"{API}/chat/", json=body, headers=headers)
    assert_error(missed, 404, "not_found")
    answer = await mem_client.post(f"{API}/chat", json=body, headers=headers)
    assert answer.status_code == 200, answer.text


# Bodies -------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/vnd/x+json", "application//+json"])
async def test_a_content_type_with_two_slashes_is_not_json(mem_client, content_type):
    """FastAPI reads the type with email.message (not a type/subtype pair: text/plain), the
    router only checks the "application/" prefix and the "+json" suffix."""
    answer = await mem_client.post(
        f"{API}/session",
        content=b'{"user_id": "bob"}',
        headers={"Content-Type": content_type},
    )
    assert_error(answer, 400, "invalid_request")


BODIES = {
    "null": (b"null", "application/json"),
    "array": (b"[]", "application/json"),
    "string": (b'"x"', "application/json"),
    "text-plain": (b"{}", "text/plain"),
    "bad-utf8": (b'{"message": "\xff\xfe"}', "application/json"),
}


@pytest.mark.parametrize("body, content_type", list(BODIES.values()), ids=list(BODIES))
async def test_a_body_that_is_not_an_object_gets_the_same_message_on_both_hosts(body, content_type):
    answers = await _on_both(
        lambda http: http.post(
            f"{API}/chat", content=body, headers={**ALICE, "Content-Type": content_type}
        )
    )
    messages = {h: assert_error(a, 400, "invalid_request")["message"] for h, a in answers.items()}
    assert messages["lambda"] == messages["fastapi"], messages
    assert "ChatRequest" not in messages["lambda"]  # a class name of the service


# Answers ------------------------------------------------------------------------------------


async def test_an_operation_answering_a_plain_dict_is_serialised_alike():
    """The router json.dumps a non-model result with the default separators."""
    answers = await _on_both(lambda http: http.get("/health"))
    bodies = {host: answer.content for host, answer in answers.items()}
    assert bodies["lambda"] == bodies["fastapi"], bodies


# Body limit ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_length", ["9" * 5000, "\u00b2"], ids=["5000-digits", "superscript-two"]
)
async def test_a_content_length_int_cannot_read_is_refused_not_a_500(mem_client, content_length):
    """limits.py checks str.isdigit() and then calls int(): "²" is a digit to isdigit() but
    not to int(), and int() refuses more than 4300 digits; both raise ValueError: a 500."""
    session_id = await new_session(mem_client)
    answer = await mem_client.post(
        f"{API}/chat",
        content=json.dumps({"session_id": session_id, "message": DEPLOY}).encode(),
        headers=[
            (b"Content-Type", b"application/json"),
            (b"X-User-Id", b"alice"),
            (b"Content-Length", content_length.encode("latin-1")),
        ],
    )
    assert_error(answer, {400, 413})
