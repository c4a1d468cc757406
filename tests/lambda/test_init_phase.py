"""Each function's handler module loads without the garbage collector and freezes what it made
(shared/init_phase.py): about a tenth of a cold start, ~150 collections that find nothing."""

import gc
import json
import subprocess
import sys

import pytest

from shared.init_phase import init_phase

from .layout import ROOT

# A fresh interpreter, as Lambda's: count the collections while the handler module loads.
IMPORT_AND_COUNT = """
import gc, importlib, json, sys
collections = [0, 0, 0]
gc.callbacks.append(lambda phase, info: phase == "start" and collections.__setitem__(
    info["generation"], collections[info["generation"]] + 1))
importlib.import_module(sys.argv[1])
print(json.dumps({"collections": collections, "frozen": gc.get_freeze_count(),
                  "enabled": gc.isenabled()}))
"""


@pytest.mark.parametrize("group", ["sessions", "chat", "plans"])
def test_a_handler_module_loads_without_collections_and_freezes_what_it_made(group):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "SESSION_STORE": "memory",
           "POWERTOOLS_TRACE_DISABLED": "true", "AWS_REGION": "us-east-1"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_COUNT, f"functions.{group}.handler"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    loaded = json.loads(done.stdout.splitlines()[-1])
    young, middle, full = loaded["collections"]
    # At most one young collection, in the few lines before the collector is switched off
    # (with it on, the load ran ~150 young, ~14 middle and a full collection).
    assert young <= 1 and middle == 0 and full == 0
    assert loaded["frozen"] > 20_000  # the modules, classes and clients of the function
    assert loaded["enabled"]  # and the collector is back on for the requests


def test_init_phase_restores_the_collector_and_freezes_what_was_made():
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    with init_phase():
        assert not gc.isenabled()
        made = [[i] for i in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(made)


def test_init_phase_leaves_a_disabled_collector_disabled():
    gc.disable()
    try:
        with init_phase():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_init_phase_turns_the_collector_back_on_after_a_failed_load():
    with pytest.raises(ImportError), init_phase():
        raise ImportError("a module the function needs is missing")
    assert gc.isenabled()
