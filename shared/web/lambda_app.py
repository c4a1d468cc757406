"""The operations on Powertools' event handler, for the Lambda functions: one
`APIGatewayHttpResolver(enable_validation=True)` per function, its routes built from the
operations, and the handler that Powertools' Logger, Metrics and Tracer wrap.

Path to a use case: API Gateway event -> handler (logging, metrics, tracing) -> resolver (route,
parse, validate with the operation's models, resolve the context) -> use case -> JSON response.
"""

import json
import os
from collections.abc import Iterable
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.event_handler.request import Request
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel

from shared import metrics as app_metrics
from shared.api import MAX_BODY_BYTES, NO_BODY, Answer, Operation
from shared.errors import (
    TOO_LARGE,
    DashboardError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    internal_error,
    invalid_request,
)
from shared.identity import Caller, caller_from
from shared.services.context import Context, settings_dependency
from shared.services.perform import perform
from shared.settings import Settings
from shared.web.signatures import Markers, as_route

REQUEST_ID_HEADER = "x-request-id"
DEFAULT_METRICS_NAMESPACE = "ChiffonDashboard"


def caller_dependency(
    request: Request, settings: Annotated[Settings, Depends(settings_dependency)]
) -> Caller:
    event = request.resolved_event
    return caller_from(event.raw_event, event.headers, settings)


MARKERS = Markers(depends=Depends, header=Header, query=Query, body=Body, caller=caller_dependency)


def _json(status: int, content: Any, headers: dict[str, str] | None = None) -> Response:
    body = content.model_dump_json() if isinstance(content, BaseModel) else json.dumps(content)
    return Response(status, content_types.APPLICATION_JSON, body, headers or {})


def _error(error: DashboardError) -> Response:
    return _json(error.status, error.content())


def _read_json(text: str) -> Any:
    """json.loads, with the two other ways a body can fail to be read (nested too deep, an
    integer too long to convert) reported as the JSON error the resolver answers 400 for.

    A JSON array comes back as a tuple: Powertools validates the first item of a list as the
    whole body (it unwraps lists as it does a repeated query parameter), so `[{...}, 1]` would
    pass for `{...}`. pydantic refuses a tuple for a model with the error FastAPI gives."""
    try:
        value = json.loads(text)
    except (RecursionError, ValueError) as error:
        raise json.JSONDecodeError(str(error), text, 0) from None
    return tuple(value) if isinstance(value, list) else value


def _route(operation: Operation):
    def route(ctx: Context, **inputs) -> Response:
        result = perform(operation, ctx, **inputs)
        app_metrics.answered(operation.name, result)
        answer = result if isinstance(result, Answer) else Answer(result)
        status = answer.status or operation.status_code
        if status in NO_BODY:
            return Response(status, headers=answer.headers)
        return _json(status, answer.body, answer.headers)

    return as_route(route, operation, MARKERS)


def resolver_for(
    *groups: Iterable[Operation], strip_prefixes: list[str] | None = None
) -> APIGatewayHttpResolver:
    """`strip_prefixes`: what API Gateway puts in front of the routes: nothing for the `$default`
    stage that template.yaml uses; "/<stage>" for a named stage, or a custom domain's mapping
    path, or every route answers 404."""
    app = APIGatewayHttpResolver(
        enable_validation=True, strip_prefixes=strip_prefixes, json_body_deserializer=_read_json
    )
    for group in groups:
        for operation in group:
            path = operation.path.replace("{", "<").replace("}", ">")  # Powertools' syntax
            app.route(path, [operation.method])(_route(operation))

    @app.exception_handler(DashboardError)
    def dashboard_error(error: DashboardError) -> Response:
        app_metrics.fault_answered(error)
        return _error(error)

    @app.exception_handler([RequestValidationError, RequestUnsupportedContentType])
    def not_valid(error: RequestValidationError) -> Response:
        return _error(invalid_request(error.errors()))

    @app.exception_handler(UnicodeDecodeError)
    def not_text(_: UnicodeDecodeError) -> Response:  # a body that is not UTF-8 at all
        return _error(InvalidInput("the body is not valid JSON"))

    @app.not_found
    def not_found(_: Exception) -> Response:
        # API Gateway routes only the function's own paths and methods here; what is left is a
        # path with an id that matched API Gateway's pattern but not the resolver's.
        return _error(NotFound("Not Found"))

    @app.exception_handler(Exception)
    def unexpected(_: Exception) -> Response:
        return _error(internal_error())

    return app


def _body_size(event: dict) -> int:
    """The size of the body as sent: a base64 one's decoded size, exactly."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(body.rstrip("=")) * 3 // 4
    return len(body.encode())


def lambda_handler_for(
    app: APIGatewayHttpResolver,
    service: str,
    *,
    traced_libraries: tuple[str, ...] = ("botocore", "httpx"),
):
    """The Lambda handler of a function serving `app`. `traced_libraries` are the libraries
    X-Ray patches: only those the function uses, since patching one imports it."""
    logger_ = Logger(service=service)
    tracer = Tracer(service=service, patch_modules=list(traced_libraries))
    # An explicit namespace: without one, flushing the cold-start metric raises.
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_METRICS_NAMESPACE
    metrics = Metrics(service=service, namespace=namespace)

    @metrics.log_metrics(capture_cold_start_metric=True)  # flushes once per invocation
    @app_metrics.recording(metrics, service=service, namespace=namespace)
    @tracer.capture_lambda_handler(capture_response=False)
    @logger_.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict, context: Any) -> dict:
        # Before the resolver, which reads a body only when the route takes one, and then as
        # its content type says (JSON, a form, multipart): every body past the limit is 413,
        # as on the local app. API Gateway itself stops at 10 MB.
        if _body_size(event) > MAX_BODY_BYTES:
            error = PayloadTooLarge(TOO_LARGE)
            response = {
                "statusCode": error.status,
                "headers": {"Content-Type": content_types.APPLICATION_JSON},
                "body": json.dumps(error.content()),
            }
        else:
            response = app.resolve(event, context)
        # Lets a caller quote the id that the function's log lines carry as correlation_id.
        request_id = (event.get("requestContext") or {}).get("requestId")
        request_id = request_id or getattr(context, "aws_request_id", None)
        headers = response.setdefault("headers", {})
        if request_id and REQUEST_ID_HEADER not in headers:
            headers[REQUEST_ID_HEADER] = request_id
        return response

    return handler
