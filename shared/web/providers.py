"""What a request's use case is given: settings, store and orchestrator client. Both hosts
resolve them as dependencies (FastAPI's and Powertools' own `Depends`), so a test replaces any of
them the same way on both: `app.dependency_overrides[store_dependency] = ...`.
"""

from typing import TYPE_CHECKING

from shared.settings import Settings, get_settings
from shared.store import SessionStore, get_store

if TYPE_CHECKING:
    from shared.orchestrator.client import OrchestratorClient


def settings_dependency() -> Settings:
    return get_settings()


def store_dependency() -> SessionStore:
    return get_store()


def orchestrator_dependency() -> "OrchestratorClient":
    # Imported lazily: the sessions function never talks to the orchestrator.
    from shared.orchestrator.factory import get_orchestrator

    return get_orchestrator()
