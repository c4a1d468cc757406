"""The stage: template.yaml deploys `$default`, so API Gateway hands paths over unprefixed.

With a named stage ("prod"), API Gateway puts "/prod" in front of every path, and Powertools
takes it off again. A custom domain's mapping path is not taken off unless the resolver is told:
resolver_for(..., strip_prefixes=["/dashboard"]).
"""

from functions.sessions.routes import OPERATIONS
from shared.web.lambda_app import lambda_handler_for, resolver_for
from tests.lambda_events import answer, http_event

from .cfn import load_template


def test_the_http_api_deploys_the_default_stage():
    api = load_template()["Resources"]["HttpApi"]
    assert api["Type"] == "AWS::Serverless::HttpApi"
    assert api["Properties"]["StageName"] == "$default"


def test_the_default_stage_event_has_no_prefix(sessions_handler, context):
    event = http_event("POST", "/api/dashboard/session")
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/api/dashboard/session"
    assert answer(sessions_handler(event, context)).status == 201


def test_a_named_stage_works_as_it_is(sessions_handler, context):
    """Powertools reads the path without the stage that API Gateway put in front of it."""
    created = answer(
        sessions_handler(http_event("POST", "/api/dashboard/session", stage="prod"), context)
    )
    assert created.status == 201
    session_id = created.body["session_id"]
    route = "/api/dashboard/session/{session_id}"
    event = http_event("GET", f"/api/dashboard/session/{session_id}", route=route, stage="prod")
    assert event["rawPath"] == f"/prod/api/dashboard/session/{session_id}"
    assert answer(sessions_handler(event, context)).body["session_id"] == session_id


def test_a_custom_domain_mapping_path_is_stripped_when_configured(context):
    mapped = http_event("POST", "/dashboard/api/dashboard/session")
    plain = lambda_handler_for(resolver_for(OPERATIONS), "sessions")
    assert answer(plain(mapped, context)).status == 404  # why the template maps no path
    stripping = lambda_handler_for(
        resolver_for(OPERATIONS, strip_prefixes=["/dashboard"]), "sessions"
    )
    assert answer(stripping(mapped, context)).status == 201
