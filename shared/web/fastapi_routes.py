"""The operations of shared/web/operations.py as FastAPI routes: the local app and the OpenAPI
document. Each route's signature is generated from its operation, so FastAPI validates with the
same models the Lambda router does and documents exactly what it validates."""

import inspect
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Query, Response

from shared.web.deps import ContextDep, SessionsContextDep
from shared.web.errors import ERROR_RESPONSES
from shared.web.operations import Answer, Operation

_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def _endpoint(operation: Operation):
    async def endpoint(response: Response, ctx, **inputs):
        result = await operation.call(ctx, **inputs)
        if isinstance(result, Answer):
            response.headers.update(result.headers)
            return result.body
        return result

    params = [
        inspect.Parameter("response", _KEYWORD, annotation=Response),
        inspect.Parameter(
            "ctx",
            _KEYWORD,
            annotation=ContextDep if operation.needs_orchestrator else SessionsContextDep,
        ),
    ]
    params += [inspect.Parameter(name, _KEYWORD, annotation=str) for name in operation.path_params]
    if operation.query is not None:
        params.append(
            inspect.Parameter("query", _KEYWORD, annotation=Annotated[operation.query, Query()])
        )
    if operation.body is not None:
        if operation.body_required:
            params.append(inspect.Parameter("body", _KEYWORD, annotation=operation.body))
        else:
            params.append(
                inspect.Parameter("body", _KEYWORD, annotation=operation.body | None, default=None)
            )
    endpoint.__signature__ = inspect.Signature(params)
    endpoint.__name__ = operation.name
    endpoint.__doc__ = operation.call.__doc__
    return endpoint


def router_for(operations: Iterable[Operation]) -> APIRouter:
    router = APIRouter(responses=ERROR_RESPONSES)
    for operation in operations:
        router.add_api_route(
            operation.path,
            _endpoint(operation),
            methods=[operation.method],
            response_model=operation.response_model,
            status_code=operation.status_code,
            name=operation.name,
            tags=list(operation.tags),
            summary=operation.summary,
            include_in_schema=operation.in_schema,
        )
    return router
