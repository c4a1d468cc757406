"""Error answers never carry internals: no trace, file path, library or exception class name,
whatever failed (an unexpected exception, the store, the orchestrator); the trace goes to the
log. Every one has the one shape {"error": {"code", "message"}}."""

import json
import logging

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from shared.store.dynamodb import DynamoDBSessionStore
from tests.hostile.conftest import new_session, session_with_plan
from tests.hostile.support import (
    ALLOWED_ORIGIN,
    API,
    DEPLOY,
    ORCHESTRATOR_DEPENDENCY,
    STORE_DEPENDENCY,
    asgi_client,
    assert_error,
    leaks,
)

SECRET = 'boom in File "/srv/app/shared/secret.py", line 7: botocore.exceptions.ClientError'
GENERIC_500 = {"error": {"code": "internal_error", "message": "Something went wrong on our side."}}
ALICE = {"X-User-Id": "alice"}


def _raise(error: Exception):
    def dependency():
        raise error

    return dependency


REQUESTS = {
    "create session": ("POST", "/session", {}),
    "read session": ("GET", "/session/{session_id}", None),
    "history": ("GET", "/session/{session_id}/messages", None),
    "chat": ("POST", "/chat", {"session_id": "{session_id}", "message": DEPLOY}),
    "plan": ("GET", "/plan/{plan_id}", None),
    "approve": ("POST", "/plan/{plan_id}/approve", {"session_id": "{session_id}"}),
    "poll": ("GET", "/plan/{plan_id}/poll", None),
}


def _fill(value, **ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, **ids) for k, v in value.items()}
    return value


async def _send(http, name, headers=None, **ids):
    method, path, body = REQUESTS[name]
    return await http.request(
        method, API + _fill(path, **ids), json=_fill(body, **ids), headers=headers or ALICE
    )


def _assert_generic_500(answer):
    assert answer.status_code == 500, answer.text
    assert answer.json() == GENERIC_500
    assert answer.headers["content-type"].startswith("application/json")
    assert "secret" not in answer.text and not leaks(answer.text)


@pytest.mark.parametrize("name", list(REQUESTS))
async def test_an_unexpected_exception_answers_the_generic_500_and_logs_the_trace(
    mem_client, host_app, caplog, name
):
    session_id, plan_id = await session_with_plan(mem_client)
    host_app.dependency_overrides[STORE_DEPENDENCY] = _raise(RuntimeError(SECRET))

    with caplog.at_level(logging.ERROR):
        answer = await _send(mem_client, name, session_id=session_id, plan_id=plan_id)

    _assert_generic_500(answer)
    traces = [r for r in caplog.records if r.exc_info and SECRET in str(r.exc_info[1])]
    assert traces, "the trace goes to the log"


@pytest.mark.parametrize("error", [RuntimeError(SECRET), KeyError(SECRET), TypeError(SECRET)])
async def test_an_unexpected_exception_inside_the_store_answers_the_generic_500(
    mem_client, memory_backend, monkeypatch, error
):
    session_id = await new_session(mem_client)

    def broken(*_, **__):
        raise error

    monkeypatch.setattr(memory_backend.store, "get_session", broken)
    answer = await _send(mem_client, "read session", session_id=session_id)
    _assert_generic_500(answer)


async def test_an_unexpected_exception_from_the_orchestrator_dependency_answers_500(
    mem_client, host_app
):
    session_id = await new_session(mem_client)
    host_app.dependency_overrides[ORCHESTRATOR_DEPENDENCY] = _raise(RuntimeError(SECRET))
    answer = await _send(mem_client, "chat", session_id=session_id)
    _assert_generic_500(answer)


async def test_an_unexpected_exception_behind_an_idempotency_key_answers_500(
    mem_client, host_app
):
    """The idempotency middleware reaches the store before the routes do."""
    session_id = await new_session(mem_client)
    host_app.dependency_overrides[STORE_DEPENDENCY] = _raise(RuntimeError(SECRET))
    answer = await _send(
        mem_client, "chat", headers={**ALICE, "Idempotency-Key": "k-500"}, session_id=session_id
    )
    _assert_generic_500(answer)


# CORS is the all-in-one app's; deployed, API Gateway answers it (tests/lambda/test_template.py).
@pytest.mark.parametrize("host", ["fastapi"])
async def test_the_500_answer_is_readable_by_the_web_client(mem_client, host_app):
    session_id = await new_session(mem_client)
    host_app.dependency_overrides[STORE_DEPENDENCY] = _raise(RuntimeError(SECRET))
    answer = await _send(
        mem_client, "read session", headers={**ALICE, "Origin": ALLOWED_ORIGIN},
        session_id=session_id,
    )  # fmt: skip
    _assert_generic_500(answer)
    assert answer.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN


# The store failing ------------------------------------------------------------------------


class _FailingClient:
    """A DynamoDB client whose every call fails the way botocore fails."""

    def __init__(self, error: Exception):
        self._error = error

    def __getattr__(self, name):
        def call(**_):
            raise self._error

        return call


STORE_FAILURES = {
    "throttled": ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": SECRET}}, "GetItem"
    ),
    "validation": ClientError(
        {
            "Error": {
                "Code": "ValidationException",
                "Message": f"arn:aws:dynamodb:us-east-1:123456789012:table/secret {SECRET}",
            }
        },
        "GetItem",
    ),  # fmt: skip
    "unreachable": EndpointConnectionError(endpoint_url="https://dynamodb.internal:8000/secret"),
}


