"""The business and fault metrics as CloudWatch receives them: the EMF lines the Lambda handlers
print (Powertools Metrics writes them to stdout, which Lambda sends to the function's log).
Each test drives the functions through handler(event, context) and reads what an on-call's
alarm or dashboard would read: the metric's name, unit, namespace and dimensions.
"""
# ruff: noqa: F811 (the orchestrator fixture, imported, is named by the tests)

import json

import httpx
import pytest
from aws_lambda_powertools import Metrics

from shared import metrics
from shared.errors import StoreUnavailable
from shared.store import get_store
from tests.api.orchestrator_fake import FIRST_REQUEST
from tests.lambda_events import answer, http_event

# The orchestrator fixture (the fake on respx) is shared with the chat and plans tests.
from .test_chat_plans_handlers import PLAN, call, orchestrator  # noqa: F401

NAMESPACE = "ChiffonDashboardTests"  # tests/lambda/conftest.py


def emf_records(capsys) -> list[dict]:
    records = []
    for line in capsys.readouterr().out.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "_aws" in record:
            records.append(record)
    return records


def datapoints(records: list[dict], name: str) -> list[dict]:
    """One dict per EMF record holding `name`: its unit, dimensions (name -> value), values."""
    found = []
    for record in records:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for definition in directive["Metrics"]:
                if definition["Name"] == name:
                    (keys,) = directive["Dimensions"]  # one dimension set per metric
                    found.append(
                        {
                            "namespace": directive["Namespace"],
                            "unit": definition["Unit"],
                            "dimensions": {key: record[key] for key in keys},
                            "values": value if isinstance(value := record[name], list) else [value],
                        }
                    )
    return found


def only(records: list[dict], name: str) -> dict:
    (point,) = datapoints(records, name)
    assert point["namespace"] == NAMESPACE
    return point


def new_session(handlers, context) -> str:
    created = call(handlers["sessions"], context, "POST", "/api/dashboard/session", sub="sub-a")
    return created.body["session_id"]


def chat(handlers, context, session_id, message=FIRST_REQUEST):
    return call(
        handlers["chat"], context, "POST", "/api/dashboard/chat",
        body={"session_id": session_id, "message": message}, sub="sub-a",
    )  # fmt: skip


def act(handlers, context, plan_id, session_id, action, extra=None, headers=None):
    path = PLAN.replace("{plan_id}", plan_id)
    event = http_event(
        "POST", f"{path}/{action}", route=f"{PLAN}/{action}",
        body={"session_id": session_id, **(extra or {})}, sub="sub-a", headers=headers,
    )  # fmt: skip
    return answer(handlers["plans"](event, context))


@pytest.fixture
def handlers(sessions_handler, chat_handler, plans_handler):
    return {"sessions": sessions_handler, "chat": chat_handler, "plans": plans_handler}


def test_a_chat_turn_that_makes_a_plan_counts_chat_plan_and_the_orchestrator_latency(
    handlers, context, orchestrator, capsys
):
    session_id = new_session(handlers, context)
    capsys.readouterr()
    assert chat(handlers, context, session_id).status == 200

    records = emf_records(capsys)
    assert only(records, metrics.CHAT_PLAN) == {
        "namespace": NAMESPACE, "unit": "Count", "dimensions": {"service": "chat"}, "values": [1.0],
    }  # fmt: skip
    latency = only(records, metrics.ORCHESTRATOR_LATENCY)
    assert latency["unit"] == "Milliseconds"
    assert latency["dimensions"] == {"service": "chat"}
    assert len(latency["values"]) == 2  # submit the request, then generate the plan
    assert all(v >= 0 for v in latency["values"])
    for other in metrics.CHAT_OUTCOMES[1:]:
        assert datapoints(records, other) == []


@pytest.mark.parametrize(
    "answer, name",
    [
        (
            {"status": "requires_clarification", "ambiguities": ["Which region?"]},
            metrics.CHAT_CLARIFICATION,
        ),
        ({"status": "parsing_failed", "error": "no intent"}, metrics.CHAT_PARSING_FAILED),
    ],
)
def test_a_chat_turn_without_a_plan_counts_its_outcome(
    handlers, context, orchestrator, capsys, answer, name
):
    session_id = new_session(handlers, context)
    orchestrator.request_outcome = answer
    capsys.readouterr()
    assert chat(handlers, context, session_id).status == 200
    point = only(emf_records(capsys), name)
    assert (point["unit"], point["dimensions"]) == ("Count", {"service": "chat"})


def test_a_plan_the_orchestrator_could_not_make_counts_chat_planning_failed(
    handlers, context, orchestrator, capsys
):
    session_id = new_session(handlers, context)
    orchestrator.plan_outcome = {"plan_id": None, "status": "planning_failed", "error": "no agent"}
    capsys.readouterr()
    assert chat(handlers, context, session_id).status == 200
    point = only(emf_records(capsys), metrics.CHAT_PLANNING_FAILED)
    assert (point["unit"], point["dimensions"]) == ("Count", {"service": "chat"})


@pytest.mark.parametrize(
    "action, extra, name",
    [
        ("approve", {}, "DecisionApproved"),
        ("reject", {}, "DecisionRejected"),
        ("modify", {"user_message": "use two VMs"}, "DecisionModified"),
    ],
)
def test_each_decision_is_counted_once_by_the_plans_function(
    handlers, context, orchestrator, capsys, action, extra, name
):
    session_id = new_session(handlers, context)
    plan_id = chat(handlers, context, session_id).body["plan"]["plan_id"]
    if action == "modify":
        extra = {**extra, "plan_id": plan_id}
    capsys.readouterr()
    assert act(handlers, context, plan_id, session_id, action, extra).status == 200
    point = only(emf_records(capsys), name)
    assert (point["unit"], point["dimensions"], point["values"]) == (
        "Count", {"service": "plans"}, [1.0]
    )  # fmt: skip


