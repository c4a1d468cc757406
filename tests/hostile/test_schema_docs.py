"""The answers to hostile requests are documented: the status code is in the operation's
OpenAPI responses and the body matches the schema given for it (validated by schemathesis's
own checks against app.openapi(), the schema the web client is generated from)."""

import uuid

import schemathesis
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from functions.app import app
from shared.errors import DashboardError
from shared.settings import Settings
from tests.hostile.conftest import new_session, session_with_plan
from tests.hostile.support import API, SETTINGS_DEPENDENCY, assert_error

SCHEMA = schemathesis.openapi.from_dict(app.openapi())
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _conforms(method: str, path: str, answer) -> None:
    operation = SCHEMA[path][method]
    names = [p.name for p in operation.path_parameters]
    case = operation.Case(path_parameters={name: "x" for name in names})
    case.validate_response(answer, checks=CHECKS)


async def test_documented_errors_conform(mem_client):
    """The control: 400 and 404 are documented with the error shape."""
    session_id = await new_session(mem_client)
    bad = await mem_client.post(f"{API}/chat", content=b"{", headers={"X-User-Id": "alice"})
    missing = await mem_client.get(f"{API}/plan/{uuid.uuid4()}")
    unknown = await mem_client.post(
        f"{API}/plan/{uuid.uuid4()}/approve", json={"session_id": session_id}
    )
    _conforms("POST", "/api/dashboard/chat", bad)
    _conforms("GET", "/api/dashboard/plan/{plan_id}", missing)
    _conforms("POST", "/api/dashboard/plan/{plan_id}/approve", unknown)


async def test_the_413_answer_is_documented(mem_client):
    session_id = await new_session(mem_client)
    answer = await mem_client.post(
        f"{API}/chat",
        json={"session_id": session_id, "message": "deploy " + " " * 70_000},
        headers={"X-User-Id": "alice"},
    )
    assert_error(answer, 413, "payload_too_large")
    _conforms("POST", "/api/dashboard/chat", answer)


async def test_the_304_answer_of_a_conditional_read_is_documented(mem_client):
    session_id, plan_id = await session_with_plan(mem_client)
    path = f"{API}/plan/{plan_id}"
    first = await mem_client.get(path, headers={"X-User-Id": "alice"})
    again = await mem_client.get(
        path, headers={"X-User-Id": "alice", "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304, again.text
    _conforms("GET", "/api/dashboard/plan/{plan_id}", again)


async def test_the_401_answer_is_documented(mem_client, host_app):
    session_id = await new_session(mem_client)
    host_app.dependency_overrides[SETTINGS_DEPENDENCY] = lambda: Settings(require_identity=True)
    answer = await mem_client.get(f"{API}/session/{session_id}")
    assert_error(answer, 401, "unauthenticated")
    _conforms("GET", "/api/dashboard/session/{session_id}", answer)


def _error_classes(kind: type[DashboardError]) -> set[type[DashboardError]]:
    return {kind}.union(*(_error_classes(sub) for sub in kind.__subclasses__()))


def test_every_error_class_status_is_documented():
    """Every operation documents exactly the statuses the error classes answer with (those of
    every module the app imports): a class with a new status cannot go undocumented, and no
    documented status is one nothing answers."""
    ours = {k for k in _error_classes(DashboardError) if k.__module__.startswith("shared.")}
    statuses = {str(kind.status) for kind in ours}
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            documented = {status for status in operation["responses"] if int(status) >= 400}
            assert documented == statuses, (method, path)
