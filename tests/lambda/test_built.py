"""The artifacts of `sam build`, loaded as Lambda loads them, in a fresh interpreter.

Skipped when .aws-sam/build does not exist (conftest.py); .ci/sam.sh builds and runs them.
"""

import json
import marshal
import os
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest

from devtools.table import create_table
from tests.lambda_events import http_event

from .layout import BUILD_DIR, ROOT

pytestmark = pytest.mark.built

GROUPS = {"SessionsFunction": "sessions", "ChatFunction": "chat", "PlansFunction": "plans"}
LAYERS = ["DependenciesLayer", "SharedLayer"]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# Never in a Lambda: the dev and local extras (the local app's FastAPI and its server), and the
# repository's own non-runtime packages.
DEV_ONLY = ["pytest", "pytest_asyncio", "moto", "respx", "yaml", "ruff"]
LOCAL_ONLY = ["fastapi", "starlette", "uvicorn", "mangum"]
REPO_ONLY = ["devtools", "orchestrator_standin", "tests"]


def files_under(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def distributions(layer: Path) -> dict[str, str]:
    """{normalised name: version} from the layer's *.dist-info folders."""
    found = {}
    for info in (layer / "python").glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").rsplit("-", 1)
        found[name.lower().replace("_", "-")] = version
    return found


def run_built(group: str, events: list[dict], tmp_path: Path, env: dict | None = None) -> dict:
    function = next(k for k, v in GROUPS.items() if v == group)
    spec = {
        "paths": [str(BUILD_DIR / function)] + [str(BUILD_DIR / n / "python") for n in LAYERS],
        "module": f"functions.{group}.handler",
        "events": events,
        "probe": ["functions", f"functions.{group}", "shared", "pydantic", "httpx", "boto3"],
        "absent": [*DEV_ONLY, *LOCAL_ONLY, *REPO_ONLY]
        + [f"functions.{g}" for g in GROUPS.values() if g != group],
    }
    spec_file, out_file = tmp_path / "spec.json", tmp_path / "out.json"
    spec_file.write_text(json.dumps(spec))
    child_env = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_FUNCTION_NAME": f"chiffon-dashboard-{function}",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "ChiffonDashboardBuiltTests",
        "SESSION_STORE": "memory",
        **(env or {}),
    }
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", str(Path(__file__).with_name("run_built.py")),
         str(spec_file), str(out_file)],
        cwd=tmp_path, env=child_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out_file.read_text())


def check_isolated(result: dict, function: str) -> None:
    located = result["located"]
    assert located["functions"].startswith(str(BUILD_DIR / function))
    assert located["shared"].startswith(str(BUILD_DIR / "SharedLayer" / "python"))
    for package in ("pydantic", "httpx", "boto3"):
        assert located[package].startswith(str(BUILD_DIR / "DependenciesLayer" / "python"))
    assert result["importable"] == []
    assert not any(str(ROOT / ".venv") in p for p in result["sys_path"])


@pytest.mark.parametrize("function, group", GROUPS.items())
def test_a_function_holds_only_its_own_group(function, group):
    expected = {"functions/__init__.py"} | {
        f"functions/{group}/{name}" for name in files_under(ROOT / "functions" / group)
    }
    assert files_under(BUILD_DIR / function) == expected


def test_the_shared_layer_holds_the_shared_package_only():
    layer = BUILD_DIR / "SharedLayer"
    expected = {f"python/shared/{name}" for name in files_under(ROOT / "shared")}
    assert files_under(layer) == expected


def test_the_dependencies_layer_holds_the_runtime_dependencies_only():
    layer = BUILD_DIR / "DependenciesLayer"
    found = distributions(layer)
    for requirement in PROJECT["dependencies"]:
        name, version = requirement.split("==")
        name = name.split("[")[0].lower()
        assert found.get(name) == version, requirement
    extras = PROJECT["optional-dependencies"]
    not_deployed = {r.split("==")[0].split("[")[0].lower() for r in extras["dev"] + extras["local"]}
    assert not not_deployed & set(found)
    top = {p.name for p in (layer / "python").iterdir()}
    assert not top & {"shared", "functions", "bin", *DEV_ONLY, *LOCAL_ONLY, *REPO_ONLY}
    # botocore's data cut to DynamoDB, written from the layer's own botocore
    assert (layer / "botocore-data" / "botocore-version").read_text() == found["botocore"]