def test_an_abort_counts_decision_aborted(handlers, context, orchestrator, capsys):
    session_id = new_session(handlers, context)
    plan_id = chat(handlers, context, session_id).body["plan"]["plan_id"]
    assert act(handlers, context, plan_id, session_id, "approve").status == 200
    capsys.readouterr()
    assert act(handlers, context, plan_id, session_id, "abort").status == 200
    point = only(emf_records(capsys), "DecisionAborted")
    assert (point["unit"], point["dimensions"]) == ("Count", {"service": "plans"})


def test_an_answer_replayed_for_a_repeated_idempotency_key_is_not_counted_again(
    handlers, context, orchestrator, capsys
):
    session_id = new_session(handlers, context)
    plan_id = chat(handlers, context, session_id).body["plan"]["plan_id"]
    key = {"Idempotency-Key": "approve-once"}
    capsys.readouterr()
    first = act(handlers, context, plan_id, session_id, "approve", headers=key)
    again = act(handlers, context, plan_id, session_id, "approve", headers=key)
    assert (first.status, again.status) == (200, 200)
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(datapoints(emf_records(capsys), "DecisionApproved")) == 1


def test_a_refused_decision_counts_a_conflict_and_no_decision(
    handlers, context, orchestrator, capsys
):
    session_id = new_session(handlers, context)
    plan_id = chat(handlers, context, session_id).body["plan"]["plan_id"]
    assert act(handlers, context, plan_id, session_id, "reject").status == 200
    capsys.readouterr()
    assert act(handlers, context, plan_id, session_id, "approve").status == 409
    records = emf_records(capsys)
    point = only(records, metrics.CONFLICT_ANSWERED)
    assert (point["unit"], point["dimensions"]) == ("Count", {"service": "plans"})
    assert datapoints(records, "DecisionApproved") == []


@pytest.mark.parametrize(
    "fault, code",
    [
        (httpx.ConnectError("refused"), "orchestrator_unreachable"),
        (httpx.ReadTimeout("slow"), "orchestrator_timeout"),
        (httpx.Response(200, text="<html>"), "orchestrator_bad_answer"),
    ],
)
def test_an_orchestrator_fault_is_counted_by_its_code(
    handlers, context, orchestrator, capsys, fault, code
):
    session_id = new_session(handlers, context)
    if isinstance(fault, Exception):
        orchestrator.submit_route.side_effect = fault
    else:
        orchestrator.submit_route.side_effect = None
        orchestrator.submit_route.return_value = fault
    capsys.readouterr()
    answered = chat(handlers, context, session_id)
    assert answered.body["error"]["code"] == code
    records = emf_records(capsys)
    point = only(records, metrics.ORCHESTRATOR_FAULT)
    assert point["unit"] == "Count"
    assert point["dimensions"] == {"service": "chat", "code": code}
    # The failed call's time is in the latency too: a slow orchestrator shows there.
    assert only(records, metrics.ORCHESTRATOR_LATENCY)["dimensions"] == {"service": "chat"}


def test_a_store_fault_is_counted(handlers, context, orchestrator, capsys, monkeypatch):
    session_id = new_session(handlers, context)

    def unavailable(*_, **__):
        raise StoreUnavailable("The session store is unavailable.")

    monkeypatch.setattr(get_store(), "get_session", unavailable)
    capsys.readouterr()
    assert chat(handlers, context, session_id).status == 503
    point = only(emf_records(capsys), metrics.STORE_FAULT)
    assert (point["unit"], point["dimensions"]) == ("Count", {"service": "chat"})


def test_an_approval_whose_answer_was_lost_while_the_plan_runs_counts_an_untracked_run(
    handlers, context, orchestrator, capsys
):
    session_id = new_session(handlers, context)
    plan_id = chat(handlers, context, session_id).body["plan"]["plan_id"]

    def started_then_lost(request, plan_id):
        orchestrator._approve(request, plan_id)  # the orchestrator runs the plan...
        raise httpx.ReadTimeout("the answer never came")  # ...and its answer is lost

    orchestrator.approve_route.side_effect = started_then_lost
    capsys.readouterr()
    approved = act(handlers, context, plan_id, session_id, "approve")
    assert approved.status == 200
    assert approved.body["execution_started"] is False
    records = emf_records(capsys)
    point = only(records, metrics.UNTRACKED_RUN)
    assert (point["unit"], point["dimensions"]) == ("Count", {"service": "plans"})
    # The on-call finds which plan to stop at the orchestrator in the same log line.
    (record,) = [r for r in records if metrics.UNTRACKED_RUN in r]
    assert record["untracked_plan_id"] == plan_id


def test_outside_a_lambda_invocation_nothing_is_buffered_or_printed(capsys):
    """The local app and the use-case tests never flush: they must not fill Powertools' buffer
    (shared by every Metrics instance) nor print EMF lines."""
    metrics.answered("approve")
    metrics.chat_outcome("plan")
    metrics.untracked_run("plan")
    metrics.fault_answered(StoreUnavailable("down"))
    metrics.timed_orchestrator_call(lambda: None)()
    assert Metrics(namespace=NAMESPACE).metric_set == {}
    assert emf_records(capsys) == []
