"""The process's one orchestrator client."""

from functools import lru_cache

from shared.orchestrator.client import OrchestratorClient
from shared.settings import get_settings


@lru_cache(maxsize=1)
def get_orchestrator() -> OrchestratorClient:
    settings = get_settings()
    return OrchestratorClient(
        str(settings.orchestrator_url),
        timeout=settings.orchestrator_timeout_seconds,
        max_attempts=settings.orchestrator_max_attempts,
    )


def close_orchestrator() -> None:
    """Close the process's client, if one was made: the local app's shutdown."""
    if get_orchestrator.cache_info().currsize:
        get_orchestrator().close()
        get_orchestrator.cache_clear()
