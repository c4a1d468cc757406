"""The providers of shared/web/providers.py as FastAPI dependencies, in Annotated aliases so
generated route signatures stay short. Tests override them by the providers' names."""

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from shared.identity import Caller, caller_from
from shared.services.context import Context
from shared.settings import Settings
from shared.store import SessionStore
from shared.web.providers import orchestrator_dependency, settings_dependency, store_dependency

if TYPE_CHECKING:
    from shared.orchestrator.client import OrchestratorClient

__all__ = [
    "ContextDep",
    "SessionsContextDep",
    "orchestrator_dependency",
    "settings_dependency",
    "store_dependency",
]

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


# The sessions group never talks to the orchestrator, so its context has no client.
SessionsContextDep = Annotated[Context, Depends(sessions_context_dependency)]
ContextDep = Annotated[Context, Depends(context_dependency)]
