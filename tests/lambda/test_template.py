"""template.yaml against the code it deploys: routes, handlers, settings, permissions, table."""

import ast
import importlib
import json
import re
import uuid

import pytest

from devtools.table import table_properties
from shared.settings import Settings
from tests.lambda_events import answer, http_event

from .cfn import NO_VALUE, load_template
from .layout import ROOT

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = {"SessionsFunction": "sessions", "ChatFunction": "chat", "PlansFunction": "plans"}
HAS_AUTH = "HasJwtAuth"


def template_routes(function: str) -> set[tuple[str, str]]:
    events = RESOURCES[function]["Properties"]["Events"].values()
    return {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events}


def app_routes(group: str) -> set[tuple[str, str]]:
    """The routes the group's Lambda resolver is built from (whether it serves them is checked
    by calling it: test_every_routed_path_reaches_a_route_of_the_function)."""
    operations = importlib.import_module(f"functions.{group}.routes").OPERATIONS
    return {(op.method, op.path) for op in operations}


def test_the_template_uses_language_extensions_before_sam():
    assert TEMPLATE["Transform"] == ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]


def test_there_are_exactly_the_three_functions():
    functions = {k for k, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
    assert functions == set(FUNCTIONS)


@pytest.mark.parametrize("function, group", FUNCTIONS.items())
def test_each_handler_is_the_groups_handler(function, group):
    handler = RESOURCES[function]["Properties"]["Handler"]
    assert handler == f"functions.{group}.handler.handler"
    module, name = handler.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), name))


@pytest.mark.parametrize("function, group", FUNCTIONS.items())
def test_every_route_of_a_group_is_routed_to_its_function(function, group):
    assert app_routes(group) <= template_routes(function)


@pytest.mark.parametrize("function, group", FUNCTIONS.items())
def test_every_routed_path_exists_in_the_group(function, group):
    assert template_routes(function) == app_routes(group)


@pytest.mark.parametrize("function, group", FUNCTIONS.items())
def test_every_routed_path_reaches_a_route_of_the_function(function, group, context):
    """Called through the function's own handler, no template route falls through to the
    router's "Not Found" or "Method Not Allowed" (an unknown id may still be a 404 of its own)."""
    handler = importlib.import_module(f"functions.{group}.handler").handler
    for method, route in sorted(template_routes(function)):
        path = re.sub(r"\{\w+\}", str(uuid.uuid4()), route)
        result = answer(handler(http_event(method, path, route=route), context))
        assert result.status != 405, (method, route)
        assert not (result.status == 404 and result.body["error"]["message"] == "Not Found"), (
            method,
            route,
        )


def test_no_route_is_routed_twice():
    routes = [r for f in FUNCTIONS for r in template_routes(f)]
    assert len(routes) == len(set(routes)) == 16


def test_every_event_is_an_http_api_event_on_our_api():
    for function in FUNCTIONS:
        for event in RESOURCES[function]["Properties"]["Events"].values():
            assert event["Type"] == "HttpApi"
            assert event["Properties"]["ApiId"] == {"Ref": "HttpApi"}


def test_the_jwt_authorizer_exists_only_with_an_issuer():
    assert TEMPLATE["Conditions"][HAS_AUTH] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "JwtIssuer"}, ""]}]
    }
    assert TEMPLATE["Parameters"]["JwtIssuer"]["Default"] == ""
    condition, with_auth, without = RESOURCES["HttpApi"]["Properties"]["Auth"]["Fn::If"]
    assert condition == HAS_AUTH and without == NO_VALUE
    default = with_auth["DefaultAuthorizer"]
    authorizer = with_auth["Authorizers"][default]
    assert authorizer["JwtConfiguration"] == {
        "issuer": {"Ref": "JwtIssuer"},
        "audience": {"Ref": "JwtAudience"},
    }
    assert authorizer["IdentitySource"] == "$request.header.Authorization"


def test_every_route_but_health_takes_the_default_authorizer():
    for function in FUNCTIONS:
        for name, event in RESOURCES[function]["Properties"]["Events"].items():
            auth = event["Properties"].get("Auth")
            if (event["Properties"]["Method"], event["Properties"]["Path"]) == ("GET", "/health"):
                assert auth == {"Fn::If": [HAS_AUTH, {"Authorizer": "NONE"}, NO_VALUE]}, name
            else:
                assert auth is None, name


