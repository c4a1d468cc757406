"""The stage: template.yaml deploys `$default`, so API Gateway hands paths over unprefixed.

With a named stage ("prod"), or a custom domain's mapping path, API Gateway puts that prefix in
front of every path, and the routers (which match /api/dashboard/...) would answer 404 unless
Mangum strips it: lambda_handler_for(..., api_gateway_base_path="/prod").
"""

import importlib

from shared.web.lambda_entry import lambda_handler_for

from .apigw import answer, http_event
from .cfn import load_template


def test_the_http_api_deploys_the_default_stage():
    api = load_template()["Resources"]["HttpApi"]
    assert api["Type"] == "AWS::Serverless::HttpApi"
    assert api["Properties"]["StageName"] == "$default"


def test_the_default_stage_event_has_no_prefix(sessions_handler, context):
    event = http_event("POST", "/api/dashboard/session")
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/api/dashboard/session"
    assert answer(sessions_handler(event, context)).status == 201


def test_a_named_stage_works_with_the_base_path(context):
    app = importlib.import_module("functions.sessions.handler").app
    handler = lambda_handler_for(app, "sessions", api_gateway_base_path="/prod")

    created = answer(handler(http_event("POST", "/api/dashboard/session", stage="prod"), context))
    assert created.status == 201
    session_id = created.body["session_id"]
    route = "/api/dashboard/session/{session_id}"
    event = http_event("GET", f"/api/dashboard/session/{session_id}", route=route, stage="prod")
    assert event["rawPath"] == f"/prod/api/dashboard/session/{session_id}"
    fetched = answer(handler(event, context))
    assert fetched.status == 200
    assert fetched.body["session_id"] == session_id
    assert answer(handler(http_event("GET", "/health", stage="prod"), context)).status == 200


def test_a_named_stage_without_the_base_path_answers_404(sessions_handler, context):
    """Why the template uses $default: the deployed handlers strip no prefix."""
    result = answer(
        sessions_handler(http_event("POST", "/api/dashboard/session", stage="prod"), context)
    )
    assert result.status == 404
    assert result.body["error"]["code"] == "not_found"
