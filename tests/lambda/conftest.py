"""Fixtures for calling the Lambda handlers as Lambda does: handler(event, context)."""

import importlib
import os
from pathlib import Path

import pytest

from shared.orchestrator.factory import get_orchestrator
from shared.settings import get_settings
from shared.store import get_store
from tests.lambda_events import LambdaContext

from .layout import BUILD_DIR, ROOT

# .ci/sam.sh sets this: there a missing build is an error, not a reason to skip.
REQUIRE_BUILD = os.environ.get("CHIFFON_REQUIRE_SAM_BUILD") == "1"


HERE = Path(__file__).resolve().parent
# Powertools warns on every invocation that adds no metric besides the cold start: expected.
QUIET_METRICS = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")


def _why_not_built() -> str | None:
    """None when .aws-sam/build is there and newer than every source it is built from."""
    if REQUIRE_BUILD:
        return None
    marker = BUILD_DIR / "template.yaml"  # sam build rewrites it on every run, cached or not
    if not marker.exists():
        return "no SAM build in .aws-sam/build (run: bash .ci/sam.sh)"
    sources = [ROOT / "template.yaml", ROOT / "pyproject.toml", ROOT / "deploy" / "Makefile"]
    sources += [p for d in ("functions", "shared") for p in (ROOT / d).rglob("*.py")]
    if any(p.stat().st_mtime > marker.stat().st_mtime for p in sources):
        return "the SAM build is older than the code (run: bash .ci/sam.sh)"
    return None


def pytest_collection_modifyitems(config, items):
    """Tests marked `built` need current `sam build` output; without it they are skipped."""
    reason = _why_not_built() if any(i.get_closest_marker("built") for i in items) else None
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(QUIET_METRICS)
        if reason and item.get_closest_marker("built"):
            item.add_marker(pytest.mark.skip(reason=reason))


def _clear_caches() -> None:
    get_settings.cache_clear()
    get_store.cache_clear()
    get_orchestrator.cache_clear()


@pytest.fixture(autouse=True)
def lambda_env(monkeypatch):
    """The in-memory store and settings read afresh: every test starts with an empty store."""
    monkeypatch.setenv("SESSION_STORE", "memory")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ChiffonDashboardTests")
    monkeypatch.delenv("REQUIRE_IDENTITY", raising=False)
    _clear_caches()
    yield monkeypatch
    _clear_caches()


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


def _handler(group: str):
    # Imported after lambda_env has set the scene; the module (and its app) lives on between
    # tests like a warm Lambda container, while the store and settings caches are reset.
    return importlib.import_module(f"functions.{group}.handler").handler


@pytest.fixture
def sessions_handler():
    return _handler("sessions")


@pytest.fixture
def chat_handler():
    return _handler("chat")


@pytest.fixture
def plans_handler():
    return _handler("plans")
