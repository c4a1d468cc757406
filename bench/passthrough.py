"""The proxy baseline: the least a FastAPI service can do to show a plan's live status.

    ORCHESTRATOR_URL=http://127.0.0.1:8000 uvicorn bench.passthrough:app --port 8011

GET /plan/{plan_id} -> GET {ORCHESTRATOR_URL}/api/v1/plan/{plan_id}/status, answered as is.
No store, no validation, no middleware: one shared httpx.AsyncClient.

GET /plan-read/{plan_id} does the same after one DynamoDB GetItem of the plan item (boto3 in a
worker thread, as the dashboard's store does) and a check that the caller (X-User-Id, as the
local dashboard takes it) owns it: the least a service that must not show anyone's plan to
anybody can do. The proxy target is measured against this side.
"""

import asyncio
import os

import boto3
import httpx
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse

ORCHESTRATOR_URL = os.environ.get("ORCHESTRATOR_URL", "http://localhost:8000").rstrip("/")
TABLE = os.environ.get("TABLE_NAME", "chiffon-dashboard-sessions")
client = httpx.AsyncClient(base_url=ORCHESTRATOR_URL, timeout=30)
dynamodb = boto3.client(
    "dynamodb",
    region_name=os.environ.get("AWS_REGION", "us-east-1"),
    endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
)
app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@app.get("/plan/{plan_id}")
async def plan(plan_id: str) -> JSONResponse:
    answer = await client.get(f"/api/v1/plan/{plan_id}/status")
    return JSONResponse(answer.json(), status_code=answer.status_code)


@app.get("/plan-read/{plan_id}")
async def plan_with_read(plan_id: str, x_user_id: str = Header("")) -> JSONResponse:
    found = await asyncio.to_thread(
        dynamodb.get_item,
        TableName=TABLE,
        Key={"PK": {"S": f"PLAN#{plan_id}"}, "SK": {"S": "META"}},
        ConsistentRead=True,
    )
    if found.get("Item", {}).get("user_id", {}).get("S") != x_user_id:  # not there, or not theirs
        return JSONResponse({"detail": "Plan not found"}, status_code=404)
    answer = await client.get(f"/api/v1/plan/{plan_id}/status")
    return JSONResponse(answer.json(), status_code=answer.status_code)
