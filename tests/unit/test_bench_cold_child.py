"""The cold-start child reports its own peak memory, not its parent's.

The runner used os.wait4's ru_maxrss, which on Linux also holds the memory the child had before
exec (the forked copy of the runner): every side of the benchmark reported the runner's RSS."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HANDLER = """
def handler(event, context):
    return {"statusCode": 200}
"""


def test_the_child_reports_its_own_peak_rss_not_its_parents(tmp_path):
    (tmp_path / "tiny_handler.py").write_text(HANDLER)
    events = tmp_path / "events.json"
    events.write_text(json.dumps([{}, {}]))
    ballast = bytearray(300 * 1024 * 1024)  # the parent holds 300 MiB when it starts the child
    ballast[::4096] = b"x" * len(ballast[::4096])  # touched, so it is resident
    child = subprocess.run(
        [sys.executable, "-m", "bench.cold_child", "tiny_handler", str(events)],
        cwd=ROOT, env={"PYTHONPATH": f"{ROOT}:{tmp_path}"}, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    del ballast
    line = next(ln for ln in child.stdout.splitlines() if ln.startswith("BENCH_RESULT "))
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    assert result["statuses"] == [200, 200]
    # A bare interpreter with a two-line handler: a few MiB, far below the parent's 300.
    assert 1024 < result["peak_rss_kib"] < 100 * 1024
