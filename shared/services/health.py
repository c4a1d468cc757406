"""Readiness: whether this service can do its work now, the table and the orchestrator each
checked with one cheap call. (Liveness, GET /health, checks nothing: it answers while the
process does.)"""

from functools import partial

from shared.errors import DashboardError, NotReady
from shared.services.context import Context
from shared.services.fanout import all_of


def _reachable(check) -> bool:
    try:
        check()
    except DashboardError:
        return False
    return True


def readiness(ctx: Context) -> dict:
    table, orchestrator = all_of([
        partial(_reachable, ctx.store.ping),
        partial(_reachable, ctx.orchestrator.health),
    ])  # fmt: skip
    checks = {"the table": table, "the orchestrator": orchestrator}
    down = [name for name, up in checks.items() if not up]
    if down:
        raise NotReady(f"Not ready: {' and '.join(down)} cannot be reached.")
    return {"status": "ready", "table": "ok", "orchestrator": "ok"}
