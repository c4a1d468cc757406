"""Malformed requests: not JSON, the wrong content type, JSON that is not an object, unknown or
mistyped fields, bad query parameters, huge or odd headers. Each is a 400 in the one shape that
stores nothing and calls nobody; huge identity headers break nothing."""

import json
import uuid

import pytest

from shared.models import MAX_MESSAGE_CHARS
from tests.hostile.conftest import new_session, session_with_plan
from tests.hostile.support import ALLOWED_ORIGIN, API, DEPLOY, assert_error

ALICE = {"X-User-Id": "alice"}
POSTS = ["session", "chat", "approve", "reject", "modify", "abort"]


def _cases(kinds: dict, other_endpoints: str) -> list:
    """Every kind on POST /chat, and one kind (`other_endpoints`) on each other POST: the bodies
    are all read by the same code, so the endpoints are told apart once each, not per kind."""
    cases = [pytest.param("chat", value, id=f"chat-{kind}") for kind, value in kinds.items()]
    value = kinds[other_endpoints]
    for endpoint in POSTS:
        if endpoint != "chat":
            cases.append(pytest.param(endpoint, value, id=f"{endpoint}-{other_endpoints}"))
    return cases


def _url(endpoint: str, plan_id: str) -> str:
    if endpoint in ("session", "chat"):
        return f"{API}/{endpoint}"
    return f"{API}/plan/{plan_id}/{endpoint}"


def _valid_body(endpoint: str, session_id: str, plan_id: str) -> dict:
    if endpoint == "session":
        return {"user_id": "alice"}
    if endpoint == "chat":
        return {"session_id": session_id, "message": "also run the tests"}
    if endpoint == "modify":
        return {"plan_id": plan_id, "session_id": session_id, "user_message": "add tests"}
    return {"session_id": session_id}


class _NoWork:
    def __init__(self, backend):
        self.backend = backend
        self.mark = backend.mark()
        self.calls = backend.world.link.calls

    def check(self):
        assert self.backend.world.link.calls == self.calls, "the orchestrator was called"
        assert not self.backend.stored_since(self.mark), "something was stored"


@pytest.fixture
async def plan(client):
    """A session with a plan under review: every POST would do something real."""
    return await session_with_plan(client)


@pytest.fixture
async def mem_plan(mem_client):
    """The same on the in-memory store only: for the checks made before any store access,
    where the DynamoDB variant adds time and no information."""
    return await session_with_plan(mem_client)


NOT_JSON = {
    "empty-object-open": b"{",
    "trailing-comma": b'{"session_id": "x",}',
    "single-quotes": b"{'session_id': 'x'}",
    "bare-word": b"deploy everything",
    "bad-utf8": b'{"message": "\xff\xfe"}',
    "nul-bytes": b"\x00\x00\x00",
    "comments": b'{"session_id": "x" /* hi */}',
    "deep-nesting": b"[" * 30_000,
    "deep-objects": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "huge-number": b'{"session_id": 1' + b"0" * 10_000 + b"}",
}


@pytest.mark.parametrize(("endpoint", "body"), _cases(NOT_JSON, "trailing-comma"))
async def test_a_body_that_is_not_json_is_400(mem_client, memory_backend, mem_plan, endpoint, body):
    _, plan_id = mem_plan
    watch = _NoWork(memory_backend)
    answer = await mem_client.post(
        _url(endpoint, plan_id), content=body,
        headers={**ALICE, "Content-Type": "application/json"},
    )  # fmt: skip
    assert_error(answer, 400, "invalid_request")
    watch.check()


CONTENT_TYPES = {
    "text": "text/plain",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data; boundary=xyz",
    "xml": "application/xml",
    "octet-stream": "application/octet-stream",
    "png": "image/png",
    "html": "text/html; charset=utf-8",
    "garbage": "garbage" * 500,
    "none": None,
}
# Each endpoint once with a type Powertools reads as a form and once with none: those two are
# where the hosts differ (see below).
CONTENT_TYPE_CASES = _cases(CONTENT_TYPES, "multipart") + [
    pytest.param(endpoint, None, id=f"{endpoint}-none") for endpoint in POSTS if endpoint != "chat"
]


# What each POST answers, on a plan under review, to its valid JSON body.
AS_JSON = {"session": 201, "chat": 200, "approve": 200, "reject": 200, "modify": 200, "abort": 409}


@pytest.mark.parametrize(("endpoint", "content_type"), CONTENT_TYPE_CASES)
async def test_a_body_of_another_content_type_is_400(
    mem_client, memory_backend, mem_plan, endpoint, content_type, host
):
    """The body would be valid JSON; announced as something else, it is not read as JSON.
    Announced as nothing, Powertools reads it as JSON on the Lambda host (FastAPI does not)."""
    session_id, plan_id = mem_plan
    body = json.dumps(_valid_body(endpoint, session_id, plan_id)).encode()
    if content_type and content_type.startswith("application/x-www-form-urlencoded"):
        body = b"session_id=" + session_id.encode() + b"&message=deploy"
    headers = {**ALICE, "Content-Type": content_type} if content_type else ALICE
    watch = _NoWork(memory_backend)
    answer = await mem_client.post(_url(endpoint, plan_id), content=body, headers=headers)
    if content_type is None and host == "lambda":
        # Answered as the JSON body would be: the action done (an abort of a plan that is not
        # running is refused for that, not for its body).
        assert answer.status_code == AS_JSON[endpoint], answer.text
        return
    if host == "lambda" and endpoint == "session" and content_type.startswith("multipart/"):
        # Powertools reads a form; one it cannot split has no fields, and the session body
        # is optional: a session is made, with nothing taken from the body.
        assert answer.status_code == 201, answer.text
        return
    assert_error(answer, 400, "invalid_request")
    watch.check()


