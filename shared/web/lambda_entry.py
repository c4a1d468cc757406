"""Wrap an ASGI app for Lambda: Mangum inside, Powertools logging, metrics and tracing around."""

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum

REQUEST_ID_HEADER = "x-request-id"
DEFAULT_METRICS_NAMESPACE = "ChiffonDashboard"


def _request_id(event: dict, context: Any) -> str | None:
    # The API Gateway request id is also the logs' correlation id (correlation_paths below).
    request_id = (event.get("requestContext") or {}).get("requestId")
    return request_id or getattr(context, "aws_request_id", None)


def lambda_handler_for(
    app: Any,
    service: str,
    *,
    api_gateway_base_path: str = "/",
    traced_libraries: tuple[str, ...] = ("botocore", "httpx"),
):
    """A Lambda handler serving `app`.

    `traced_libraries` are the libraries X-Ray patches: only those the function uses, since
    patching one imports it (httpx alone is ~40 ms of a cold start).

    `api_gateway_base_path` is the prefix API Gateway leaves in front of the routes: "/" for the
    `$default` stage that template.yaml uses; "/<stage>" for a named stage, or a custom domain's
    mapping path, or every route answers 404.
    """
    logger = Logger(service=service)
    # off outside Lambda and with POWERTOOLS_TRACE_DISABLED=true
    tracer = Tracer(service=service, patch_modules=list(traced_libraries))
    # An explicit namespace: without one, flushing the cold-start metric raises.
    metrics = Metrics(
        service=service,
        namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_METRICS_NAMESPACE,
    )
    # lifespan off: on Lambda it would run around every invocation; everything that should live
    # for the container is created once at module level instead.
    asgi = Mangum(app, lifespan="off", api_gateway_base_path=api_gateway_base_path)

    @metrics.log_metrics(capture_cold_start_metric=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict, context: Any) -> dict:
        response = asgi(event, context)
        # Lets a caller quote the id that the function's log lines carry as correlation_id.
        request_id = _request_id(event, context)
        headers = response.setdefault("headers", {})
        if request_id and REQUEST_ID_HEADER not in headers:
            headers[REQUEST_ID_HEADER] = request_id
        return response

    return handler
