"""Oversized bodies are refused with 413 before any work (no store access, no orchestrator
call, nothing stored), whether the size is announced (Content-Length) or not (chunked); an
over-long message is refused with 400 and stores nothing."""

import json

import pytest

from shared.api import MAX_BODY_BYTES
from shared.models import MAX_MESSAGE_CHARS
from tests.hostile.conftest import new_session, session_with_plan
from tests.hostile.support import API, DEPLOY, assert_error

# Every POST, with a body that would be valid but for its size.
ENDPOINTS = ["session", "chat", "approve", "reject", "modify", "abort"]


def _request(endpoint: str, session_id: str, plan_id: str) -> tuple[str, dict]:
    if endpoint == "session":
        return f"{API}/session", {}
    if endpoint == "chat":
        return f"{API}/chat", {"session_id": session_id, "message": "also run the tests"}
    body = {"session_id": session_id}
    if endpoint == "modify":
        body.update(plan_id=plan_id, user_message="also run the tests")
    return f"{API}/plan/{plan_id}/{endpoint}", body


def _padded(body: dict, size: int) -> bytes:
    """`body` as JSON, padded with whitespace (still valid JSON) to exactly `size` bytes."""
    text = json.dumps(body).encode()
    assert len(text) <= size
    return text[:-1] + b" " * (size - len(text)) + b"}"


async def _chunks(data: bytes, chunk: int = 8192):
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]


class _Watch:
    """What a request did: orchestrator calls, DynamoDB calls, and whether anything changed."""

    def __init__(self, backend):
        self.backend = backend
        if backend.log:
            backend.log.clear()
        self.mark = backend.mark()
        self.calls_before = backend.world.link.calls

    def assert_no_work(self):
        assert self.backend.world.link.calls == self.calls_before, "the orchestrator was called"
        if self.backend.log:
            assert self.backend.log.calls == [], f"DynamoDB was called: {self.backend.log.calls}"
        assert not self.backend.stored_since(self.mark), "something was stored"


# On the DynamoDB store (moto), whose every call is logged: "no work" includes no DynamoDB call.
@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_oversized_body_with_content_length_is_refused_before_any_work(
    moto_client, moto_backend, endpoint
):
    session_id, plan_id = await session_with_plan(moto_client)
    url, body = _request(endpoint, session_id, plan_id)
    watch = _Watch(moto_backend)

    answer = await moto_client.post(
        url,
        content=_padded(body, MAX_BODY_BYTES + 1),
        headers={"Content-Type": "application/json", "X-User-Id": "alice",
                 "Idempotency-Key": "big-1"},
    )  # fmt: skip

    assert answer.request.headers["content-length"] == str(MAX_BODY_BYTES + 1)
    assert_error(answer, 413, "payload_too_large")
    watch.assert_no_work()


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data; boundary=xyz", None],
    ids=["text", "multipart", "none"],
)  # fmt: skip
async def test_an_oversized_body_of_any_content_type_is_refused_before_any_work(
    moto_client, moto_backend, content_type
):
    """Not only JSON: a body the app would read as a form, or not read at all (POST /session
    reads a multipart body as an empty form, and its body is optional), is 413 too."""
    watch = _Watch(moto_backend)
    headers = {"X-User-Id": "alice", **({"Content-Type": content_type} if content_type else {})}
    answer = await moto_client.post(
        f"{API}/session", content=b"x" * (MAX_BODY_BYTES + 1), headers=headers
    )
    assert_error(answer, 413, "payload_too_large")
    watch.assert_no_work()


async def test_an_oversized_body_on_a_read_is_refused(moto_client, moto_backend):
    session_id = await new_session(moto_client)
    answer = await moto_client.request(
        "GET", f"{API}/session/{session_id}", content=b"x" * (MAX_BODY_BYTES + 1),
        headers={"X-User-Id": "alice"},
    )  # fmt: skip
    assert_error(answer, 413, "payload_too_large")


