"""API Gateway HTTP API (payload 2.0) events and a Lambda context, as Lambda hands them over.

Every event starts from events/http_api_v2.json, a request as API Gateway delivers it, and
changes only what a test is about.
"""

import base64
import copy
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

EVENTS = Path(__file__).resolve().parent / "lambda" / "events"
_TEMPLATE = json.loads((EVENTS / "http_api_v2.json").read_text())
_JWT = json.loads((EVENTS / "jwt_authorizer.json").read_text())


@dataclass
class LambdaContext:
    function_name: str = "chiffon-dashboard-SessionsFunction-Ab12Cd34Ef56"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:eu-west-1:123456789012:function:{function_name}"
    aws_request_id: str = "52fdfc07-2182-454f-963f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def http_event(
    method: str,
    path: str,
    *,
    route: str | None = None,
    body: Any = None,
    sub: str | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    stage: str = "$default",
    base64_body: bool = False,
) -> dict[str, Any]:
    """An HTTP API v2 event for `method path`.

    route: the route's path template (`/api/dashboard/session/{session_id}`); defaults to path.
    body: a str is sent as is (e.g. malformed JSON), bytes as they are (base64_body for bytes
    that are not UTF-8), anything else as JSON.
    sub: adds the JWT authorizer's claims with this subject.
    stage: a named stage prefixes rawPath and http.path with "/<stage>", as API Gateway does.
    """
    event = copy.deepcopy(_TEMPLATE)
    route_key = f"{method} {route or path}"
    full_path = path if stage == "$default" else f"/{stage}{path}"
    event["routeKey"] = route_key
    event["rawPath"] = full_path
    event["rawQueryString"] = query
    context = event["requestContext"]
    context["http"]["method"] = method
    context["http"]["path"] = full_path
    context["routeKey"] = route_key
    context["stage"] = stage
    context["requestId"] = base64.b64encode(uuid.uuid4().bytes[:10]).decode()
    if query:
        # As API Gateway does: decoded, repeated names joined with commas.
        params: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            params.setdefault(name, []).append(value)
        event["queryStringParameters"] = {k: ",".join(v) for k, v in params.items()}
    if route and "{" in route:
        names = [p[1:-1] for p in route.split("/") if p.startswith("{")]
        values = [v for p, v in zip(route.split("/"), path.split("/"), strict=True) if p != v]
        event["pathParameters"] = dict(zip(names, values, strict=True))
    if sub is not None:
        authorizer = copy.deepcopy(_JWT)
        authorizer["jwt"]["claims"]["sub"] = sub
        authorizer["jwt"]["claims"]["username"] = sub
        context["authorizer"] = authorizer
    if body is None:
        event.pop("body")
        del event["headers"]["content-type"], event["headers"]["content-length"]
    else:
        if isinstance(body, bytes):
            raw = body
            text = body.decode("utf-8", errors="replace")
        else:
            text = body if isinstance(body, str) else json.dumps(body)
            raw = text.encode()
        event["headers"]["content-length"] = str(len(raw))
        event["body"] = base64.b64encode(raw).decode() if base64_body else text
        event["isBase64Encoded"] = base64_body
    event["headers"].update(headers or {})
    return event


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def answer(response: dict[str, Any]) -> Answer:
    """The handler's response with its body parsed (JSON when it is JSON)."""
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    if headers.get("content-type", "").startswith("application/json") and body:
        body = json.loads(body)
    return Answer(status=response["statusCode"], headers=headers, body=body)


def response_of(response: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """The handler's response as status, headers and body bytes (what API Gateway sends)."""
    body = response.get("body") or ""
    content = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
    headers = dict(response.get("headers") or {})
    for cookie in response.get("cookies") or []:
        headers.setdefault("set-cookie", cookie)
    return response["statusCode"], headers, content
