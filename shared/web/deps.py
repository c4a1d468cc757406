"""FastAPI dependencies, as Annotated aliases so route signatures stay short.

They are `async def` on purpose: FastAPI runs plain `def` dependencies in a thread pool, a hop
that costs more than what they do. Tests override them by these names.
"""

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from shared.identity import Caller, caller_from
from shared.services.context import Context
from shared.settings import Settings, get_settings
from shared.store import SessionStore, get_store

if TYPE_CHECKING:
    from shared.orchestrator.client import OrchestratorClient


async def settings_dependency() -> Settings:
    return get_settings()


async def store_dependency() -> SessionStore:
    return get_store()


async def orchestrator_dependency() -> "OrchestratorClient":
    # Imported lazily: the sessions function never talks to the orchestrator.
    from shared.orchestrator.factory import get_orchestrator

    return get_orchestrator()


SettingsDep = Annotated[Settings, Depends(settings_dependency)]
StoreDep = Annotated[SessionStore, Depends(store_dependency)]
OrchestratorDep = Annotated["OrchestratorClient", Depends(orchestrator_dependency)]


async def caller_dependency(request: Request, settings: SettingsDep) -> Caller:
    # Mangum puts the API Gateway event in the ASGI scope; locally there is none.
    return caller_from(request.scope.get("aws.event"), request.headers, settings)


CallerDep = Annotated[Caller, Depends(caller_dependency)]


async def sessions_context_dependency(
    store: StoreDep, caller: CallerDep, settings: SettingsDep
) -> Context:
    return Context(store=store, caller=caller, settings=settings)


async def context_dependency(
    store: StoreDep, caller: CallerDep, settings: SettingsDep, orchestrator: OrchestratorDep
) -> Context:
    return Context(store=store, caller=caller, settings=settings, orchestrator=orchestrator)


# The sessions group never talks to the orchestrator, so its context has no client (and its
# Lambda function never imports httpx).
SessionsContextDep = Annotated[Context, Depends(sessions_context_dependency)]
ContextDep = Annotated[Context, Depends(context_dependency)]
