"""Fixtures of the hostile tests: the app on the in-memory store or on a DynamoDBSessionStore
backed by moto (with every DynamoDB call logged), talking to the orchestrator stand-in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from moto import mock_aws

from devtools.table import create_table
from shared.settings import Settings
from shared.store import dynamodb_client
from shared.store.dynamodb import DynamoDBSessionStore
from shared.store.memory import InMemorySessionStore
from tests.hostile import fuzzstats
from tests.hostile.support import (
    API,
    DEPLOY,
    WRITE_OPERATIONS,
    DynamoCallLog,
    World,
    asgi_client,
    build_world,
)
from tests.hosts import HOSTS, dashboard_app


@dataclass
class Backend:
    """The store the app uses, and how to look at it without going through the app."""

    name: str
    world: World
    log: DynamoCallLog | None = None  # moto only

    @property
    def store(self):
        return self.world.store

    def mark(self):
        """Where the store stands now, for stored_since()."""
        if self.name == "memory":
            return repr(sorted((k, repr(v)) for k, v in vars(self.store).items()))
        return len(self.log.calls)

    def stored_since(self, mark) -> bool:
        """Whether anything was written since `mark`: for memory, any change of its state; for
        DynamoDB, any write call (PutItem, TransactWriteItems, ...) the client made."""
        if self.name == "memory":
            return self.mark() != mark
        return bool([n for n, _ in self.log.calls[mark:] if n in WRITE_OPERATIONS])


@pytest.fixture(scope="module")
def moto_table():
    """One moto DynamoDB table per test module (creating one per test is slow); every call of
    the store's client is logged."""
    with mock_aws():
        # the functions' own client, on botocore's data cut to DynamoDB (tests/conftest.py)
        client = dynamodb_client(Settings(dynamodb_endpoint_url=None))
        table = f"hostile-{uuid.uuid4().hex[:8]}"
        create_table(client, table)
        log = DynamoCallLog()
        log.attach(client)
        yield client, table, log


@pytest.fixture
def moto_backend(moto_table):
    client, table, log = moto_table
    log.clear()
    world = build_world(DynamoDBSessionStore(client, table))
    return Backend("moto", world, log)


@pytest.fixture
def memory_backend():
    return Backend("memory", build_world(InMemorySessionStore()))


@pytest.fixture(params=["memory", "moto"])
def backend(request) -> Backend:
    return request.getfixturevalue(f"{request.param}_backend")


@pytest.fixture(params=HOSTS)
def host(request) -> str:
    """Which host serves the app (tests/hosts.py); a test parametrizes it to pin one."""
    return request.param


@pytest.fixture
def host_app(host):
    return dashboard_app(host)


async def _serve(backend, app):
    backend.world.install(app)
    try:
        async with asgi_client(app) as http:
            yield http
    finally:
        backend.world.uninstall(app)
        backend.world.orchestrator.close()


@pytest.fixture
async def client(backend, host_app):
    """The app over ASGI on `backend` (memory and moto), on both hosts."""
    async for http in _serve(backend, host_app):
        yield http


@pytest.fixture
async def mem_client(memory_backend, host_app):
    """The app over ASGI on the in-memory store only, on both hosts."""
    async for http in _serve(memory_backend, host_app):
        yield http


@pytest.fixture
async def moto_client(moto_backend, host_app):
    """The app over ASGI on the DynamoDB store (moto) only, on both hosts."""
    async for http in _serve(moto_backend, host_app):
        yield http


async def new_session(http, user: str | None = "alice") -> str:
    headers = {"X-User-Id": user} if user else {}
    answer = await http.post(f"{API}/session", json={}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["session_id"]


async def session_with_plan(http, user: str = "alice") -> tuple[str, str]:
    session_id = await new_session(http, user)
    answer = await http.post(
        f"{API}/chat",
        json={"session_id": session_id, "message": DEPLOY},
        headers={"X-User-Id": user},
    )
    assert answer.status_code == 200, answer.text
    return session_id, answer.json()["plan"]["plan_id"]


def pytest_terminal_summary(terminalreporter):
    if fuzzstats.OPERATIONS:
        terminalreporter.write_sep("-", "schema fuzzing (schemathesis)")
        terminalreporter.write_line(fuzzstats.summary())