def test_globals():
    function = TEMPLATE["Globals"]["Function"]
    assert function["Runtime"] == "python3.11"
    assert function["Tracing"] == "Active"
    assert function["Architectures"] == ["x86_64"]
    assert 128 <= function["MemorySize"] <= 10240
    assert function["Timeout"] <= 30  # API Gateway HTTP APIs wait 30 s at most
    for layer in ("DependenciesLayer", "SharedLayer"):
        assert {"Ref": layer} in function["Layers"]
        props = RESOURCES[layer]["Properties"]
        assert function["Runtime"] in props["CompatibleRuntimes"]
        assert props["CompatibleArchitectures"] == function["Architectures"]


def test_the_environment_names_real_settings():
    env = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    for name in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"):
        assert name in env
    assert env["TABLE_NAME"] == {"Ref": "SessionsTable"}
    assert env["SESSION_STORE"] == "dynamodb"
    assert env["ORCHESTRATOR_URL"] == {"Ref": "OrchestratorUrl"}
    assert env["REQUIRE_IDENTITY"] == {"Fn::If": [HAS_AUTH, "true", "false"]}
    fields = set(Settings.model_fields)
    for name in env:
        if not name.startswith("POWERTOOLS_"):
            assert name.lower() in fields, f"{name} is no field of shared.settings.Settings"


def test_cors_origins_become_the_json_list_the_settings_read(monkeypatch):
    template, variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"][
        "CORS_ORIGINS"
    ]["Fn::Sub"]
    separator, source = variables["Origins"]["Fn::Join"]
    assert source == {"Ref": "CorsAllowedOrigins"}
    assert TEMPLATE["Parameters"]["CorsAllowedOrigins"]["Type"] == "CommaDelimitedList"
    origins = ["https://dashboard.example.com", "http://localhost:5173"]
    rendered = template.replace("${Origins}", separator.join(origins))
    assert json.loads(rendered) == origins
    monkeypatch.setenv("CORS_ORIGINS", rendered)
    assert Settings().cors_origins == origins
    assert RESOURCES["HttpApi"]["Properties"]["CorsConfiguration"]["AllowOrigins"] == source


def test_api_gateway_lets_the_browser_read_what_the_functions_answer():
    """Deployed, CORS is API Gateway's (the Lambda router has none): the browser must be able to
    send the headers the API reads and read the headers it answers with."""
    cors = RESOURCES["HttpApi"]["Properties"]["CorsConfiguration"]
    assert {"content-type", "idempotency-key", "authorization"} <= set(cors["AllowHeaders"])
    exposed = set(cors["ExposeHeaders"])
    assert {"x-poll-interval", "x-request-id", "idempotent-replayed"} <= exposed


def statements(function: str) -> list[dict]:
    found = []
    for policy in RESOURCES[function]["Properties"]["Policies"]:
        assert set(policy) == {"Statement"}, "inline statements only, no managed policy templates"
        found.extend(policy["Statement"])
    return found


TABLE_ARN = {"Fn::GetAtt": ["SessionsTable", "Arn"]}


def index_arn(index: str) -> dict:
    return {"Fn::Sub": f"${{SessionsTable.Arn}}/index/{index}"}


def dynamodb_actions(function: str, resource: dict = TABLE_ARN) -> set[str]:
    """The actions a function may take on the table (or on one of its indexes)."""
    actions = set()
    for statement in statements(function):
        assert statement["Effect"] == "Allow"
        if statement["Resource"] != resource:
            continue
        action = statement["Action"]
        actions.update([action] if isinstance(action, str) else action)
    return actions


def test_every_statement_is_on_the_table_or_an_index_of_it():
    indexes = [i["IndexName"] for i in table_properties().get("GlobalSecondaryIndexes", [])]
    allowed = [TABLE_ARN, *(index_arn(i) for i in indexes)]
    for function in FUNCTIONS:
        for statement in statements(function):
            assert statement["Resource"] in allowed, (function, statement["Sid"])


# boto3 DynamoDB operations -> IAM action; transactions are authorised per item (below).
OPERATIONS = {
    "get_item": "GetItem", "put_item": "PutItem", "update_item": "UpdateItem",
    "delete_item": "DeleteItem", "query": "Query", "scan": "Scan",
    "batch_get_item": "BatchGetItem", "batch_write_item": "BatchWriteItem",
    "transact_write_items": None, "transact_get_items": None,
}  # fmt: skip


