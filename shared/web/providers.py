"""What a request's use case is given: settings, store, orchestrator client, caller, assembled
into one Context. Framework-free, so the Lambda router can use them without FastAPI; the FastAPI
app wraps the same functions as dependencies (shared/web/deps.py).

Tests replace them by these names in an app's `dependency_overrides`, which both the FastAPI app
and the Lambda router honour. They are `async def` on purpose: FastAPI runs plain `def`
dependencies in a thread pool, a hop that costs more than what they do.
"""

from typing import TYPE_CHECKING

from shared.settings import Settings, get_settings
from shared.store import SessionStore, get_store

if TYPE_CHECKING:
    from shared.orchestrator.client import OrchestratorClient


async def settings_dependency() -> Settings:
    return get_settings()


async def store_dependency() -> SessionStore:
    return get_store()


def store_unless_overridden(overrides: dict) -> SessionStore:
    """The store for code outside the routes (the Idempotency-Key middleware), honouring a
    test's override of store_dependency like the routes do."""
    return (overrides.get(store_dependency) or get_store)()


async def orchestrator_dependency() -> "OrchestratorClient":
    # Imported lazily: the sessions function never talks to the orchestrator.
    from shared.orchestrator.factory import get_orchestrator

    return get_orchestrator()
