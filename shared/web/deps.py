"""FastAPI dependencies, as Annotated aliases so route signatures stay short."""

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from shared.identity import Caller, caller_from
from shared.settings import Settings, get_settings
from shared.store import SessionStore, get_store

if TYPE_CHECKING:
    from shared.orchestrator.client import OrchestratorClient


def _caller(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> Caller:
    # Mangum puts the API Gateway event in the ASGI scope; locally there is none.
    return caller_from(request.scope.get("aws.event"), request.headers, settings)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[SessionStore, Depends(get_store)]
CallerDep = Annotated[Caller, Depends(_caller)]


def _orchestrator():
    # Imported lazily: the sessions function never talks to the orchestrator.
    from shared.orchestrator.factory import get_orchestrator

    return get_orchestrator()


OrchestratorDep = Annotated["OrchestratorClient", Depends(_orchestrator)]
