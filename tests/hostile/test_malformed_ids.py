"""Ids that are not UUIDs, in the path or the body, are unknown (404) and never reach DynamoDB.

The ids are checked against the rule once, each goes through each host's path handling once,
and each endpoint is checked once per host with one of them.

The store is a DynamoDBSessionStore on moto; every DynamoDB API call its client makes is seen
through botocore's `before-call.dynamodb.*` event, so "never reaches DynamoDB" is counted, not
assumed.
"""

import re
from urllib.parse import quote

import pytest

from shared.ids import canonical_uuid
from tests.hostile.conftest import new_session, session_with_plan
from tests.hostile.support import API, DEPLOY, assert_error

MALFORMED = {
    "word": "not-a-uuid",
    "almost-uuid": "12345678-1234-1234-1234-12345678901z",
    "uuid-plus-one": "12345678-1234-1234-1234-1234567890123",
    "long": "a" * 5000,
    "long-uuid-prefix": "12345678-1234-1234-1234-123456789012" + "0" * 3000,
    "unicode": "会话-セッション-🙂-ñ",
    "rtl-and-zero-width": "\u202e\u200bdeadbeef",
    "dot-dot-slash": "../../etc/passwd",
    "dot-dot": "..",
    "encoded-traversal": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "sql": "' OR '1'='1'; DROP TABLE sessions;--",
    "nosql": '{"$ne": null}',
    "nosql-gt": '{"$gt": ""}',
    "key-syntax": "SESSION#META",
    "expression": "attribute_exists(PK) OR begins_with(PK, :p)",
    "null-byte": "abc\x00def",
    "newline": "abc\r\nX-Injected: 1",
    "html": "<script>alert(1)</script>",
    "format-string": "%s%s%s%n{0}{__class__}",
}


# One id per endpoint: path traversal, the most hostile of them to a router.
BAD = MALFORMED["dot-dot-slash"]


def _path(value: str) -> str:
    return quote(value, safe="")


def _assert_never_reached_dynamodb(backend):
    assert backend.log.calls == [], f"DynamoDB was called: {[n for n, _ in backend.log.calls]}"


@pytest.mark.parametrize("bad", list(MALFORMED.values()), ids=list(MALFORMED))
def test_the_rule_every_malformed_id_breaks(bad):
    """The one rule every endpoint applies before it looks anything up."""
    assert canonical_uuid(bad) is None


@pytest.mark.parametrize("bad", list(MALFORMED.values()), ids=list(MALFORMED))
async def test_each_malformed_id_in_a_path_is_404_and_never_reaches_dynamodb(
    moto_client, moto_backend, bad
):
    """What each id does to the host's routing and parsing (encoded slashes, null bytes, 5,000
    characters...), on one endpoint: the others share that path handling."""
    await new_session(moto_client)  # the table is not empty
    moto_backend.log.clear()

    answer = await moto_client.get(f"{API}/session/{_path(bad)}", headers={"X-User-Id": "alice"})

    assert_error(answer, 404, "not_found")
    _assert_never_reached_dynamodb(moto_backend)


@pytest.mark.parametrize(
    "method, template",
    [
        ("GET", "/session/{id}"),
        ("GET", "/session/{id}/messages"),
        ("DELETE", "/session/{id}"),
        ("GET", "/plan/{id}"),
        ("GET", "/plan/{id}/audit"),
        ("GET", "/plan/{id}/status"),
        ("GET", "/plan/{id}/poll"),
        ("POST", "/plan/{id}/approve"),
        ("POST", "/plan/{id}/reject"),
        ("POST", "/plan/{id}/abort"),
        ("POST", "/plan/{id}/modify"),
    ],
)
async def test_a_malformed_id_in_the_path_is_404_and_never_reaches_dynamodb(
    moto_client, moto_backend, method, template
):
    await new_session(moto_client)  # the table is not empty
    moto_backend.log.clear()
    link_calls = moto_backend.world.link.calls
    body = {"session_id": BAD, "plan_id": BAD, "user_message": DEPLOY}
    if template.endswith(("approve", "reject", "abort")):
        body = {"session_id": BAD}

    answer = await moto_client.request(
        method,
        API + template.format(id=_path(BAD)),
        json=body if method == "POST" else None,
        headers={"X-User-Id": "alice"},
    )

    assert_error(answer, 404, "not_found")
    _assert_never_reached_dynamodb(moto_backend)
    assert moto_backend.world.link.calls == link_calls


