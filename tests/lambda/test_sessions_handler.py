"""The sessions function through handler(event, context), with HTTP API v2 events."""

import json
import uuid

import pytest

from shared.api import MAX_BODY_BYTES
from tests.lambda_events import answer, http_event

SESSION = "/api/dashboard/session"
ONE_SESSION = "/api/dashboard/session/{session_id}"
MESSAGES = "/api/dashboard/session/{session_id}/messages"


def create(handler, context, body=None, sub=None):
    return answer(handler(http_event("POST", SESSION, body=body, sub=sub), context))


def get(handler, context, session_id, sub=None, route=ONE_SESSION, query=""):
    path = route.replace("{session_id}", session_id)
    return answer(handler(http_event("GET", path, route=route, sub=sub, query=query), context))


def assert_error(result, status: int, code: str) -> None:
    assert result.status == status
    assert result.headers["content-type"] == "application/json"
    assert set(result.body) == {"error"}
    assert set(result.body["error"]) == {"code", "message"}
    assert result.body["error"]["code"] == code
    assert result.body["error"]["message"]


def test_create_then_get_a_session(sessions_handler, context):
    created = create(sessions_handler, context, body={"user_id": "alice"})
    assert created.status == 201
    assert created.body["user_id"] == "alice"
    assert created.body["status"] == "idle"
    session_id = created.body["session_id"]

    fetched = get(sessions_handler, context, session_id)
    assert fetched.status == 200
    assert fetched.body["session_id"] == session_id
    assert fetched.body["messages"] == []

    page = get(sessions_handler, context, session_id, route=MESSAGES, query="limit=10")
    assert page.status == 200
    assert page.body == {"messages": [], "next_cursor": None}


def test_a_session_can_be_created_without_a_body(sessions_handler, context):
    created = create(sessions_handler, context)
    assert created.status == 201
    assert created.body["user_id"] == "anonymous"


def test_a_base64_encoded_body_is_decoded(sessions_handler, context):
    event = http_event("POST", SESSION, body={"user_id": "bob"}, base64_body=True)
    created = answer(sessions_handler(event, context))
    assert created.status == 201
    assert created.body["user_id"] == "bob"


@pytest.mark.parametrize("base64_body", [False, True], ids=["text", "base64"])
def test_a_body_past_the_limit_is_refused_with_413_as_decoded(
    sessions_handler, context, base64_body
):
    # Padded with spaces, still valid JSON: only its size is wrong. Base64 makes it a third
    # larger on the wire, so the limit must apply to what it decodes to, not to the event.
    padding = MAX_BODY_BYTES - len(json.dumps({"user_id": "bob"}))
    fits = '{"user_id": "bob"' + " " * padding + "}"
    event = http_event("POST", SESSION, body=fits, base64_body=base64_body)
    assert answer(sessions_handler(event, context)).status == 201

    event = http_event("POST", SESSION, body=fits + " ", base64_body=base64_body)
    assert_error(answer(sessions_handler(event, context)), 413, "payload_too_large")


def test_the_jwt_subject_owns_the_session_whatever_the_body_says(sessions_handler, context):
    created = create(sessions_handler, context, body={"user_id": "mallory"}, sub="sub-alice")
    assert created.status == 201
    assert created.body["user_id"] == "sub-alice"

    mine = get(sessions_handler, context, created.body["session_id"], sub="sub-alice")
    assert mine.status == 200
    assert mine.body["user_id"] == "sub-alice"


@pytest.mark.parametrize("route", [ONE_SESSION, MESSAGES])
def test_another_subject_gets_404_for_the_session(sessions_handler, context, route):
    created = create(sessions_handler, context, sub="sub-alice")
    other = get(sessions_handler, context, created.body["session_id"], sub="sub-bob", route=route)
    assert_error(other, 404, "not_found")


def test_without_an_identity_a_deployment_with_the_authorizer_answers_401(
    sessions_handler, context, lambda_env
):
    created = create(sessions_handler, context, sub="sub-alice")
    lambda_env.setenv("REQUIRE_IDENTITY", "true")  # what template.yaml sets with the authorizer
    from shared.settings import get_settings

    get_settings.cache_clear()
    anonymous = get(sessions_handler, context, created.body["session_id"])
    assert_error(anonymous, 401, "unauthenticated")


@pytest.mark.parametrize("body", ['{"user_id": "alice"', "not json at all", '{"user_id": }'])
def test_a_malformed_json_body_answers_400_in_the_error_shape(sessions_handler, context, body):
    result = create(sessions_handler, context, body=body)
    assert_error(result, 400, "invalid_request")
    assert "JSON" in result.body["error"]["message"]


def test_an_unknown_field_answers_400(sessions_handler, context):
    assert_error(create(sessions_handler, context, body={"user": "x"}), 400, "invalid_request")


@pytest.mark.parametrize("session_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_an_unknown_session_answers_404(sessions_handler, context, session_id):
    assert_error(get(sessions_handler, context, session_id), 404, "not_found")


def test_an_unknown_route_answers_404_in_the_error_shape(sessions_handler, context):
    result = answer(sessions_handler(http_event("GET", "/api/dashboard/nothing"), context))
    assert_error(result, 404, "not_found")


def test_health_answers_without_identity(sessions_handler, context):
    result = answer(sessions_handler(http_event("GET", "/health"), context))
    assert result.status == 200
    assert result.body == {"status": "ok"}


def test_the_answer_carries_the_request_id_that_the_logs_carry(sessions_handler, context):
    event = http_event("GET", "/health")
    result = answer(sessions_handler(event, context))
    request_id = event["requestContext"]["requestId"]
    assert result.headers["x-request-id"] == request_id

    from aws_lambda_powertools import Logger

    # The function's logger (same service, same formatter) still holds that request's keys.
    assert Logger(service="sessions").get_correlation_id() == request_id


def test_metrics_flush_with_and_without_a_metric(sessions_handler, context, capsys):
    """The cold-start metric goes out as EMF on stdout; a later call with no metric only warns."""
    from aws_lambda_powertools.metrics.provider import cold_start

    cold_start.is_cold_start = True
    with pytest.warns(UserWarning, match="No application metrics"):
        for _ in range(2):
            assert answer(sessions_handler(http_event("GET", "/health"), context)).status == 200
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    names = [
        m["Name"] for e in emitted for d in e["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]
    ]
    assert names == ["ColdStart"]
    assert emitted[0]["function_name"] == context.function_name