NOT_OBJECTS = {
    "empty-array": [],
    "array-of-the-object": ["OBJECT"],
    "array-of-null-and-more": [None, []],  # null alone is an empty body for POST /session
    "string": "deploy",
    "number": 42,
    "true": True,
    "null": None,
}


# POST /session, whose body is optional (null is none there), is tried with every kind too;
# null on each other endpoint.
NOT_OBJECT_CASES = (
    _cases(NOT_OBJECTS, "array-of-the-object")
    + [
        pytest.param("session", value, id=f"session-{kind}")
        for kind, value in NOT_OBJECTS.items()
        if kind != "array-of-the-object"
    ]
    + [
        pytest.param(endpoint, None, id=f"{endpoint}-null")
        for endpoint in POSTS
        if endpoint not in ("chat", "session")
    ]
)


@pytest.mark.parametrize(("endpoint", "value"), NOT_OBJECT_CASES)
async def test_json_that_is_not_an_object_is_400(
    mem_client, memory_backend, mem_plan, endpoint, value
):
    """An array is refused even when an item would pass as the body: Powertools would validate
    a list's first item as the body, were it not for the Lambda adapter's JSON reader."""
    session_id, plan_id = mem_plan
    if value == ["OBJECT"]:
        value = [_valid_body(endpoint, session_id, plan_id)]
    watch = _NoWork(memory_backend)
    answer = await mem_client.post(_url(endpoint, plan_id), json=value, headers=ALICE)
    if endpoint == "session" and value is None:
        assert answer.status_code == 201, answer.text  # the body is optional: null is none
        return
    assert_error(answer, 400, "invalid_request")
    watch.check()


EXTRAS = {
    "plain": {"admin": True},
    "user-id-smuggling": {"user_id": "mallory"},
    "status": {"status": "approved"},
    "nested": {"session": {"$ne": None}},
    "proto": {"__proto__": {"admin": True}},
    "empty-key": {"": "x"},
}


# Each endpoint's own model refuses what it does not know; the status an action would set is
# tried on each action too.
EXTRA_CASES = _cases(EXTRAS, "plain") + [
    pytest.param(endpoint, EXTRAS["status"], id=f"{endpoint}-status")
    for endpoint in ("approve", "reject", "modify", "abort")
]


@pytest.mark.parametrize(("endpoint", "extra"), EXTRA_CASES)
async def test_unknown_fields_are_400(mem_client, memory_backend, mem_plan, endpoint, extra):
    session_id, plan_id = mem_plan
    body = {**_valid_body(endpoint, session_id, plan_id), **extra}
    watch = _NoWork(memory_backend)
    answer = await mem_client.post(_url(endpoint, plan_id), json=body, headers=ALICE)
    assert_error(answer, 400, "invalid_request")
    watch.check()


WRONG_TYPES = [1, 1.5, True, None, [], {}, ["a"], {"$gt": ""}]


@pytest.mark.parametrize("value", WRONG_TYPES, ids=lambda v: type(v).__name__ + json.dumps(v))
@pytest.mark.parametrize("field", ["session_id", "message"])
async def test_mistyped_fields_are_400(mem_client, memory_backend, mem_plan, field, value):
    session_id, _ = mem_plan
    body = {"session_id": session_id, "message": DEPLOY, field: value}
    watch = _NoWork(memory_backend)
    answer = await mem_client.post(f"{API}/chat", json=body, headers=ALICE)
    assert_error(answer, 400, "invalid_request")
    watch.check()


@pytest.mark.parametrize("message", ["", " ", "\n\t  ", "\u3000"], ids=repr)
async def test_an_empty_or_blank_message_is_400(mem_client, memory_backend, mem_plan, message):
    session_id, _ = mem_plan
    watch = _NoWork(memory_backend)
    answer = await mem_client.post(
        f"{API}/chat", json={"session_id": session_id, "message": message}, headers=ALICE
    )
    assert_error(answer, 400, "invalid_request")
    watch.check()


async def test_an_unknown_field_name_is_not_echoed_back(mem_client):
    session_id = await new_session(mem_client)
    name = 'Traceback (most recent call last): File "/srv/x.py" <script>alert(1)</script>'
    answer = await mem_client.post(
        f"{API}/chat",
        json={"session_id": session_id, "message": DEPLOY, name + "x" * 20_000: 1},
        headers=ALICE,
    )
    error = assert_error(answer, 400, "invalid_request")
    assert "<script>" not in error["message"]
    assert len(error["message"]) < 1_000