@pytest.mark.parametrize("endpoint", ["chat", "approve", "reject", "abort", "modify"])
async def test_a_malformed_id_in_the_body_is_404_and_never_reaches_dynamodb(
    moto_client, moto_backend, endpoint
):
    """Every id malformed: not one DynamoDB call."""
    if endpoint == "chat":
        url, body = f"{API}/chat", {"session_id": BAD, "message": DEPLOY}
    elif endpoint == "modify":
        url = f"{API}/plan/{_path(BAD)}/modify"
        body = {"plan_id": BAD, "session_id": BAD, "user_message": DEPLOY}
    else:
        url, body = f"{API}/plan/{_path(BAD)}/{endpoint}", {"session_id": BAD}
    moto_backend.log.clear()

    answer = await moto_client.post(url, json=body, headers={"X-User-Id": "alice"})

    assert_error(answer, 404, "not_found")
    _assert_never_reached_dynamodb(moto_backend)


@pytest.mark.parametrize("endpoint", ["approve", "reject", "abort", "modify", "get", "status"])
async def test_a_malformed_plan_id_next_to_a_real_session_never_reaches_dynamodb(
    moto_client, moto_backend, endpoint
):
    """The real session is looked up; the malformed plan id is not, in any form."""
    session_id, _ = await session_with_plan(moto_client)
    moto_backend.log.clear()
    base = f"{API}/plan/{_path(BAD)}"
    if endpoint in ("get", "status"):
        answer = await moto_client.get(
            base if endpoint == "get" else f"{base}/status", headers={"X-User-Id": "alice"}
        )
    else:
        body = {"session_id": session_id}
        if endpoint == "modify":
            body.update(plan_id=BAD, user_message=DEPLOY)
        answer = await moto_client.post(
            f"{base}/{endpoint}", json=body, headers={"X-User-Id": "alice"}
        )

    assert_error(answer, 404, "not_found")
    assert moto_backend.log.mentions(BAD) == []
    for name, params in moto_backend.log.calls:
        assert "PLAN#" not in moto_backend.log.text(params), f"{name} looked a plan up"


CANONICAL_KEY = re.compile(
    r"^(SESSION|PLAN)#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


def _spellings(session_id: str) -> dict[str, str]:
    return {
        "upper": session_id.upper(),
        "braces": "{" + session_id + "}",
        "urn": "urn:uuid:" + session_id,
        "no-hyphens": session_id.replace("-", ""),
        "padded": "  " + session_id + " ",
    }


@pytest.mark.parametrize("spelling", ["upper", "braces", "urn", "no-hyphens", "padded"])
async def test_other_spellings_of_a_uuid_reach_dynamodb_only_in_canonical_form(
    moto_client, moto_backend, spelling
):
    session_id = await new_session(moto_client)
    variant = _spellings(session_id)[spelling]
    moto_backend.log.clear()

    answer = await moto_client.get(
        f"{API}/session/{_path(variant)}", headers={"X-User-Id": "alice"}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["session_id"] == session_id
    keys = [
        value
        for _, params in moto_backend.log.calls
        for value in re.findall(r'"((?:SESSION|PLAN)#[^"]*)"', moto_backend.log.text(params))
    ]
    assert keys, "the session was read"
    assert all(CANONICAL_KEY.match(key) for key in keys), keys


async def test_a_uuid_spelled_in_other_digits_reaches_dynamodb_only_in_canonical_form(
    moto_client, moto_backend
):
    """uuid.UUID accepts any Unicode decimal digits (int() does); what reaches the table is
    still the canonical ASCII form, never the text that was sent."""
    arabic_indic_zeros = "\u0660" * 32
    moto_backend.log.clear()
    answer = await moto_client.get(
        f"{API}/session/{_path(arabic_indic_zeros)}", headers={"X-User-Id": "alice"}
    )
    assert_error(answer, 404, "not_found")
    assert moto_backend.log.mentions("\u0660") == []
    sent = moto_backend.log.text([params for _, params in moto_backend.log.calls])
    assert "SESSION#00000000-0000-0000-0000-000000000000" in sent