async def test_a_body_of_exactly_the_limit_is_accepted(client, backend):
    session_id, _ = await session_with_plan(client)
    answer = await client.post(
        f"{API}/chat",
        content=_padded({"session_id": session_id, "message": "also run the tests"},
                        MAX_BODY_BYTES),
        headers={"Content-Type": "application/json", "X-User-Id": "alice"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text


async def test_a_small_chunked_body_is_read_normally(client, backend):
    """The control for the next test: chunked bodies as such work."""
    session_id = await new_session(client)
    body = json.dumps({"session_id": session_id, "message": DEPLOY}).encode()
    answer = await client.post(
        f"{API}/chat",
        content=_chunks(body, 16),
        headers={"Content-Type": "application/json", "X-User-Id": "alice"},
    )
    assert "content-length" not in answer.request.headers
    assert answer.request.headers["transfer-encoding"] == "chunked"
    assert answer.status_code == 200, answer.text


# Each endpoint, and once with an Idempotency-Key: the body is refused before any key is claimed.
CHUNKED_CASES = [pytest.param(endpoint, None, id=endpoint) for endpoint in ENDPOINTS] + [
    pytest.param("chat", "big-2", id="chat-idempotency-key")
]


@pytest.mark.parametrize(("endpoint", "key"), CHUNKED_CASES)
async def test_oversized_chunked_body_without_content_length_is_refused_before_any_work(
    moto_client, moto_backend, endpoint, key
):
    session_id, plan_id = await session_with_plan(moto_client)
    url, body = _request(endpoint, session_id, plan_id)
    watch = _Watch(moto_backend)
    headers = {"Content-Type": "application/json", "X-User-Id": "alice"}
    if key:
        headers["Idempotency-Key"] = key

    answer = await moto_client.post(
        url, content=_chunks(_padded(body, 4 * MAX_BODY_BYTES)), headers=headers
    )

    assert "content-length" not in answer.request.headers
    assert_error(answer, 413, "payload_too_large")
    watch.assert_no_work()


# Message length -------------------------------------------------------------------------------


async def test_a_message_one_character_too_long_is_refused_and_nothing_stored(client, backend):
    session_id = await new_session(client)
    watch = _Watch(backend)

    answer = await client.post(
        f"{API}/chat",
        json={"session_id": session_id, "message": "d" * (MAX_MESSAGE_CHARS + 1)},
        headers={"X-User-Id": "alice"},
    )

    assert MAX_MESSAGE_CHARS + 1 == 10_001
    error = assert_error(answer, 400, "invalid_request")
    assert "message" in error["message"]
    watch.assert_no_work()
    history = await client.get(f"{API}/session/{session_id}", headers={"X-User-Id": "alice"})
    assert history.json()["messages"] == []


async def test_a_change_request_one_character_too_long_is_refused_and_nothing_stored(
    client, backend
):
    session_id, plan_id = await session_with_plan(client)
    watch = _Watch(backend)

    answer = await client.post(
        f"{API}/plan/{plan_id}/modify",
        json={"plan_id": plan_id, "session_id": session_id,
              "user_message": "d" * (MAX_MESSAGE_CHARS + 1)},
        headers={"X-User-Id": "alice"},
    )  # fmt: skip

    assert_error(answer, 400, "invalid_request")
    watch.assert_no_work()


@pytest.mark.parametrize("char", ["d", "é", "會", "🙂"], ids=["ascii", "latin", "cjk", "emoji"])
async def test_a_message_of_exactly_the_limit_is_accepted(client, backend, char):
    """10,000 characters, counted as characters, not bytes (UTF-8, not \\u-escaped: 40 KB for
    emoji, under the body limit)."""
    session_id = await new_session(client)
    message = "deploy " + char * (MAX_MESSAGE_CHARS - 7)
    answer = await client.post(
        f"{API}/chat",
        content=json.dumps({"session_id": session_id, "message": message},
                           ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "X-User-Id": "alice"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["messages"][0]["content"] == message
