"""The launcher (scripts/dev) when a piece of the stack dies under it: DynamoDB Local killed as
an out-of-memory killer or a stray `kill -9` would. Real processes, real ports; what the test
starts, it stops."""

import os
import signal
from pathlib import Path

import pytest

from devtools.processes import port_in_use
from tests.e2e.test_local_stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.dynamodb_local]


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat split after the command name (so field 0 is the state), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rpartition(")")[2].split()


def children_of(parent: int) -> dict[tuple[int, str], str]:
    """The processes whose parent is `parent`: (pid, start time) -> command line. The start time
    tells a process apart from a later one given the same pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is None or int(fields[1]) != parent:
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found[(int(entry.name), fields[19])] = command
    return found


def still_there(pid: int, started: str) -> str | None:
    """The state of that very process (R, S, Z for a zombie, ...), or None when it is gone."""
    fields = _stat(pid)
    return fields[0] if fields is not None and fields[19] == started else None


def test_dynamodb_local_dying_stops_the_launcher_and_everything_it_started(tmp_path):
    """Before, the launcher went on with the emulator a zombie, and every endpoint answered
    503. Now it says so, names the emulator's log, stops the rest and exits with code 1."""
    stack = Stack(tmp_path / "dynamodb-data")
    stack.start()
    try:
        started = children_of(stack.process.pid)
        emulator = [key for key, command in started.items() if "DynamoDBLocal.jar" in command]
        assert len(emulator) == 1, started
        assert len(started) == 3, started  # DynamoDB Local, the stand-in, the dashboard

        os.kill(emulator[0][0], signal.SIGKILL)
        code = stack.process.wait(timeout=60)
    finally:
        stack.stop()  # Ctrl-C if it is still running, so a failure leaves nothing behind

    output = stack.output.read_text()
    page = f"http://127.0.0.1:{stack.ports['dashboard']}/"
    assert any(line.split()[:2] == ["page", page] for line in output.splitlines()), output
    assert code == 1, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert "DynamoDB Local was killed by SIGKILL" in errors[0]
    assert "everything is stopped" in errors[0]
    assert errors[0].endswith(str(Path(".local") / "logs" / "dynamodb.log"))
    assert "stopped dashboard" in output and "stopped orchestrator stand-in" in output
    # Nothing it started is running, nor left a zombie (each was reaped), nor holds its port.
    left = {pid: state for pid, start in started if (state := still_there(pid, start))}
    assert left == {}, {pid: started[(pid, s)] for pid, s in started if pid in left}
    assert not [name for name, port in stack.ports.items() if port_in_use(port)]

