"""template.yaml's alarms, alarm topic and dashboard (issue 19): each alarm watches a resource of
this stack or a metric its functions emit (shared/metrics.py), notifies the stack's topic, and
takes its threshold from a parameter; the dashboard shows what the on-call needs."""

import json
import re

import pytest

from shared import metrics

from .cfn import load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
PARAMETERS = TEMPLATE["Parameters"]
FUNCTIONS = ("SessionsFunction", "ChatFunction", "PlansFunction")
ALARMS = {k: r["Properties"] for k, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
NAMESPACE = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"][
    "POWERTOOLS_METRICS_NAMESPACE"
]
EMITTED = {
    *metrics.DECISIONS.values(),
    *metrics.CHAT_OUTCOMES,
    metrics.ORCHESTRATOR_FAULT,
    metrics.ORCHESTRATOR_LATENCY,
    metrics.STORE_FAULT,
    metrics.CONFLICT_ANSWERED,
    metrics.UNTRACKED_RUN,
}


def single_metric(alarm: dict) -> tuple[str, str, dict]:
    """(namespace, metric name, {dimension: value}) of an alarm on one metric."""
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    return alarm["Namespace"], alarm["MetricName"], dimensions


def watched(namespace: str, metric: str) -> dict[str, dict]:
    return {
        name: alarm
        for name, alarm in ALARMS.items()
        if "MetricName" in alarm and single_metric(alarm)[:2] == (namespace, metric)
    }


def query(alarm: dict) -> str:
    """The Metrics Insights query of an alarm made of one, as written (before Fn::Sub)."""
    (only,) = alarm["Metrics"]
    assert only["ReturnData"] is True and only["Period"] == 300
    return only["Expression"]["Fn::Sub"]


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_each_function_has_an_errors_and_a_throttles_alarm(metric):
    alarms = watched("AWS/Lambda", metric)
    assert sorted(single_metric(a)[2]["FunctionName"]["Ref"] for a in alarms.values()) == sorted(
        FUNCTIONS
    )


