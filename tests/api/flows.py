"""What the web client does, as short calls, plus the checks every error answer must pass."""

from __future__ import annotations

from typing import Any

import httpx

BASE = "/api/dashboard"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The one error shape, {"error": {"code", "message"}}, with no stack trace in it."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert "Traceback" not in response.text
    return body["error"]


class Dashboard:
    def __init__(self, http: httpx.AsyncClient):
        self.http = http

    @staticmethod
    def _headers(user: str | None) -> dict[str, str]:
        return {"X-User-Id": user} if user else {}

    async def new_session(self, user: str | None = None) -> str:
        response = await self.http.post(
            f"{BASE}/session", json={"user_id": user or "dev-user"}, headers=self._headers(user)
        )
        assert response.status_code == 201, response.text
        return response.json()["session_id"]

    async def session(self, session_id: str, user: str | None = None) -> dict[str, Any]:
        response = await self.http.get(f"{BASE}/session/{session_id}", headers=self._headers(user))
        assert response.status_code == 200, response.text
        return response.json()

    async def sessions(self, user: str | None = None, **query: Any) -> dict[str, Any]:
        """A page of the caller's sessions list (GET /sessions)."""
        response = await self.http.get(
            f"{BASE}/sessions", params=query, headers=self._headers(user)
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def send(self, session_id: str, message: str, user: str | None = None) -> httpx.Response:
        return await self.http.post(
            f"{BASE}/chat",
            json={"session_id": session_id, "message": message},
            headers=self._headers(user),
        )

    async def chat(self, session_id: str, message: str, user: str | None = None) -> dict[str, Any]:
        response = await self.send(session_id, message, user)
        assert response.status_code == 200, response.text
        return response.json()

    async def plan_ready(self, message: str = "Deploy the billing service to staging"):
        """A new session with a plan waiting for review: (session_id, plan_id)."""
        session_id = await self.new_session()
        turn = await self.chat(session_id, message)
        return session_id, turn["plan"]["plan_id"]

    async def get_plan(self, plan_id: str, user: str | None = None) -> httpx.Response:
        return await self.http.get(f"{BASE}/plan/{plan_id}", headers=self._headers(user))

    async def action(
        self, plan_id: str, action: str, session_id: str, user: str | None = None
    ) -> httpx.Response:
        return await self.http.post(
            f"{BASE}/plan/{plan_id}/{action}",
            json={"session_id": session_id},
            headers=self._headers(user),
        )

    async def approve(self, plan_id: str, session_id: str) -> httpx.Response:
        return await self.action(plan_id, "approve", session_id)

    async def executing(self):
        """A session whose plan was approved and dispatched: (session_id, plan_id)."""
        session_id, plan_id = await self.plan_ready()
        response = await self.approve(plan_id, session_id)
        assert response.status_code == 200, response.text
        return session_id, plan_id

    async def status(self, plan_id: str) -> httpx.Response:
        return await self.http.get(f"{BASE}/plan/{plan_id}/status")

    async def poll(self, plan_id: str) -> httpx.Response:
        return await self.http.get(f"{BASE}/plan/{plan_id}/poll")
