"""Setting the scene through the dashboard's public HTTP API (the real flow), as USER."""

from __future__ import annotations

import httpx

from bench.common import USER

API = "/api/dashboard"
HEADERS = {"X-User-Id": USER}
REQUEST_TEXT = "build and deploy the api service to staging"


def _ok(response: httpx.Response) -> dict:
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    return response.json()


def new_session(base_url: str) -> str:
    answer = _ok(httpx.post(f"{base_url}{API}/session", json={}, headers=HEADERS, timeout=30))
    return answer["session_id"]


def chat(base_url: str, session_id: str, text: str = REQUEST_TEXT) -> dict:
    return _ok(
        httpx.post(
            f"{base_url}{API}/chat",
            json={"session_id": session_id, "message": text},
            headers=HEADERS,
            timeout=60,
        )
    )


def session_with_plan(base_url: str, text: str = REQUEST_TEXT) -> tuple[str, str]:
    """A new session whose chat turn produced a plan awaiting review: (session_id, plan_id)."""
    session_id = new_session(base_url)
    answer = chat(base_url, session_id, text)
    if not answer.get("plan"):
        raise RuntimeError(f"the chat turn made no plan: {answer}")
    return session_id, answer["plan"]["plan_id"]


def approve(base_url: str, session_id: str, plan_id: str) -> dict:
    return _ok(
        httpx.post(
            f"{base_url}{API}/plan/{plan_id}/approve",
            json={"session_id": session_id},
            headers=HEADERS,
            timeout=60,
        )
    )
