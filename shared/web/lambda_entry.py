"""Wrap an ASGI app for Lambda: Mangum inside, Powertools logging, metrics and tracing around."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum


def lambda_handler_for(app: Any, service: str):
    logger = Logger(service=service)
    tracer = Tracer(service=service)
    metrics = Metrics(service=service)
    # lifespan off: on Lambda it would run around every invocation; everything that should live
    # for the container is created once at module level instead.
    asgi = Mangum(app, lifespan="off")

    @metrics.log_metrics(capture_cold_start_metric=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict, context: Any) -> dict:
        return asgi(event, context)

    return handler
