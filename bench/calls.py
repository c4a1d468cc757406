"""3. DynamoDB calls per endpoint (and the orchestrator calls of 4.), counted in-process, next to
the least the data model allows.

Why those minimums (shared/store/dynamodb.py, /work/shared/DESIGN.md): a session is one item
(SESSION#id/META), each message its own item (SESSION#id/MSG#ulid), a plan one item
(PLAN#id/META); every session change is conditional on its version, and a change that adds a
message or touches a plan is one TransactWriteItems.
- create session: one conditional Put.
- get session / list messages: the session item (owner, status) by GetItem, the newest page by
  one Query. One Query over the whole partition cannot do both: META sorts before MSG#, so a
  newest-first page of 50 reaches it only in a session of fewer than 50 messages.
- get plan, status, poll: one Query of the plan's partition (PLAN#id) returns the plan item
  (META, which names its owner) and its status snapshot (STATUS) together: one read, where a
  GetItem of each would be two. A poll that finds the snapshot younger than the poll interval
  answers from it: no write and no orchestrator call (get plan and poll below, which follow
  status within the interval). The one request per interval that refreshes it (status below,
  the run's first poll) adds two conditional Puts: the claim (a lease, before the orchestrator
  is asked, so racing polls never both ask) and the observation (after): it cannot be one
  write, since the claim must come before the orchestrator's answer exists. The refresh is one
  task-status call per step, and no plan-status call: the steps tell how the run goes.
  With the snapshot off (STATUS_SNAPSHOT=false) it is one GetItem and one call per step per
  poll, as before issue 18.
- chat, new request: GetItem session; the claim (status awaiting_plan + the user's message,
  conditional) is one transaction *before* the orchestrator is called, so two racing turns never
  both call it; the answer (reply + plan + session) is a second. The claim cannot be skipped:
  the orchestrator makes a new plan on every call (DESIGN: "Each turn ... at most one plan").
- chat modification / modify: as above plus GetItem of the plan under review (its original
  request and earlier changes must be sent along); its id is only known from the session, so the
  two reads are sequential (2 GetItem), and the second transaction also supersedes the old plan.
  The new plan is a revision: the diff against the plan it replaces is computed from that read
  and stored with the new plan item, so it costs no call here.
- get plan (revision): as get plan, one Query. The view of a revision carries its diff, stored
  with it when it was made: the plan it replaces is never read again.
- approve: GetItem session + plan; claim (session executing, plan approving) in one transaction
  before the non-idempotent approve; the task ids (given only once) in a second.
- reject: GetItem session + plan; a transaction that claims the rejection (session idle, plan
  rejected) before the orchestrator is told, and a second with the assistant's message once it
  confirmed: the history never says "rejected" for a rejection the orchestrator did not get.
- abort: GetItem session + plan; one transaction after the cancels (session idle, plan aborted,
  the assistant's record of it).
- list sessions: one Query of the owner index (owner = the caller, newest activity first); the
  index projects the whole session item, so nothing is read again.
- audit: one Query of the plan's partition, begins_with(SK, "AUDIT#"): the entries name their
  owner, so the plan item is not read (it may be gone with its session).
- Every decision's audit entry rides in the transaction that records the decision (created and
  revised with the plan, approved with the task ids, ...): no row above changes for it.
- delete session: GetItem (owner, status: a run executing refuses it); a conditional Put that
  marks the session deleting before anything goes, so nothing writes to it meanwhile and a
  delete stopped half way is finished by the next; one Query of the session's partition (its
  messages and its plan links, where the plans are found); BatchWriteItem of the plans (META
  and STATUS keys), messages, 25 a call; then the links in their own batch, after the plans
  they find (a retry must still find what is left); then DeleteItem of the session item, last.
  For a session of 2 messages and 1 plan that is 2 batches; a session with a running plan adds
  a GetItem of it.
"""

from __future__ import annotations

import json
import subprocess

from bench.common import PYTHON, ROOT, Figure, Stack, app_env, print_table

TABLE = "bench-calls"
OPS = ["GetItem", "Query", "PutItem", "TransactWriteItems", "BatchWriteItem", "DeleteItem", "Scan"]

