"""Fixtures for the API tests: the whole app in-process (on both hosts, tests/hosts.py), the
in-memory store, and a fake orchestrator on respx at http://orchestrator.test.

Settings, store and orchestrator client are process-wide lru_caches; each test clears them, so
every test starts with an empty store and its own OrchestratorClient (no backoff sleeping).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from shared.orchestrator.client import OrchestratorClient
from shared.orchestrator.factory import get_orchestrator
from shared.settings import get_settings
from shared.store import get_store
from tests.api.flows import Dashboard
from tests.api.orchestrator_fake import ORCHESTRATOR_URL, FakeOrchestrator
from tests.hosts import HOSTS, dashboard_app, transport_for


def _clear_caches() -> None:
    get_settings.cache_clear()
    get_store.cache_clear()
    get_orchestrator.cache_clear()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SESSION_STORE", "memory")
    monkeypatch.setenv("ORCHESTRATOR_URL", ORCHESTRATOR_URL)
    monkeypatch.setenv("ORCHESTRATOR_TIMEOUT_SECONDS", "0.5")
    monkeypatch.delenv("REQUIRE_IDENTITY", raising=False)
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture(params=HOSTS)
def host(request) -> str:
    """Which host serves the app (tests/hosts.py); a test parametrizes it to pin one."""
    return request.param


@pytest.fixture
async def app(host, environment) -> AsyncIterator:
    from shared.services.context import orchestrator_dependency as _orchestrator

    app = dashboard_app(host)

    settings = get_settings()
    client = OrchestratorClient(
        str(settings.orchestrator_url),
        timeout=settings.orchestrator_timeout_seconds,
        max_attempts=settings.orchestrator_max_attempts,
        backoff_seconds=0,
    )
    app.dependency_overrides[_orchestrator] = lambda: client
    try:
        yield app
    finally:
        app.dependency_overrides.pop(_orchestrator, None)
        client.close()


@pytest.fixture
def orchestrator() -> Iterator[FakeOrchestrator]:
    with respx.mock(base_url=ORCHESTRATOR_URL, assert_all_called=False) as router:
        yield FakeOrchestrator(router)


@pytest.fixture
async def http(app, host) -> AsyncIterator[httpx.AsyncClient]:
    transport = transport_for(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def dashboard(http: httpx.AsyncClient, orchestrator: FakeOrchestrator) -> Dashboard:
    return Dashboard(http)
