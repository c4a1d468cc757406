"""The orchestrator client on its own: typed errors, answer validation, and retries only where
repeating cannot do a thing twice."""

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
import respx

from shared.errors import (
    OrchestratorBadAnswer,
    OrchestratorNotFound,
    OrchestratorRejected,
    OrchestratorTimeout,
    OrchestratorUnreachable,
)
from shared.orchestrator.client import OrchestratorClient

BASE = "http://orchestrator.test"
PLAN_ID = str(uuid.uuid4())
REQUEST_ID = str(uuid.uuid4())
TASK_ID = str(uuid.uuid4())

PLAN = {
    "plan_id": PLAN_ID,
    "request_id": REQUEST_ID,
    "status": "pending_approval",
    "human_readable_summary": "Restart the web tier.",
    "complexity_level": "simple",
    "will_use_external_ai": False,
    "tasks": [
        {
            "order": 1,
            "name": "Restart nginx",
            "work_type": "restart_service",
            "agent_type": "infra",
            "parameters": {"service": "nginx"},
            "resource_requirements": {
                "estimated_duration_seconds": 30,
                "gpu_vram_mb": 0,
                "cpu_cores": 1,
            },
            "depends_on": [],
            "alternatives": [],
            "estimated_external_ai_calls": 0,
        }
    ],
}
PLAN_STATUS = {
    "plan_id": PLAN_ID,
    "request_id": REQUEST_ID,
    "status": "executing",
    "tasks": [{"order": 1, "name": "Restart nginx", "work_type": "restart_service"}],
    "complexity_level": "simple",
    "will_use_external_ai": False,
    "created_at": "2026-03-02T10:00:00",
    "approved_at": "2026-03-02T10:01:00",
}
TASK_STATUS = {
    "task_id": TASK_ID,
    "status": "executing",
    "progress": 0.5,
    "output": None,
    "error_message": None,
    "created_at": "2026-03-02T10:01:00",
    "updated_at": "2026-03-02T10:02:00",
}
APPROVED = {
    "plan_id": PLAN_ID,
    "status": "approved",
    "dispatch_started": True,
    "dispatch_result": {
        "plan_id": PLAN_ID,
        "status": "executing",
        "dispatched_tasks": [
            {
                "task_id": TASK_ID,
                "trace_id": str(uuid.uuid4()),
                "request_id": REQUEST_ID,
                "status": "pending",
                "agent_id": str(uuid.uuid4()),
                "agent_type": "infra",
                "routing_score": 0.9,
                "selection_reason": "least loaded",
            }
        ],
    },
}
ACCEPTED = {"request_id": REQUEST_ID, "status": "parsing_complete", "decomposed_request": {}}


@pytest.fixture
def client() -> Iterator[OrchestratorClient]:
    client = OrchestratorClient(BASE, timeout=0.5, backoff_seconds=0)
    yield client
    client.close()


@pytest.fixture
def orchestrator():
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def ok(body: dict) -> httpx.Response:
    return httpx.Response(200, json=body)


# Reads are retried ------------------------------------------------------------------------


def test_plan_status_is_retried_on_503_then_succeeds(client, orchestrator):
    route = orchestrator.get(f"/api/v1/plan/{PLAN_ID}/status")
    route.side_effect = [httpx.Response(503), httpx.Response(503), ok(PLAN_STATUS)]

    answer = client.plan_status(PLAN_ID)

    assert answer.status == "executing"
    assert route.call_count == 3


def test_task_status_is_retried_on_timeout_then_succeeds(client, orchestrator):
    route = orchestrator.get(f"/api/v1/status/{TASK_ID}")
    route.side_effect = [httpx.ReadTimeout("slow"), ok(TASK_STATUS)]

    answer = client.task_status(TASK_ID)

    assert (answer.status, answer.progress) == ("executing", 0.5)
    assert route.call_count == 2


def test_read_gives_up_after_three_503s(client, orchestrator):
    route = orchestrator.get(f"/api/v1/plan/{PLAN_ID}/status")
    route.return_value = httpx.Response(503, json={"detail": "Service Unavailable"})

    with pytest.raises(OrchestratorBadAnswer):
        client.plan_status(PLAN_ID)
    assert route.call_count == 3


def test_read_gives_up_after_three_timeouts(client, orchestrator):
    route = orchestrator.get(f"/api/v1/status/{TASK_ID}")
    route.side_effect = httpx.ReadTimeout("slow")

    with pytest.raises(OrchestratorTimeout):
        client.task_status(TASK_ID)
    assert route.call_count == 3


