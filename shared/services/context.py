"""What every use case works with: the store, the caller, the settings and, for the groups that
need it, the orchestrator client. One object, so signatures stay short and alike.

Both hosts assemble it from the providers below, as dependencies (FastAPI's and Powertools' own
`Depends`, shared/web/signatures.py), so a test replaces any of them the same way on both:
`app.dependency_overrides[store_dependency] = ...`. The caller is read off each host's request.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.identity import Caller
from shared.settings import Settings, get_settings
from shared.store import SessionStore, get_store

if TYPE_CHECKING:
    from shared.orchestrator.client import OrchestratorClient


@dataclass(frozen=True)
class Context:
    store: SessionStore
    caller: Caller
    settings: Settings
    orchestrator: "OrchestratorClient | None" = None  # None in the sessions group


def settings_dependency() -> Settings:
    return get_settings()


def store_dependency() -> SessionStore:
    return get_store()


def orchestrator_dependency() -> "OrchestratorClient":
    # Imported lazily: the sessions function never talks to the orchestrator.
    from shared.orchestrator.factory import get_orchestrator

    return get_orchestrator()
