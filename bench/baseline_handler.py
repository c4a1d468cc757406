"""The cold-start baseline: the barest reasonable Lambda for the same routes, written with
Powertools' APIGatewayHttpResolver, doing one DynamoDB GetItem per request (the same item the
dashboard reads first) and nothing else: no FastAPI, no Mangum, no pydantic models, no
Logger/Metrics/Tracer, no orchestrator client.

Configured like the dashboard: TABLE_NAME, DYNAMODB_ENDPOINT_URL, AWS_REGION.

With BASELINE_ORCHESTRATOR_CALLS=1 (the "baseline+calls" side, information only) it also makes
the orchestrator calls the dashboard makes for the same event, with a plain synchronous
httpx.Client (ORCHESTRATOR_URL): chat a request and its plan, GET plan the plan's status. That
side tells what is the dashboard's own overhead from what is the work the baseline skips.
"""

import json
import os

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

TABLE = os.environ.get("TABLE_NAME", "chiffon-dashboard-sessions")
dynamodb = boto3.client(
    "dynamodb",
    region_name=os.environ.get("AWS_REGION", "us-east-1"),
    endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
)
app = APIGatewayHttpResolver()
orchestrator = None
if os.environ.get("BASELINE_ORCHESTRATOR_CALLS") == "1":
    import httpx

    orchestrator = httpx.Client(base_url=os.environ["ORCHESTRATOR_URL"], timeout=6)


def _get(pk: str) -> dict | None:
    item = dynamodb.get_item(
        TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": "META"}}, ConsistentRead=True
    ).get("Item")
    if item is None:
        return None
    return {name: next(iter(value.values())) for name, value in item.items()}


def _answer(item: dict | None) -> Response | dict:
    if item is None:
        return Response(404, "application/json", json.dumps({"error": {"code": "not_found"}}))
    return item


@app.get("/api/dashboard/session/<session_id>")
def get_session(session_id: str):
    return _answer(_get(f"SESSION#{session_id}"))


@app.post("/api/dashboard/chat")
def chat():
    body = app.current_event.json_body or {}
    item = _get(f"SESSION#{body.get('session_id', '')}")
    if orchestrator is not None and item is not None:
        request = {"request": body.get("message", ""), "user_id": item.get("user_id")}
        request_id = orchestrator.post("/api/v1/request", json=request).json()["request_id"]
        orchestrator.get(f"/api/v1/plan/{request_id}").raise_for_status()
    return _answer(item)


@app.get("/api/dashboard/plan/<plan_id>")
def get_plan(plan_id: str):
    item = _get(f"PLAN#{plan_id}")
    if orchestrator is not None and item is not None:
        orchestrator.get(f"/api/v1/plan/{plan_id}/status").raise_for_status()
    return _answer(item)


def handler(event: dict, context) -> dict:
    return app.resolve(event, context)