def test_bytecode_is_shipped_with_the_paths_lambda_uses():
    for artifact, module, prefix in [
        ("SessionsFunction", "functions/sessions/handler", "/var/task"),
        ("SharedLayer", "python/shared/settings", "/opt"),
        ("DependenciesLayer", "python/pydantic/main", "/opt"),
    ]:
        source = BUILD_DIR / artifact / f"{module}.py"
        cached = source.parent / "__pycache__" / f"{source.stem}.cpython-311.pyc"
        code = marshal.loads(cached.read_bytes()[16:])
        assert code.co_filename == f"{prefix}/{module}.py"


def test_the_built_sessions_function_creates_and_reads_a_session(tmp_path):
    template = "/api/dashboard/session/{session_id}"
    events = [
        http_event("POST", "/api/dashboard/session", body={"user_id": "mallory"}, sub="sub-a"),
        http_event("GET", "/api/dashboard/session/__SESSION_ID__", route=template, sub="sub-a"),
        http_event("GET", "/api/dashboard/session/__SESSION_ID__", route=template, sub="sub-b"),
        http_event("POST", "/api/dashboard/session", body="{broken"),
        http_event("GET", "/health"),
    ]
    result = run_built("sessions", events, tmp_path)
    check_isolated(result, "SessionsFunction")
    created, mine, theirs, broken, health = result["answers"]
    assert created["status"] == 201 and created["body"]["user_id"] == "sub-a"
    assert mine["status"] == 200 and mine["body"]["session_id"] == created["body"]["session_id"]
    assert theirs["status"] == 404 and theirs["body"]["error"]["code"] == "not_found"
    assert broken["status"] == 400 and broken["body"]["error"]["code"] == "invalid_request"
    assert health == {"status": 200, "body": {"status": "ok"}}


@pytest.mark.parametrize(
    "group, event",
    [
        (
            "chat",
            http_event(
                "POST", "/api/dashboard/chat",
                body={"session_id": str(uuid.uuid4()), "message": "deploy the web tier"},
            ),
        ),
        (
            "plans",
            http_event(
                "GET", f"/api/dashboard/plan/{uuid.uuid4()}", route="/api/dashboard/plan/{plan_id}"
            ),
        ),
    ],
)  # fmt: skip
def test_the_built_chat_and_plans_functions_answer(group, event, tmp_path):
    result = run_built(group, [event], tmp_path)
    check_isolated(result, next(k for k, v in GROUPS.items() if v == group))
    (only,) = result["answers"]
    assert only["status"] == 404
    assert set(only["body"]["error"]) == {"code", "message"}


@pytest.mark.dynamodb_local
def test_the_built_sessions_function_uses_dynamodb_with_the_layers_boto3(dynamodb_local, tmp_path):
    """The real emulator: boto3 and botocore come from the layer and talk to a real table."""
    client = dynamodb_local.client()
    table = f"built-{uuid.uuid4().hex[:8]}"
    create_table(client, table)
    template = "/api/dashboard/session/{session_id}"
    events = [
        http_event("POST", "/api/dashboard/session", sub="sub-a"),
        http_event("GET", "/api/dashboard/session/__SESSION_ID__", route=template, sub="sub-a"),
    ]
    env = {
        "SESSION_STORE": "dynamodb",
        "TABLE_NAME": table,
        "DYNAMODB_ENDPOINT_URL": dynamodb_local.endpoint_url,
        # /opt/botocore-data in Lambda (template.yaml)
        "BOTOCORE_DATA_DIR": str(BUILD_DIR / "DependenciesLayer" / "botocore-data"),
        # DynamoDB Local keeps tables per access key and region: the ones its client used.
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }
    result = run_built("sessions", events, tmp_path, env)
    check_isolated(result, "SessionsFunction")
    created, fetched = result["answers"]
    assert result["model_documented"] is False  # it read the layer's data cut to DynamoDB
    assert created["status"] == 201, created
    assert fetched["status"] == 200 and fetched["body"]["user_id"] == "sub-a"
    item = client.get_item(
        TableName=table,
        Key={"PK": {"S": f"SESSION#{created['body']['session_id']}"}, "SK": {"S": "META"}},
    )
    assert item["Item"]["user_id"] == {"S": "sub-a"}
    client.delete_table(TableName=table)
