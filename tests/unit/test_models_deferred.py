"""The models are built on first use (defer_build), so a Lambda function pays only for those it
uses; only the request bodies are built at import (see shared/models.py). Every model must still
build: a mistake would otherwise show only at first use."""

import subprocess
import sys
import types
from pathlib import Path

import pytest

import shared.orchestrator.answers
import shared.store.records
from shared.models import Model, _Strict

ROOT = Path(__file__).resolve().parents[2]


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


MODELS = sorted(
    {m for m in _subclasses(Model) if m.__module__.startswith("shared.")},
    key=lambda m: f"{m.__module__}.{m.__qualname__}",
)
REQUEST_BODIES = {m for m in MODELS if issubclass(m, _Strict)}


def test_every_model_of_the_service_is_a_deferred_model():
    assert {m.__module__ for m in MODELS} >= {
        "shared.models",
        shared.store.records.__name__,
        shared.orchestrator.answers.__name__,
    }
    assert all(m.model_config.get("defer_build") for m in MODELS if m not in REQUEST_BODIES)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__qualname__)
def test_every_model_builds(model):
    assert model.model_rebuild(force=True) is not False
    assert model.__pydantic_complete__
    model.model_json_schema()


def test_importing_the_use_cases_builds_no_model():
    code = (
        "import shared.services.sessions, shared.services.chat, shared.services.plans\n"
        "import shared.store.dynamodb, shared.orchestrator.client\n"
        "from tests.unit.test_models_deferred import MODELS, REQUEST_BODIES\n"
        "built = [m.__qualname__ for m in MODELS\n"
        "         if m.__pydantic_complete__ and m not in REQUEST_BODIES]\n"
        "assert not built, built\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_no_default_factory_is_a_builtin():
    """pydantic inspects a default_factory's signature when it builds the model; for a builtin
    such as `list` that compiles the tokenizer's regexes, a cost in the first request."""
    for model in MODELS:
        for name, field in model.model_fields.items():
            factory = field.default_factory
            if factory is not None:
                assert not isinstance(factory, type | types.BuiltinFunctionType), (model, name)
