"""CORS: the configured origins (http://localhost:3000 among the defaults) get their origin
echoed; any other origin, however close, gets no Access-Control-Allow-Origin at all, and a
preflight refused (origin or method) is Starlette's 400 naming what it refused. That answer is
the browser's alone (it gives the page no part of it), so it keeps Starlette's text."""

import pytest

from tests.hostile.conftest import new_session
from tests.hostile.support import ALLOWED_ORIGIN, API, EVIL_ORIGIN, assert_error


@pytest.fixture
def host() -> str:
    """CORS is the all-in-one app's. Deployed, API Gateway answers it from the template's
    CorsConfiguration (tests/lambda/test_template.py), and the Lambda router has none."""
    return "fastapi"


def _preflight(origin: str, method: str = "POST", headers: str = "content-type,x-user-id"):
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


@pytest.mark.parametrize("path", ["/chat", "/session", "/plan/x/approve", "/plan/x/poll"])
async def test_a_preflight_from_the_allowed_origin_gets_it_echoed(mem_client, path):
    answer = await mem_client.options(
        API + path,
        headers=_preflight(ALLOWED_ORIGIN, headers="content-type,x-user-id,idempotency-key"),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "POST" in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert {"content-type", "x-user-id", "idempotency-key"} <= set(allowed.split(","))
    assert "origin" in answer.headers.get("vary", "").lower()


HOSTILE_ORIGINS = {
    "evil": EVIL_ORIGIN,
    "null": "null",
    "suffix": "http://localhost:3000.evil.example",
    "prefix": "http://evil.example/http://localhost:3000",
    "userinfo": "http://localhost:3000@evil.example",
    "other-port": "http://localhost:30000",
    "other-scheme": "https://localhost:3000",
    "subdomain": "http://evil.localhost:3000",
    "upper-case": "HTTP://LOCALHOST:3000",
    "wildcard": "*",
    "trailing-slash": "http://localhost:3000/",
}


@pytest.mark.parametrize("origin", list(HOSTILE_ORIGINS.values()), ids=list(HOSTILE_ORIGINS))
async def test_a_preflight_from_any_other_origin_gets_no_allow_origin(mem_client, origin):
    answer = await mem_client.options(f"{API}/chat", headers=_preflight(origin))
    assert (answer.status_code, answer.text) == (400, "Disallowed CORS origin")
    assert "access-control-allow-origin" not in answer.headers
    assert answer.headers.get("access-control-allow-origin") != "*"


async def test_a_preflight_refused_for_two_reasons_names_both(mem_client):
    answer = await mem_client.options(f"{API}/chat", headers=_preflight(EVIL_ORIGIN, "PUT"))
    assert (answer.status_code, answer.text) == (400, "Disallowed CORS origin, method")


async def test_a_preflight_to_the_page_from_another_origin_is_refused(mem_client):
    answer = await mem_client.options("/", headers=_preflight(EVIL_ORIGIN, "GET"))
    assert (answer.status_code, answer.text) == (400, "Disallowed CORS origin")
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize("origin", list(HOSTILE_ORIGINS.values()), ids=list(HOSTILE_ORIGINS))
async def test_a_request_from_another_origin_gets_no_allow_origin(mem_client, origin):
    """The request itself is answered (CORS is the browser's business), but without
    Access-Control-Allow-Origin no page of that origin can read it. (Starlette adds
    Allow-Credentials and Expose-Headers to every answer; without Allow-Origin they grant
    nothing.)"""
    session_id = await new_session(mem_client)
    answer = await mem_client.get(
        f"{API}/session/{session_id}", headers={"Origin": origin, "X-User-Id": "alice"}
    )
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


async def test_the_allowed_origin_can_read_answers_and_error_answers(mem_client):
    session_id = await new_session(mem_client)
    headers = {"Origin": ALLOWED_ORIGIN, "X-User-Id": "alice"}

    ok = await mem_client.get(f"{API}/session/{session_id}", headers=headers)
    missing = await mem_client.get(f"{API}/session/not-a-session", headers=headers)
    bad = await mem_client.post(f"{API}/chat", content=b"{", headers=headers)
    big = await mem_client.post(
        f"{API}/chat",
        content=b"{" + b" " * 70_000 + b"}",
        headers={**headers, "Content-Type": "application/json"},
    )

    assert ok.status_code == 200
    assert_error(missing, 404)
    assert_error(bad, 400)
    assert_error(big, 413)
    for answer in (ok, missing, bad, big):
        assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert answer.headers["access-control-allow-credentials"] == "true"


async def test_poll_exposes_its_interval_header_to_the_allowed_origin(mem_client):
    ok = await mem_client.get(f"{API}/plan/x/poll", headers={"Origin": ALLOWED_ORIGIN})
    assert ok.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "x-poll-interval" in ok.headers.get("access-control-expose-headers", "").lower()
    evil = await mem_client.get(f"{API}/plan/x/poll", headers={"Origin": EVIL_ORIGIN})
    assert "access-control-allow-origin" not in evil.headers


async def test_a_preflight_for_delete_is_allowed_as_the_template_allows_it(mem_client):
    # DELETE /session/{id}: the page on another origin (a dev server) must be able to send it.
    answer = await mem_client.options(
        f"{API}/session/x", headers=_preflight(ALLOWED_ORIGIN, "DELETE")
    )
    assert answer.status_code == 200
    assert "DELETE" in answer.headers["access-control-allow-methods"]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_a_preflight_for_a_method_not_served_is_refused(mem_client, method):
    answer = await mem_client.options(f"{API}/chat", headers=_preflight(ALLOWED_ORIGIN, method))
    assert (answer.status_code, answer.text) == (400, "Disallowed CORS method")
    assert method not in answer.headers.get("access-control-allow-methods", "")
