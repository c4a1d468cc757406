"""The cold-start baselines: the barest reasonable Lambda for the same routes, written with
Powertools' APIGatewayHttpResolver: no FastAPI, no Mangum, no pydantic models, no settings
object, no Logger/Metrics/Tracer, no retries, no error mapping. Two modes:

- bare (the default): one DynamoDB GetItem per request (the same item the dashboard reads
  first) and nothing else, the baseline issue 7 named;
- same I/O (BASELINE_SAME_IO=1): the same DynamoDB and orchestrator calls the dashboard makes
  for that event, which are the least the data model allows (bench/calls.py: the minimums that
  benchmark 3 checks the dashboard against), made one after the other with boto3 and, for chat
  and plans only, a plain synchronous httpx.Client (BASELINE_ORCHESTRATOR_URL):
  - GET session: GetItem session + Query of the newest page of messages;
  - POST chat (a new request): GetItem session, the claim (TransactWriteItems: session
    awaiting_plan, conditional on its version, + the person's message) before the orchestrator
    is called, POST request, GET plan, the answer (TransactWriteItems: session plan_ready +
    the reply + the plan item);
  - GET plan: GetItem plan + GET the plan's status.
  What the dashboard spends over this side is its own overhead (frameworks, validation,
  settings, observability), not work the bare baseline skips.

Configured like the dashboard: TABLE_NAME, DYNAMODB_ENDPOINT_URL, AWS_REGION.
"""

import json
import os
import time
import uuid

import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

TABLE = os.environ.get("TABLE_NAME", "chiffon-dashboard-sessions")
PAGE = 50  # the dashboard's default page of messages
dynamodb = boto3.client(
    "dynamodb",
    region_name=os.environ.get("AWS_REGION", "us-east-1"),
    endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
)
app = APIGatewayHttpResolver()
SAME_IO = os.environ.get("BASELINE_SAME_IO") == "1"
orchestrator = None
if SAME_IO and os.environ.get("BASELINE_ORCHESTRATOR_URL"):  # chat and plans only
    import ssl

    import httpx

    url = os.environ["BASELINE_ORCHESTRATOR_URL"]
    # As the dashboard's client does for a plain-HTTP orchestrator: no CA bundle loaded
    # (~20-50 ms here) for a client that never makes a TLS connection.
    verify = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT) if url.startswith("http:") else True
    orchestrator = httpx.Client(base_url=url, timeout=6, verify=verify)


def _get(pk: str) -> dict | None:
    return dynamodb.get_item(
        TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": "META"}}, ConsistentRead=True
    ).get("Item")


def _plain(item: dict) -> dict:
    return {name: next(iter(value.values())) for name, value in item.items()}


def _answer(item: dict | None, **extra) -> Response | dict:
    if item is None:
        return Response(404, "application/json", json.dumps({"error": {"code": "not_found"}}))
    return {**_plain(item), **extra}


def _message(session_id: str, role: str, content: str, expires_at: str) -> dict:
    # Sort keys in time order, as the dashboard's ULIDs are.
    return {
        "Put": {
            "TableName": TABLE,
            "Item": {
                "PK": {"S": f"SESSION#{session_id}"},
                "SK": {"S": f"MSG#{time.time_ns():020d}{uuid.uuid4().hex[:6]}"},
                "id": {"S": str(uuid.uuid4())},
                "role": {"S": role},
                "content": {"S": content},
                "timestamp": {"S": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())},
                "expires_at": {"N": expires_at},
            },
        }
    }


def _session_put(session: dict, status: str, **extra: str) -> dict:
    item = dict(session, status={"S": status}, version={"N": str(int(session["version"]["N"]) + 1)})
    item.update({name: {"S": value} for name, value in extra.items()})
    return {
        "Put": {
            "TableName": TABLE,
            "Item": item,
            "ConditionExpression": "#v = :expected",
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": {":expected": session["version"]},
        }
    }


@app.get("/api/dashboard/session/<session_id>")
def get_session(session_id: str):
    session = _get(f"SESSION#{session_id}")
    if not SAME_IO or session is None:
        return _answer(session)
    page = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :msg)",
        ExpressionAttributeValues={":pk": {"S": f"SESSION#{session_id}"}, ":msg": {"S": "MSG#"}},
        ScanIndexForward=False,
        Limit=PAGE + 1,
    )
    return _answer(session, messages=[_plain(m) for m in page.get("Items", [])[:PAGE]])


@app.post("/api/dashboard/chat")
def chat():
    body = app.current_event.json_body or {}
    session_id, text = body.get("session_id", ""), body.get("message", "")
    session = _get(f"SESSION#{session_id}")
    if not SAME_IO or session is None:
        return _answer(session)
    expires_at = session["expires_at"]["N"]
    claimed = _session_put(session, "awaiting_plan")
    dynamodb.transact_write_items(
        TransactItems=[claimed, _message(session_id, "user", text, expires_at)]
    )
    request = {"request": text, "user_id": session["user_id"]["S"]}
    request_id = orchestrator.post("/api/v1/request", json=request).json()["request_id"]
    plan = orchestrator.get(f"/api/v1/plan/{request_id}").json()
    plan_item = {
        "PK": {"S": f"PLAN#{plan['plan_id']}"},
        "SK": {"S": "META"},
        "plan_id": {"S": plan["plan_id"]},
        "session_id": {"S": session_id},
        "user_id": session["user_id"],
        "request_id": {"S": request_id},
        "original_request": {"S": text},
        "state": {"S": "pending_approval"},
        "plan": {"S": json.dumps(plan, separators=(",", ":"))},
        "version": {"N": "1"},
        "expires_at": {"N": expires_at},
    }
    answered = _session_put(
        claimed["Put"]["Item"],
        "plan_ready",
        current_request_id=request_id,
        current_plan_id=plan["plan_id"],
    )
    reply = f"Here is the plan. {plan.get('summary', '')}"
    dynamodb.transact_write_items(
        TransactItems=[
            answered,
            _message(session_id, "assistant", reply, expires_at),
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": plan_item,
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
        ]
    )
    return _answer(answered["Put"]["Item"], plan=plan)


@app.get("/api/dashboard/plan/<plan_id>")
def get_plan(plan_id: str):
    item = _get(f"PLAN#{plan_id}")
    if not SAME_IO or item is None:
        return _answer(item)
    live = orchestrator.get(f"/api/v1/plan/{plan_id}/status").json()
    return _answer(item, live_status=live.get("status"))


def handler(event: dict, context) -> dict:
    return app.resolve(event, context)
