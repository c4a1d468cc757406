"""What the hostile tests share: the app wired to the orchestrator stand-in and a store, a
switchable faulty link, a DynamoDB call log, and the checks every error answer must pass."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

import shared.errors
from orchestrator_standin.app import create_app as create_standin
from shared.orchestrator.client import OrchestratorClient
from shared.services.context import orchestrator_dependency, settings_dependency, store_dependency
from tests.hosts import transport_for
from tests.orchestrator_faults import FaultyTransport

API = "/api/dashboard"
ALLOWED_ORIGIN = "http://localhost:3000"
EVIL_ORIGIN = "http://evil.example"
DEPLOY = "build and deploy the api service to staging"

# The dependencies the routes (and the idempotency middleware) take the store and orchestrator
# from; formerly get_store and deps._orchestrator.
STORE_DEPENDENCY = store_dependency
ORCHESTRATOR_DEPENDENCY = orchestrator_dependency
SETTINGS_DEPENDENCY = settings_dependency

# An upstream answer as careless as they come: a trace, a file path, a botocore class name.
UPSTREAM_TRACE = (
    'Traceback (most recent call last):\n  File "/srv/orchestrator/app/planner.py", line 42, '
    "in plan\nbotocore.exceptions.ClientError: An error occurred (ValidationException)"
)


@dataclass
class World:
    """The dashboard app with its store and orchestrator swapped for test ones."""

    store: Any
    link: FaultyTransport
    orchestrator: OrchestratorClient
    standin: Any

    def install(self, app) -> None:
        app.dependency_overrides[STORE_DEPENDENCY] = lambda: self.store
        app.dependency_overrides[ORCHESTRATOR_DEPENDENCY] = lambda: self.orchestrator

    @staticmethod
    def uninstall(app) -> None:
        app.dependency_overrides.clear()


def build_world(store) -> World:
    standin = create_standin()
    standin.state.store.settings.task_seconds = 0.05
    link = FaultyTransport(standin, upstream_text=UPSTREAM_TRACE)
    # The stand-in answers in-process at once; the generous timeout only keeps a busy machine
    # (the suite beside other work) from turning a slow answer into a 504 the test is not about.
    orchestrator = OrchestratorClient(
        "http://orchestrator.test", transport=link, backoff_seconds=0, timeout=10
    )
    return World(store=store, link=link, orchestrator=orchestrator, standin=standin)


def asgi_client(app, **kw) -> httpx.AsyncClient:
    """`app` on its host; app exceptions become the 500 answer a server would send."""
    transport = transport_for(app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test", **kw)


# DynamoDB -----------------------------------------------------------------------------------

WRITE_OPERATIONS = {
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "TransactWriteItems",
    "BatchWriteItem",
}


@dataclass
class DynamoCallLog:
    """Every DynamoDB API call the client makes, seen through botocore's before-call event:
    (operation name, the request's parameters as sent on the wire)."""

    calls: list[tuple[str, dict]] = field(default_factory=list)

    def attach(self, client) -> None:
        client.meta.events.register("before-call.dynamodb.*", self._record)

    def _record(self, model, params, **_) -> None:
        body = params.get("body") or b"{}"
        self.calls.append((model.name, json.loads(body)))

    def clear(self) -> None:
        self.calls.clear()

    @property
    def writes(self) -> list[tuple[str, dict]]:
        return [(name, params) for name, params in self.calls if name in WRITE_OPERATIONS]

    def mentions(self, text: str) -> list[str]:
        """The calls whose parameters contain `text` anywhere (keys, values, expressions)."""
        return [name for name, params in self.calls if text in self.text(params)]

    @staticmethod
    def text(params: dict) -> str:
        return json.dumps(params, ensure_ascii=False)


# Error answers ------------------------------------------------------------------------------

_DOMAIN_ERRORS = sorted(
    name
    for name, value in vars(shared.errors).items()
    if isinstance(value, type) and issubclass(value, Exception)
)
LEAK_PATTERNS = [
    re.compile(r"Traceback"),
    re.compile(r'File "[^"]*"'),
    re.compile(r"site-packages|dist-packages"),
    re.compile(r"\bbotocore\b|\bboto3\b"),
    re.compile(r"\b[\w-]+\.py\b"),
    re.compile(r"(?<![\w.])/(?:[\w.-]+/)+[\w.-]+"),  # an absolute path of two segments or more
    re.compile(r"\b[A-Z][A-Za-z0-9]*(?:Error|Exception)\b"),  # ValueError, ClientError, ...
    re.compile(r"\b(?:" + "|".join(_DOMAIN_ERRORS) + r")\b"),
]


def leaks(text: str, sent: Iterable[str] = ()) -> list[str]:
    """Internal details in `text`: traces, file paths, library and exception class names.
    Fragments that are part of what the client itself sent (`sent`) do not count."""
    sent = [s for s in sent if s]
    found = []
    for pattern in LEAK_PATTERNS:
        for match in pattern.finditer(text):
            fragment = match.group(0)
            if not any(fragment in s for s in sent):
                found.append(fragment)
    return found


def error_shape_problems(response: httpx.Response | Any) -> list[str]:
    """Why an error answer is not exactly {"error": {"code": str, "message": str}}."""
    problems = []
    content_type = response.headers.get("content-type", "")
    if isinstance(content_type, list):  # schemathesis' Response: every header is a list
        content_type = content_type[0] if content_type else ""
    if not content_type.startswith("application/json"):
        problems.append(f"content-type is {content_type!r}")
    try:
        body = json.loads(response.content)
    except ValueError:
        return [*problems, f"body is not JSON: {response.content[:200]!r}"]
    if not isinstance(body, dict) or set(body) != {"error"}:
        return [*problems, f"top level is not exactly {{'error'}}: {str(body)[:200]}"]
    error = body["error"]
    if not isinstance(error, dict) or set(error) != {"code", "message"}:
        return [*problems, f"error is not exactly {{code, message}}: {str(error)[:200]}"]
    for key in ("code", "message"):
        if not isinstance(error[key], str) or not error[key]:
            problems.append(f"error.{key} is not a non-empty string: {error[key]!r}")
    return problems


def assert_error(response: httpx.Response, status: int | set[int], code: str | None = None):
    """An error answer: the expected status, the one shape, no internal details."""
    statuses = {status} if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    problems = error_shape_problems(response)
    assert not problems, problems
    if code is not None:
        assert response.json()["error"]["code"] == code, response.text
    found = leaks(response.text)
    assert not found, f"internal details in the answer: {found}: {response.text[:500]}"
    return response.json()["error"]