def test_max_attempts_is_configurable(orchestrator):
    route = orchestrator.get(f"/api/v1/status/{TASK_ID}")
    route.side_effect = httpx.ReadTimeout("slow")
    client = OrchestratorClient(BASE, max_attempts=5, backoff_seconds=0)

    with pytest.raises(OrchestratorTimeout):
        client.task_status(TASK_ID)
    client.close()
    assert route.call_count == 5


def test_cancel_is_retried_on_timeout(client, orchestrator):
    route = orchestrator.post(f"/api/v1/cancel/{TASK_ID}")
    route.side_effect = [httpx.ReadTimeout("slow"), ok({"task_id": TASK_ID, "status": "cancelled"})]

    assert client.cancel_task(TASK_ID) == "cancelled"
    assert route.call_count == 2


# Writes are not retried once they may have arrived ----------------------------------------

WRITES = [
    ("submit_request", "POST", "/api/v1/request", ("Restart nginx", "user-1"), {}, ACCEPTED),
    ("generate_plan", "GET", f"/api/v1/plan/{REQUEST_ID}", (REQUEST_ID,), {}, PLAN),
    (
        "approve",
        "POST",
        f"/api/v1/plan/{PLAN_ID}/approve",
        (PLAN_ID, "user-1"),
        {"approved": True},
        APPROVED,
    ),
]
WRITE_IDS = [w[0] for w in WRITES]


@pytest.mark.parametrize(("call", "method", "path", "args", "kwargs", "_"), WRITES, ids=WRITE_IDS)
def test_write_is_not_retried_on_timeout(
    client, orchestrator, call, method, path, args, kwargs, _
):
    route = orchestrator.route(method=method, path=path)
    route.side_effect = httpx.ReadTimeout("slow")

    with pytest.raises(OrchestratorTimeout):
        getattr(client, call)(*args, **kwargs)
    assert route.call_count == 1


@pytest.mark.parametrize(("call", "method", "path", "args", "kwargs", "_"), WRITES, ids=WRITE_IDS)
def test_write_is_not_retried_on_500(
    client, orchestrator, call, method, path, args, kwargs, _
):
    route = orchestrator.route(method=method, path=path)
    route.return_value = httpx.Response(500, json={"detail": "Internal error: boom"})

    with pytest.raises(OrchestratorBadAnswer):
        getattr(client, call)(*args, **kwargs)
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("call", "method", "path", "args", "kwargs", "answer"), WRITES, ids=WRITE_IDS
)
def test_write_is_retried_when_the_connection_failed(
    client, orchestrator, call, method, path, args, kwargs, answer
):
    route = orchestrator.route(method=method, path=path)
    route.side_effect = [httpx.ConnectError("refused"), httpx.ConnectError("refused"), ok(answer)]

    result = getattr(client, call)(*args, **kwargs)

    assert result.status == answer["status"]
    assert route.call_count == 3


def test_unreachable_after_three_connection_failures(client, orchestrator):
    route = orchestrator.post("/api/v1/request")
    route.side_effect = httpx.ConnectError("refused")

    with pytest.raises(OrchestratorUnreachable):
        client.submit_request("Restart nginx", "user-1")
    assert route.call_count == 3


# Answers ----------------------------------------------------------------------------------


def test_extra_fields_are_tolerated(client, orchestrator):
    plan = {**PLAN, "created_at": "2026-03-02T10:00:00", "planner_version": "2.1"}
    plan["tasks"] = [{**PLAN["tasks"][0], "priority": "high"}]
    orchestrator.get(f"/api/v1/plan/{REQUEST_ID}").return_value = ok(plan)

    answer = client.generate_plan(REQUEST_ID)

    assert answer.plan_id == PLAN_ID
    assert answer.tasks[0].name == "Restart nginx"
    assert answer.model_dump()["planner_version"] == "2.1"


def test_approve_answer_keeps_the_task_ids(client, orchestrator):
    orchestrator.post(f"/api/v1/plan/{PLAN_ID}/approve").return_value = ok(APPROVED)

    answer = client.approve(PLAN_ID, "user-1", approved=True)

    assert answer.dispatch_result.dispatched_tasks[0].task_id == TASK_ID


def test_non_json_answer_is_a_bad_answer(client, orchestrator):
    orchestrator.get(f"/api/v1/plan/{PLAN_ID}/status").return_value = httpx.Response(
        200, text="<html><body>Welcome to nginx!</body></html>"
    )

    with pytest.raises(OrchestratorBadAnswer):
        client.plan_status(PLAN_ID)


