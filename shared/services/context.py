"""What every use case works with: the store, the caller, the settings and, for the groups that
need it, the orchestrator client. One object, so signatures stay short and alike."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.identity import Caller
from shared.settings import Settings
from shared.store.base import SessionStore

if TYPE_CHECKING:
    from shared.orchestrator.client import OrchestratorClient


@dataclass(frozen=True)
class Context:
    store: SessionStore
    caller: Caller
    settings: Settings
    orchestrator: "OrchestratorClient | None" = None  # None in the sessions group
