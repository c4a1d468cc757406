"""The operations on Powertools' event handler, for the Lambda functions: API Gateway event ->
handler (Logger, Metrics, Tracer) -> `APIGatewayHttpResolver(enable_validation=True)` (route,
read and validate with the operation's models, resolve the context) -> perform -> JSON."""

import json
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

from shared import errors, metrics
from shared.api import MAX_BODY_BYTES, Operation, Reply, json_text
from shared.identity import Caller, caller_from
from shared.services.context import settings_dependency
from shared.settings import Settings, get_settings
from shared.web.signatures import Markers, as_route

REQUEST_ID_HEADER = "x-request-id"


def caller_dependency(
    request: Request, settings: Annotated[Settings, Depends(settings_dependency)]
) -> Caller:
    event = request.resolved_event
    return caller_from(event.raw_event, event.headers, settings)


def _respond(reply: Reply) -> Response:
    return Response(reply.status, body=reply.text, headers=reply.headers)


def _error(error: errors.DashboardError) -> Response:
    return Response(error.status, content_types.APPLICATION_JSON, json_text(error.content()))


MARKERS = Markers(Depends, Header, Query, Body, caller=caller_dependency, respond=_respond)


def _read_json(text: str) -> Any:
    """json.loads, with a body nested too deep or an integer too long to convert reported as
    the JSON error the resolver answers 400 for. A JSON array comes back as a tuple: Powertools
    validates a list's first item as the body (it unwraps lists as it does a repeated query
    parameter), so `[{...}, 1]` would pass for `{...}`; pydantic refuses a tuple for a model."""
    try:
        value = json.loads(text)
    except (RecursionError, ValueError) as error:
        raise json.JSONDecodeError(str(error), text, 0) from None
    return tuple(value) if isinstance(value, list) else value


def resolver_for(
    *groups: Iterable[Operation], strip_prefixes: list[str] | None = None
) -> APIGatewayHttpResolver:
    """`strip_prefixes`: what API Gateway puts in front of the routes: nothing for the `$default`
    stage that template.yaml uses; "/<stage>" for a named stage, or a custom domain's mapping
    path, or every route answers 404."""
    app = APIGatewayHttpResolver(
        enable_validation=True, strip_prefixes=strip_prefixes, json_body_deserializer=_read_json
    )
    for operation in (operation for group in groups for operation in group):
        path = operation.path.replace("{", "<").replace("}", ">")  # Powertools' syntax
        app.route(path, [operation.method])(as_route(operation, MARKERS))

    app.exception_handler(errors.DashboardError)(_error)

    @app.exception_handler([RequestValidationError, RequestUnsupportedContentType])
    def not_valid(error: RequestValidationError) -> Response:
        return _error(errors.invalid_request(error.errors()))

    @app.exception_handler(UnicodeDecodeError)
    def not_text(_: UnicodeDecodeError) -> Response:  # a body that is not UTF-8 at all
        return _error(errors.InvalidInput("the body is not valid JSON"))

    @app.not_found
    def not_found(_: Exception) -> Response:
        # API Gateway routes only the function's own paths and methods here; what is left is a
        # path with an id that matched API Gateway's pattern but not the resolver's.
        return _error(errors.NotFound("Not Found"))

    @app.exception_handler(Exception)
    def unexpected(_: Exception) -> Response:
        return _error(errors.internal_error())

    return app


def _too_large(event: dict) -> bool:
    body = event.get("body") or ""
    size = len(body.rstrip("=")) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())
    return size > MAX_BODY_BYTES


def lambda_handler_for(
    app: APIGatewayHttpResolver,
    service: str,
    *,
    traced_libraries: tuple[str, ...] = ("botocore", "httpx"),
):
    """The Lambda handler of a function serving `app`. `traced_libraries` are the libraries
    X-Ray patches: only those the function uses, since patching one imports it."""
    logger = Logger(service=service)
    tracer = Tracer(service=service, patch_modules=list(traced_libraries))
    namespace = get_settings().metrics_namespace
    function_metrics = Metrics(service=service, namespace=namespace)

    @function_metrics.log_metrics(capture_cold_start_metric=True)  # flushes once per invocation
    @metrics.recording(function_metrics, service=service, namespace=namespace)
    @tracer.capture_lambda_handler(capture_response=False)
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict, context: Any) -> dict:
        # Checked here, before the resolver: it reads a body only when the route takes one, and
        # then as its content type says (JSON, a form, multipart). API Gateway stops at 10 MB.
        if _too_large(event):
            error = errors.PayloadTooLarge(errors.TOO_LARGE)
            response = {
                "statusCode": error.status,
                "headers": {"Content-Type": content_types.APPLICATION_JSON},
                "body": json_text(error.content()),
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