@pytest.mark.parametrize(
    "body",
    [
        {"status": "pending_approval"},  # no plan_id, no tasks
        {**PLAN, "plan_id": "plan-1"},  # not a UUID
        {**PLAN, "tasks": []},
        [PLAN],
    ],
    ids=["no ids", "plan_id not a UUID", "no tasks", "a list"],
)
def test_wrong_shape_is_a_bad_answer(client, orchestrator, body):
    orchestrator.get(f"/api/v1/plan/{REQUEST_ID}").return_value = httpx.Response(200, json=body)

    with pytest.raises(OrchestratorBadAnswer):
        client.generate_plan(REQUEST_ID)


def test_planning_failed_is_an_answer_not_an_error(client, orchestrator):
    orchestrator.get(f"/api/v1/plan/{REQUEST_ID}").return_value = ok(
        {"status": "planning_failed", "error": "no capable agent"}
    )

    answer = client.generate_plan(REQUEST_ID)

    assert (answer.status, answer.error, answer.plan_id) == (
        "planning_failed",
        "no capable agent",
        None,
    )


def test_unknown_is_not_found(client, orchestrator):
    orchestrator.get(f"/api/v1/plan/{PLAN_ID}/status").return_value = httpx.Response(
        404, json={"detail": "Plan not found"}
    )

    with pytest.raises(OrchestratorNotFound):
        client.plan_status(PLAN_ID)


def test_refusal_logs_the_upstream_detail_and_keeps_it_from_callers(
    client, orchestrator, caplog
):
    orchestrator.post("/api/v1/request").return_value = httpx.Response(
        400, json={"detail": "Request exceeds 10000 characters"}
    )

    with pytest.raises(OrchestratorRejected) as refused:
        client.submit_request("x", "user-1")
    assert refused.value.upstream_status == 400
    assert "Request exceeds 10000 characters" not in refused.value.message
    assert "Request exceeds 10000 characters" in caplog.text


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (httpx.Response(200, json={"task_id": TASK_ID, "status": "cancelled"}), "cancelled"),
        (httpx.Response(400, json={"detail": "Task already completed"}), "already_finished"),
        (httpx.Response(404, json={"detail": "Task not found"}), "unknown"),
    ],
)
def test_cancel_outcomes(client, orchestrator, answer, outcome):
    orchestrator.post(f"/api/v1/cancel/{TASK_ID}").return_value = answer

    assert client.cancel_task(TASK_ID) == outcome


def test_request_body_follows_the_contract(client, orchestrator):
    route = orchestrator.post(f"/api/v1/plan/{PLAN_ID}/approve")
    route.return_value = ok({"plan_id": PLAN_ID, "status": "rejected"})

    client.approve(PLAN_ID, "user-1", approved=False, notes="too risky")

    assert json.loads(route.calls.last.request.content) == {
        "approved": False,
        "user_id": "user-1",
        "notes": "too risky",
    }


# Timeout ----------------------------------------------------------------------------------


def test_default_timeout_is_30_seconds():
    client = OrchestratorClient(BASE)
    try:
        assert client._http.timeout.read == 30.0
        assert client._http.timeout.connect == 5.0
    finally:
        client.close()


def test_timeout_comes_from_the_settings(monkeypatch):
    from shared.orchestrator.factory import get_orchestrator
    from shared.settings import Settings, get_settings

    assert Settings.model_fields["orchestrator_timeout_seconds"].default == 30.0
    monkeypatch.setenv("ORCHESTRATOR_URL", BASE)
    monkeypatch.setenv("ORCHESTRATOR_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    get_orchestrator.cache_clear()
    try:
        client = get_orchestrator()
        assert client._http.timeout.read == 0.5
        assert str(client._http.base_url).rstrip("/") == BASE
        client.close()
    finally:
        get_settings.cache_clear()
        get_orchestrator.cache_clear()


@pytest.mark.parametrize("task_id", [12345, "not-a-uuid", None])
def test_approve_answer_with_an_unusable_task_id_is_a_bad_answer(
    client, orchestrator, task_id
):
    # Status and cancel need the id later: an answer without a usable one is not accepted.
    body = {**APPROVED, "dispatch_result": {**APPROVED["dispatch_result"]}}
    body["dispatch_result"]["dispatched_tasks"] = [{"task_id": task_id, "status": "pending"}]
    orchestrator.post(f"/api/v1/plan/{PLAN_ID}/approve").return_value = ok(body)
    with pytest.raises(OrchestratorBadAnswer):
        client.approve(PLAN_ID, "user-1", approved=True)


def test_cancel_of_an_id_the_orchestrator_rejects_as_malformed_counts_as_unknown(
    client, orchestrator
):
    orchestrator.post(f"/api/v1/cancel/{TASK_ID}").return_value = httpx.Response(
        422, json={"detail": "not a uuid"}
    )
    assert client.cancel_task(TASK_ID) == "unknown"
