"""Fixtures for the orchestrator stand-in tests: a fresh app per test, driven in-process."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orchestrator_standin.app import create_app
from orchestrator_standin.state import Store

START = 1_800_000_000.0


class FakeClock:
    """A clock the test moves by hand, so task progression needs no sleeping."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class StandinApi:
    """Short-hands for the calls most tests make; every call asserts it succeeded."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def submit(self, text: str) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/request", json={"request": text, "user_id": "user-1"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def plan(self, request_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/plan/{request_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def plan_for(self, text: str) -> dict[str, Any]:
        submitted = await self.submit(text)
        assert submitted["status"] == "parsing_complete", submitted
        return await self.plan(submitted["request_id"])

    async def approve(self, plan_id: str, approved: bool = True) -> dict[str, Any]:
        response = await self.client.post(
            f"/api/v1/plan/{plan_id}/approve", json={"approved": approved, "user_id": "user-1"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def task_ids_for(self, text: str) -> list[str]:
        plan = await self.plan_for(text)
        approval = await self.approve(plan["plan_id"])
        return [d["task_id"] for d in approval["dispatch_result"]["dispatched_tasks"]]

    async def task(self, task_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/status/{task_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def configure(self, **settings: Any) -> dict[str, Any]:
        response = await self.client.post("/_standin/config", json=settings)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> Store:
    return Store(clock=clock)


@pytest.fixture
async def client(store: Store):
    transport = httpx.ASGITransport(app=create_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://standin") as client:
        yield client


@pytest.fixture
def api(client: httpx.AsyncClient) -> StandinApi:
    return StandinApi(client)