QUERIES = [
    {"limit": "0"},
    {"limit": "-1"},
    {"limit": "501"},
    {"limit": "abc"},
    {"limit": "1e3"},
    {"limit": "9" * 400},
    {"limit": ""},
    {"cursor": "not-a-cursor"},
    {"cursor": "!!!!"},
    {"cursor": "x" * 201},
    {"cursor": "TVNHIzAxSDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA"},  # base64 of a key of another shape
    {"cursor": "\u202e\u0000"},
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: json.dumps(q)[:40])
async def test_bad_history_query_parameters_are_400(mem_client, memory_backend, mem_plan, query):
    session_id, _ = mem_plan
    watch = _NoWork(memory_backend)
    answer = await mem_client.get(
        f"{API}/session/{session_id}/messages", params=query, headers=ALICE
    )
    assert_error(answer, 400, "invalid_request")
    watch.check()


# Headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [129, 8 * 1024, 64 * 1024, 1024 * 1024])
async def test_a_huge_x_user_id_breaks_nothing(client, backend, size):
    huge = {"X-User-Id": "u" * size}
    created = await client.post(f"{API}/session", json={}, headers=huge)
    assert created.status_code == 201, created.text[:300]
    session = created.json()
    assert 1 <= len(session["user_id"]) <= 128

    chat = await client.post(
        f"{API}/chat", json={"session_id": session["session_id"], "message": DEPLOY},
        headers={**huge, "Idempotency-Key": uuid.uuid4().hex},
    )  # fmt: skip
    assert chat.status_code == 200, chat.text[:300]
    plan_id = chat.json()["plan"]["plan_id"]
    for path in (f"/session/{session['session_id']}", f"/plan/{plan_id}/status"):
        mine = await client.get(API + path, headers=huge)
        assert mine.status_code == 200, mine.text[:300]
        theirs = await client.get(API + path, headers={"X-User-Id": "v" * size})
        assert_error(theirs, 404, "not_found")


@pytest.mark.parametrize(
    "value",
    [b"\xff\xfe\xfd", "é".encode("latin-1"), "🙂".encode(), b"a\tb", b"'; DROP TABLE x;--"],
    ids=["high-bytes", "latin-1", "utf-8", "tab", "sql"],
)
async def test_odd_x_user_id_bytes_break_nothing(client, backend, value):
    headers = [(b"X-User-Id", value)]
    created = await client.post(f"{API}/session", json={}, headers=headers)
    assert created.status_code == 201, created.text
    session_id = created.json()["session_id"]
    mine = await client.get(f"{API}/session/{session_id}", headers=headers)
    assert mine.status_code == 200, mine.text
    theirs = await client.get(f"{API}/session/{session_id}", headers=ALICE)
    assert_error(theirs, 404, "not_found")


@pytest.mark.parametrize("value", [" ", "\t", "   \t  "], ids=repr)
async def test_a_blank_x_user_id_is_no_identity(mem_client, value):
    created = await mem_client.post(f"{API}/session", json={}, headers={"X-User-Id": value})
    assert created.status_code == 201
    assert created.json()["user_id"] == "anonymous"


@pytest.mark.parametrize(
    "headers",
    [
        {"Idempotency-Key": "k" * 100_000},
        {"Idempotency-Key": "has spaces and / slashes"},
        {"Idempotency-Key": ""},
        {"Origin": "http://" + "a" * 100_000 + ".example"},
        {"Accept": "x" * 100_000},
        {"X-Forwarded-For": ", ".join(["10.0.0.1"] * 10_000)},
        {"Cookie": "s=" + "c" * 100_000},
    ],
    ids=["huge-key", "bad-key", "empty-key", "huge-origin", "huge-accept", "long-xff",
         "huge-cookie"],
)  # fmt: skip
async def test_other_huge_or_bad_headers_break_nothing(client, backend, plan, headers):
    session_id, _ = plan
    answer = await client.post(
        f"{API}/chat", json={"session_id": session_id, "message": "also add tests"},
        headers={**ALICE, **headers},
    )  # fmt: skip
    if "Idempotency-Key" in headers:
        assert_error(answer, 400, "invalid_request")
    else:
        assert answer.status_code == 200, answer.text[:300]
    assert "access-control-allow-origin" not in answer.headers


async def test_the_largest_valid_request_from_the_allowed_origin_works(client, backend, host):
    """The limits together: a 10,000-character message, a 128-character identity, a
    128-character Idempotency-Key, from the allowed origin."""
    user = "u" * 128
    session_id = await new_session(client, user)
    answer = await client.post(
        f"{API}/chat",
        json={"session_id": session_id, "message": "deploy " + "x" * (MAX_MESSAGE_CHARS - 7)},
        # unique per run: the moto table outlives one test
        headers={
            "X-User-Id": user,
            "Idempotency-Key": (uuid.uuid4().hex * 4)[:128],
            "Origin": ALLOWED_ORIGIN,
        },
    )
    assert answer.status_code == 200, answer.text[:300]
    if host == "fastapi":  # deployed, CORS is API Gateway's
        assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