@pytest.mark.parametrize("failure", list(STORE_FAILURES))
@pytest.mark.parametrize("name", ["create session", "read session", "chat"])
async def test_a_failing_store_answers_503_without_details(
    memory_backend, host_app, failure, name
):
    world = memory_backend.world
    world.store = DynamoDBSessionStore(_FailingClient(STORE_FAILURES[failure]), "secret-table")
    world.install(host_app)
    try:
        async with asgi_client(host_app) as http:
            answer = await _send(
                http, name, session_id="6f0c3f0e-0d52-4c1c-9f5e-1c1a2b3c4d5e", plan_id="x"
            )
    finally:
        world.uninstall(host_app)
        world.orchestrator.close()
    assert_error(answer, 503, "store_unavailable")
    assert "secret" not in answer.text


async def test_a_missing_table_answers_503_without_details(moto_table, moto_backend, host_app):
    """A real botocore error from moto: ResourceNotFoundException for a table not there."""
    client = moto_table[0]
    moto_backend.world.store = DynamoDBSessionStore(client, "no-such-table-secret")
    moto_backend.world.install(host_app)
    try:
        async with asgi_client(host_app) as http:
            answer = await _send(http, "create session")
    finally:
        moto_backend.world.uninstall(host_app)
        moto_backend.world.orchestrator.close()
    assert_error(answer, 503, "store_unavailable")
    assert "no-such-table" not in answer.text


# The orchestrator failing -------------------------------------------------------------------

ACTIONS = ["chat", "plan", "status", "poll", "approve", "reject", "modify", "abort"]


async def _act(http, action: str, session_id: str, plan_id: str):
    if action == "chat":
        body = {"session_id": session_id, "message": "also run the tests"}
        return await http.post(f"{API}/chat", json=body, headers=ALICE)
    if action == "plan":
        return await http.get(f"{API}/plan/{plan_id}", headers=ALICE)
    if action in ("status", "poll"):
        return await http.get(f"{API}/plan/{plan_id}/{action}", headers=ALICE)
    body = {"session_id": session_id}
    if action == "modify":
        body.update(plan_id=plan_id, user_message="also run the tests")
    return await http.post(f"{API}/plan/{plan_id}/{action}", json=body, headers=ALICE)


async def _faulty_answer(http, link, action: str, fault: str):
    """`action` on a plan in the state it applies to, with the orchestrator link faulty; the
    answer and the session's history afterwards."""
    session_id, plan_id = await session_with_plan(http)
    if action in ("status", "poll", "abort"):
        approved = await http.post(
            f"{API}/plan/{plan_id}/approve", json={"session_id": session_id}, headers=ALICE
        )
        assert approved.status_code == 200, approved.text
    link.fault = fault
    try:
        answer = await _act(http, action, session_id, plan_id)
    finally:
        link.fault = None
    history = await http.get(f"{API}/session/{session_id}", headers=ALICE)
    return answer, [m["content"] for m in history.json()["messages"]]


@pytest.mark.parametrize("fault", ["refused", "dropped", "hang", "http_500", "non_json",
                                   "wrong_shape"])  # fmt: skip
@pytest.mark.parametrize("action", ACTIONS)
async def test_an_orchestrator_fault_answers_a_gateway_error_without_details(
    mem_client, memory_backend, action, fault
):
    """The upstream answers carry a trace, a file path and a botocore class name
    (support.UPSTREAM_TRACE); none of it reaches the caller or the chat history."""
    answer, history = await _faulty_answer(mem_client, memory_backend.world.link, action, fault)
    if answer.status_code >= 400:
        assert_error(answer, {502, 503, 504})
    else:
        assert action == "plan", answer.text  # the stored plan is shown without live status
    assert not leaks(json.dumps(history)), history


@pytest.mark.parametrize("action", ["chat", "status", "poll", "approve", "reject", "modify"])
async def test_an_orchestrator_refusal_is_not_echoed_to_the_caller(
    mem_client, memory_backend, action
):
    answer, history = await _faulty_answer(
        mem_client, memory_backend.world.link, action, "rejected_400"
    )
    assert_error(answer, 502)
    assert not leaks(json.dumps(history)), history


@pytest.mark.parametrize("action", ["chat", "approve", "modify"])
async def test_an_orchestrator_404_does_not_reveal_its_endpoints(
    mem_client, memory_backend, action
):
    answer, history = await _faulty_answer(
        mem_client, memory_backend.world.link, action, "forgot_404"
    )
    assert_error(answer, 502)
    assert not leaks(json.dumps(history)), history


# Routing errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/nowhere", 404),
        ("GET", f"{API}/nowhere", 404),
        ("GET", f"{API}/plan", 404),
        ("PUT", f"{API}/session", 405),
        ("DELETE", f"{API}/sessions", 405),  # DELETE is served on one session, not the list
        ("PATCH", f"{API}/chat", 405),
        ("OPTIONS", f"{API}/chat", 405),  # not a CORS preflight (no Origin): just a method
        ("GET", f"{API}/chat", 405),
        ("POST", f"{API}/plan/x/explode", 404),
    ],
)
async def test_routing_errors_have_the_one_shape(mem_client, method, path, status, host):
    if host == "lambda" and status == 405:
        # API Gateway answers a method no route has itself; what reaches the function is only
        # a path it has a route for, with an id that the resolver may still refuse.
        status = 404
    answer = await mem_client.request(method, path)
    assert_error(answer, status)
    if status == 405:
        assert answer.headers.get("allow")
