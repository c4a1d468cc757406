"""The dashboard app wired to the orchestrator stand-in (in-process over ASGI, so every call is
counted) and to a store: in-memory, or the real DynamoDB Local emulator."""

import uuid
from dataclasses import dataclass

import httpx
import pytest

from devtools.table import create_table
from orchestrator_standin.app import create_app as create_standin
from shared.orchestrator.client import OrchestratorClient
from shared.services.context import orchestrator_dependency, store_dependency
from shared.store.dynamodb import DynamoDBSessionStore
from shared.store.memory import InMemorySessionStore
from tests.hosts import HOSTS, dashboard_app, transport_for
from tests.orchestrator_faults import FaultyTransport


@dataclass
class Dashboard:
    client: httpx.AsyncClient
    orchestrator: httpx.AsyncClient  # the stand-in itself, for its /_standin endpoints
    store: object
    link: FaultyTransport  # between the dashboard and the stand-in
    app: object  # the host serving it (tests/hosts.py)

    async def calls(self) -> dict[str, int]:
        return (await self.orchestrator.get("/_standin/calls")).json()

    async def configure(self, **config) -> None:
        (await self.orchestrator.post("/_standin/config", json=config)).raise_for_status()

    async def new_session(self, user: str = "alice") -> str:
        answer = await self.client.post("/api/dashboard/session", json={}, headers=self.as_(user))
        assert answer.status_code == 201, answer.text
        return answer.json()["session_id"]

    async def chat(self, session_id: str, message: str, user: str = "alice", **kw):
        return await self.client.post(
            "/api/dashboard/chat",
            json={"session_id": session_id, "message": message},
            headers={**self.as_(user), **kw.pop("headers", {})},
        )

    async def act(self, plan_id: str, action: str, session_id: str, user: str = "alice", **kw):
        return await self.client.post(
            f"/api/dashboard/plan/{plan_id}/{action}",
            json={"session_id": session_id, **kw.pop("extra", {})},
            headers={**self.as_(user), **kw.pop("headers", {})},
        )

    async def history(self, session_id: str, user: str = "alice") -> list[dict]:
        answer = await self.client.get(
            f"/api/dashboard/session/{session_id}", headers=self.as_(user)
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["messages"]

    @staticmethod
    def as_(user: str) -> dict[str, str]:
        return {"X-User-Id": user}


@pytest.fixture(params=HOSTS)
def host(request) -> str:
    """Which host serves the dashboard (tests/hosts.py)."""
    return request.param


@pytest.fixture(params=["memory", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)])
async def dashboard(request, host):
    if request.param == "memory":
        store = InMemorySessionStore()
    else:
        client = request.getfixturevalue("dynamodb_local").client()
        table = f"flows-{uuid.uuid4().hex[:10]}"
        create_table(client, table)
        store = DynamoDBSessionStore(client, table)
    standin = create_standin()
    link = FaultyTransport(standin)
    orchestrator = OrchestratorClient("http://orchestrator.test", transport=link, backoff_seconds=0)
    app = dashboard_app(host)
    app.dependency_overrides[store_dependency] = lambda: store
    app.dependency_overrides[orchestrator_dependency] = lambda: orchestrator
    async with (
        httpx.AsyncClient(transport=transport_for(app), base_url="http://test") as client,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=standin), base_url="http://o") as admin,
    ):
        dashboard = Dashboard(client, admin, store, link, app)
        await dashboard.configure(task_seconds=0.05)
        yield dashboard
    app.dependency_overrides.clear()
    orchestrator.close()