def test_the_api_5xx_rate_alarm_divides_the_apis_5xx_by_its_requests():
    alarm = ALARMS["Api5xxRateAlarm"]
    queries = {q["Id"]: q for q in alarm["Metrics"]}
    (returned,) = [q for q in queries.values() if q["ReturnData"]]
    assert "100 * errors / requests" in returned["Expression"]
    for id_, name in (("errors", "5xx"), ("requests", "Count")):
        metric = queries[id_]["MetricStat"]["Metric"]
        assert (metric["Namespace"], metric["MetricName"]) == ("AWS/ApiGateway", name)
        assert metric["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]


def test_the_api_latency_alarm_watches_the_apis_p99():
    alarm = ALARMS["ApiLatencyP99Alarm"]
    assert single_metric(alarm) == ("AWS/ApiGateway", "Latency", {"ApiId": {"Ref": "HttpApi"}})
    assert alarm["ExtendedStatistic"] == "p99"


@pytest.mark.parametrize(
    "alarm, metric",
    [("TableThrottlesAlarm", "ThrottledRequests"), ("TableSystemErrorsAlarm", "SystemErrors")],
)
def test_the_table_alarms_sum_every_operation_on_the_stacks_table(alarm, metric):
    text = query(ALARMS[alarm])
    assert f'SUM({metric}) FROM SCHEMA("AWS/DynamoDB", Operation, TableName)' in text
    assert "WHERE TableName = '${SessionsTable}'" in text
    assert RESOURCES["SessionsTable"]["Type"] == "AWS::DynamoDB::Table"


def test_the_orchestrator_faults_alarm_sums_every_code_of_every_function_of_this_stack():
    text = query(ALARMS["OrchestratorFaultsAlarm"])
    namespace = NAMESPACE["Fn::Sub"]
    assert text == (
        f'SELECT SUM({metrics.ORCHESTRATOR_FAULT}) FROM SCHEMA("{namespace}", '
        f"{metrics.CODE}, service)"
    )


def test_any_untracked_run_fires_an_alarm():
    alarm = ALARMS["UntrackedRunAlarm"]
    assert single_metric(alarm) == (NAMESPACE, metrics.UNTRACKED_RUN, {"service": "plans"})
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_the_functions_metric_namespace_is_the_stacks_own():
    # Two stacks in one account and region must not fire each other's alarms.
    assert NAMESPACE == {"Fn::Sub": "ChiffonDashboard/${AWS::StackName}"}


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_alarm_notifies_the_stacks_topic_at_alarm_and_at_recovery(name):
    assert RESOURCES["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    assert ALARMS[name]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert ALARMS[name]["OKActions"] == [{"Ref": "AlarmTopic"}]
    # No traffic is no trouble: an idle stack stays OK.
    assert ALARMS[name]["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("name", sorted(set(ALARMS) - {"UntrackedRunAlarm"}))
def test_every_threshold_is_a_parameter_with_a_default(name):
    threshold = ALARMS[name]["Threshold"]
    parameter = PARAMETERS[threshold["Ref"]]
    assert parameter["Type"] == "Number"
    assert "Default" in parameter and parameter["Description"]


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_alarm_says_what_to_look_at_first_and_links_the_runbook(name):
    description = ALARMS[name]["AlarmDescription"]
    assert "First:" in description
    assert re.search(r"docs/operations\.md#[a-z0-9-]+$", description)
    assert len(description) <= 1024  # CloudWatch's limit


def test_the_email_subscription_exists_only_when_an_address_is_given():
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert TEMPLATE["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }
    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert PARAMETERS["AlarmEmail"]["Default"] == ""


def test_the_stage_writes_per_route_metrics_for_the_dashboard():
    settings = RESOURCES["HttpApi"]["Properties"]["DefaultRouteSettings"]
    assert settings["DetailedMetricsEnabled"] is True


# The dashboard ------------------------------------------------------------------------------

BODY_TEXT = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
SUBSTITUTED = set(re.findall(r"\$\{([^}]+)\}", BODY_TEXT))
BODY = json.loads(re.sub(r"\$\{[^}]+\}", "X", BODY_TEXT))
WIDGETS = {w["properties"].get("title"): w for w in BODY["widgets"]}


def widget_text(title: str) -> str:
    return json.dumps(WIDGETS[title]["properties"])


def test_the_dashboard_points_at_the_stacks_api_functions_table_and_alarms():
    assert {"HttpApi", "SessionsTable", *FUNCTIONS} <= SUBSTITUTED
    assert {f"{name}.Arn" for name in ALARMS} <= SUBSTITUTED
    for name in SUBSTITUTED - {"AWS::Region", "AWS::StackName"}:
        assert name.removesuffix(".Arn") in RESOURCES, name


@pytest.mark.parametrize(
    "title, needles",
    [
        ("Requests by route", ["AWS/ApiGateway,ApiId,Method,Resource,Stage", "Count"]),
        ("5xx by route", ["AWS/ApiGateway,ApiId,Method,Resource,Stage", "5xx"]),
        ("API latency p50 / p99 (ms)", ["Latency", "p50", "p99"]),
        ("Cold starts", ["ColdStart"]),
        ("Decisions", list(metrics.DECISIONS.values())),
        ("Chat outcomes (chat turns and modifications)", list(metrics.CHAT_OUTCOMES)),
        ("Orchestrator faults by code", [metrics.ORCHESTRATOR_FAULT, metrics.CODE]),
        ("Orchestrator call latency p50 / p99 (ms)", [metrics.ORCHESTRATOR_LATENCY]),
        (
            "Store faults, 409 conflicts, untracked runs",
            [metrics.STORE_FAULT, metrics.CONFLICT_ANSWERED, metrics.UNTRACKED_RUN],
        ),
        ("Table consumed capacity", ["ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"]),
        ("Table throttles and system errors by operation", ["ThrottledRequests", "SystemErrors"]),
    ],
)
def test_the_dashboard_shows(title, needles):
    text = widget_text(title)
    for needle in needles:
        assert needle in text, (title, needle)


def test_every_metric_the_functions_emit_is_on_the_dashboard():
    shown = json.dumps(BODY)
    assert {name for name in EMITTED if name not in shown} == set()


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_alarm_has_its_section_in_the_runbook(name):
    from .layout import ROOT

    anchor = ALARMS[name]["AlarmDescription"].rsplit("#", 1)[1]
    runbook = (ROOT / "docs" / "operations.md").read_text()
    section = runbook.split(f"\n### {anchor}\n", 1)[1].split("\n### ", 1)[0]
    assert name.removesuffix("Alarm") in section  # the section names the alarm it is for