def store_actions() -> set[str]:
    """The IAM actions that shared/store/dynamodb.py needs, read from its calls.

    A call `self._call("put_item", ...)` needs dynamodb:PutItem; TransactWriteItems is authorised
    per item, so a {"Put": ...} item needs PutItem, {"ConditionCheck": ...} ConditionCheckItem.
    """
    tree = ast.parse((ROOT / "shared" / "store" / "dynamodb.py").read_text())
    items = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
             "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}  # fmt: skip
    found = set()
    for node in ast.walk(tree):
        # An operation named as a string (self._call("get_item", ...)) or as an attribute
        # (self._client.put_item).
        name = node.value if isinstance(node, ast.Constant) else getattr(node, "attr", None)
        if isinstance(name, str) and name in OPERATIONS:
            found.add(OPERATIONS[name])
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and key.value in items:
                    found.add(items[key.value])
    return {f"dynamodb:{action}" for action in found if action}


# Only the sessions function deletes sessions (DELETE /session/{id}): in batches.
SESSION_DELETION = {"dynamodb:BatchWriteItem"}


def test_the_store_needs_what_the_chat_and_plans_functions_may_do():
    needed = store_actions()
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"} <= needed
    assert needed >= SESSION_DELETION
    for function in ("ChatFunction", "PlansFunction"):
        assert needed - SESSION_DELETION <= dynamodb_actions(function), function


@pytest.mark.parametrize("function", ["ChatFunction", "PlansFunction"])
def test_deleting_is_limited_to_idempotency_records(function):
    from shared.store.dynamodb import _idempotency_key

    (delete,) = [s for s in statements(function) if "DeleteItem" in str(s["Action"])]
    assert delete["Action"] == "dynamodb:DeleteItem"
    (prefix,) = delete["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert prefix.endswith("#*")
    assert _idempotency_key("any-key")["PK"]["S"].startswith(prefix.removesuffix("*"))
    for statement in statements(function):
        if statement is not delete:
            assert "Delete" not in str(statement["Action"])


def test_the_sessions_function_may_read_create_and_delete_sessions():
    assert dynamodb_actions("SessionsFunction") == {
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
    }  # fmt: skip
    assert store_actions() <= dynamodb_actions("SessionsFunction")


def test_only_the_sessions_function_reads_the_owner_index_and_only_by_query():
    from shared.store.dynamodb import OWNER_INDEX

    owner_index = index_arn(OWNER_INDEX)
    assert dynamodb_actions("SessionsFunction", owner_index) == {"dynamodb:Query"}
    for function in ("ChatFunction", "PlansFunction"):
        assert dynamodb_actions(function, owner_index) == set()


def test_no_function_may_scan_or_use_wildcards():
    text = (ROOT / "template.yaml").read_text()
    assert "Scan" not in text
    assert "DynamoDBCrudPolicy" not in text
    for function in FUNCTIONS:
        assert not any("*" in a for a in dynamodb_actions(function))


def test_the_table_is_the_one_the_tests_build():
    from shared.store.dynamodb import ACTIVITY_KEY, OWNER_INDEX, OWNER_KEY

    tables = [r for r in RESOURCES.values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == 1
    assert table_properties() == {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
            {"AttributeName": OWNER_KEY, "AttributeType": "S"},
            {"AttributeName": ACTIVITY_KEY, "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": OWNER_INDEX,
                "KeySchema": [
                    {"AttributeName": OWNER_KEY, "KeyType": "HASH"},
                    {"AttributeName": ACTIVITY_KEY, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    }


def test_the_outputs_name_the_api_url_and_the_table():
    outputs = TEMPLATE["Outputs"]
    assert "${HttpApi}.execute-api" in outputs["ApiUrl"]["Value"]["Fn::Sub"]
    assert outputs["SessionsTableName"]["Value"] == {"Ref": "SessionsTable"}


def test_the_dependencies_layer_source_is_the_real_pyproject():
    """deploy/dependencies/pyproject.toml links to ../../pyproject.toml: SAM's build cache hashes
    the layer's ContentUri, so a dependency change rebuilds the layer."""
    uri = RESOURCES["DependenciesLayer"]["Properties"]["ContentUri"]
    link = ROOT / uri / "pyproject.toml"
    assert link.is_symlink()
    assert link.resolve() == (ROOT / "pyproject.toml").resolve()


def test_every_makefile_target_matches_a_resource():
    makefile = (ROOT / "deploy" / "Makefile").read_text()
    targets = set(re.findall(r"^build-(\w+):", makefile, re.MULTILINE))
    built = {
        k for k, r in RESOURCES.items() if r.get("Metadata", {}).get("BuildMethod") == "makefile"
    }
    assert built == set(FUNCTIONS) | {"DependenciesLayer", "SharedLayer"}
    assert built <= targets
