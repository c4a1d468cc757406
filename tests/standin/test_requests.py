"""POST /api/v1/request: validation and the three deterministic outcomes."""

import uuid

import pytest


async def test_clear_request_is_parsed(api):
    body = await api.submit("deploy the billing api to staging")
    uuid.UUID(body["request_id"])
    assert body["status"] == "parsing_complete"
    decomposed = body["decomposed_request"]
    assert decomposed["intent"] == "deployment"
    assert "billing" in decomposed["targets"]
    assert decomposed["raw"] == "deploy the billing api to staging"


async def test_every_request_gets_a_new_id(api):
    first = await api.submit("deploy the billing api")
    second = await api.submit("deploy the billing api")
    assert first["request_id"] != second["request_id"]


@pytest.mark.parametrize(
    "text",
    [
        "deploy it",
        "fix",
        "deploy something to production",
        "clean up the stuff in staging",
        "do whatever you think is best",
    ],
)
async def test_ambiguous_text_requires_clarification(api, client, text):
    body = await api.submit(text)
    assert body["status"] == "requires_clarification"
    assert body["ambiguities"] and all(isinstance(q, str) and q for q in body["ambiguities"])
    assert body["out_of_scope"] == []
    assert "decomposed_request" not in body
    # The request is remembered, but no plan can be made for it.
    response = await client.get(f"/api/v1/plan/{body['request_id']}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Request not found"}


async def test_parse_fail_marker_is_a_failure_reported_as_200(api, client):
    body = await api.submit("[parse-fail] deploy the billing api")
    assert body["status"] == "parsing_failed"
    assert body["error"]
    response = await client.get(f"/api/v1/plan/{body['request_id']}")
    assert response.status_code == 404


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
async def test_empty_request_is_400(client, text):
    response = await client.post("/api/v1/request", json={"request": text, "user_id": "u"})
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)


async def test_ten_thousand_characters_is_the_limit(client):
    words = "deploy the billing api " * 500
    at_limit = (words * 2)[:10_000]
    assert len(at_limit) == 10_000
    ok = await client.post("/api/v1/request", json={"request": at_limit, "user_id": "u"})
    assert ok.status_code == 200
    too_long = await client.post(
        "/api/v1/request", json={"request": at_limit + "x", "user_id": "u"}
    )
    assert too_long.status_code == 400
    assert "10000" in too_long.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [{"request": "deploy the api now"}, {"user_id": "u"}, {}, {"request": 5, "user_id": "u"}],
)
async def test_missing_or_wrong_fields_are_422(client, body):
    response = await client.post("/api/v1/request", json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


async def test_health(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}