# endpoint -> minimum DynamoDB calls {op: n}; orchestrator minimums use N (steps of the run).
MIN_DYNAMODB = {
    "create session": {"PutItem": 1},
    "chat: new request": {"GetItem": 1, "TransactWriteItems": 2},
    "get plan": {"Query": 1},
    "chat: modification": {"GetItem": 2, "TransactWriteItems": 2},
    "get plan (revision)": {"Query": 1},  # the diff is in the revision's own item
    "modify": {"GetItem": 2, "TransactWriteItems": 2},
    "reject": {"GetItem": 2, "TransactWriteItems": 2},
    "chat: new request (after reject)": {"GetItem": 1, "TransactWriteItems": 2},
    "approve": {"GetItem": 2, "TransactWriteItems": 2},
    "status (run going)": {"Query": 1, "PutItem": 2},  # refreshes the snapshot
    "get plan (run going)": {"Query": 1},  # answered from the snapshot
    "poll (run going)": {"Query": 1},
    "abort": {"GetItem": 2, "TransactWriteItems": 1},
    "get session": {"GetItem": 1, "Query": 1},
    "list messages": {"GetItem": 1, "Query": 1},
    "list sessions": {"Query": 1},
    "audit": {"Query": 1},
    "delete session": {
        "GetItem": 1,
        "PutItem": 1,
        "Query": 1,
        "BatchWriteItem": 2,
        "DeleteItem": 1,
    },  # fmt: skip
    # With the key: + a conditional Put that claims it and + the answer once it is known (it
    # could only ride in the turn's last transaction if the use case built the HTTP answer
    # itself). The answer is about a session, so it is one transaction, not a Put: the answer,
    # a pointer in the session's partition (its delete finds the answer by the one Query it
    # makes anyway) and a check that the session is there and not being deleted. The same
    # number of calls. Informational rows: the key is optional.
    "chat + Idempotency-Key": {"GetItem": 1, "PutItem": 1, "TransactWriteItems": 3},
    # A replay: the claim finds the stored answer, and a GetItem checks the session is still
    # there (an answer about a deleted session is not given again).
    "chat + same key (replay)": {"PutItem": 1, "GetItem": 1},
}


def min_orchestrator(endpoint: str, steps: int) -> dict[str, int]:
    if endpoint.startswith("chat") and "replay" not in endpoint or endpoint == "modify":
        return {"request": 1, "plan": 1}
    return {
        "get plan": {"plan_status": 1},
        "get plan (revision)": {"plan_status": 1},
        "approve": {"approve": 1},
        "reject": {"approve": 1},
        "status (run going)": {"task_status": steps},  # the interval's one refresh
        "abort": {"cancel": steps},
    }.get(endpoint, {})


_collected: dict | None = None


def collect(stack: Stack) -> dict:
    """Run the counting child once per run (shared by benchmarks 3 and 4)."""
    global _collected
    if _collected is None:
        ddb = stack.dynamodb()
        table = stack.table(TABLE)
        standin = stack.standin()
        env = app_env(ddb.endpoint_url, table, standin.url)
        done = subprocess.run(
            [PYTHON, "-m", "bench.calls_child"], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"bench.calls_child failed:\n{done.stdout[-2000:]}\n"
                               f"{done.stderr[-4000:]}")  # fmt: skip
        _collected = json.loads(lines[-1].removeprefix("BENCH_RESULT "))
    return _collected


def _fmt(counts: dict[str, int], keys: list[str]) -> list[str]:
    return [str(counts.get(k, 0)) for k in keys]


def run(stack: Stack) -> list[Figure]:
    result = collect(stack)
    rows, figures = [], []
    over, scans = [], 0
    for row in result["rows"]:
        counts = row["dynamodb"]
        minimum = MIN_DYNAMODB.get(row["endpoint"], {})
        others = {k: v for k, v in counts.items() if k not in OPS}
        extra = sum(counts.values()) - sum(minimum.values())
        scans += counts.get("Scan", 0)
        # Below the minimum means the counting (or the minimum) is wrong: not a pass either.
        if (extra != 0 or counts.get("Scan")) and row["endpoint"] in MIN_DYNAMODB:
            over.append(f"{row['endpoint']} ({extra:+d})")
        rows.append([
            row["endpoint"], *_fmt(counts, OPS),
            ", ".join(f"{k} {v}" for k, v in others.items()) or "-",
            " ".join(f"{k[0] if k != 'TransactWriteItems' else 'T'}{v}"
                     for k, v in minimum.items()),
            "=" if extra == 0 else f"{extra:+d}",
        ])  # fmt: skip
    print("  DynamoDB calls per request (counted) and the minimum the data model allows")
    print(
        "  (minimum: G=GetItem Q=Query P=PutItem T=TransactWriteItems B=BatchWriteItem "
        "D=DeleteItem; reasons in bench/calls.py)"
    )
    print_table(["endpoint", *OPS, "other", "minimum", "vs min"], rows)
    figures.append(Figure("3 dynamodb", "Scan calls, all endpoints", str(scans), "0", scans == 0))
    figures.append(Figure(
        "3 dynamodb", "endpoints not at the minimum", ", ".join(over) or "none", "none", not over
    ))  # fmt: skip
    return figures
