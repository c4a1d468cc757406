"""The dev launcher's refusals: a taken port or a missing Java is a clear message and exit 2."""

import socket

import pytest

from devtools import devstack, dynamodb_local
from devtools.processes import free_port


def test_missing_java_is_a_clear_setup_error(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(dynamodb_local.SetupError, match="Java 17"):
        dynamodb_local.java()


def test_a_taken_port_stops_the_launcher_before_it_starts_anything(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = devstack.main(
            ["--port", str(port), "--orchestrator-port", str(free_port()),
             "--dynamodb-port", str(free_port())]
        )  # fmt: skip
    assert code == 2
    assert f"dashboard (port {port})" in capsys.readouterr().err
