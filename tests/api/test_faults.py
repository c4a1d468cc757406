"""Orchestrator faults, each answered in the one error shape: unreachable 503, timeout 504,
an answer we cannot use 502. After a fault the session is as it was and the next action works."""

from datetime import timedelta

import httpx
import pytest

import shared.services.rules
from shared.settings import get_settings
from shared.store.records import utcnow
from tests.api.flows import Dashboard, assert_error
from tests.api.orchestrator_fake import FIRST_REQUEST, new_id

# (name, side effect, expected status, expected code)
FAULTS = [
    ("unreachable", httpx.ConnectError("Connection refused"), 503, "orchestrator_unreachable"),
    ("timeout", httpx.ReadTimeout("timed out"), 504, "orchestrator_timeout"),
    (
        "non-JSON",
        httpx.Response(200, text="<html>502 Bad Gateway</html>"),
        502,
        "orchestrator_bad_answer",
    ),
    (
        "wrong shape",
        httpx.Response(200, json={"status": "parsing_complete", "oops": []}),
        502,
        "orchestrator_bad_answer",
    ),
    (
        "upstream 500",
        httpx.Response(500, json={"detail": "Internal error: KeyError 'x'"}),
        502,
        "orchestrator_bad_answer",
    ),
]
FAULT_IDS = [fault[0] for fault in FAULTS]
# The plan call's wrong shape: a plan without a plan_id.
WRONG_PLAN = httpx.Response(200, json={"status": "pending_approval", "request_id": new_id()})


async def _assert_fault_left_a_trace(dashboard, session_id, message, status_before, error):
    session = await dashboard.session(session_id)
    contents = [m["content"] for m in session["messages"]]
    assert message in contents  # the person's words are kept
    last = session["messages"][-1]
    assert last["role"] == "assistant"
    assert error["message"] in last["content"]  # says what went wrong
    assert session["status"] == status_before
    assert "Traceback" not in str(session)


@pytest.mark.parametrize(("name", "effect", "status", "code"), FAULTS, ids=FAULT_IDS)
async def test_chat_fault_on_the_request(
    dashboard: Dashboard, orchestrator, name, effect, status, code
):
    session_id = await dashboard.new_session()
    orchestrator.submit_route.side_effect = effect

    response = await dashboard.send(session_id, FIRST_REQUEST)

    error = assert_error(response, status, code)
    # The request is a write: only a connection never made is tried again.
    assert orchestrator.submit_route.call_count == (3 if name == "unreachable" else 1)
    assert not orchestrator.generate_route.called
    await _assert_fault_left_a_trace(dashboard, session_id, FIRST_REQUEST, "idle", error)
    orchestrator.restore()
    turn = await dashboard.chat(session_id, FIRST_REQUEST)
    assert turn["plan"] is not None
    assert turn["session_status"] == "plan_ready"


@pytest.mark.parametrize(
    ("name", "effect", "status", "code"),
    [*FAULTS[:2], ("wrong shape", WRONG_PLAN, 502, "orchestrator_bad_answer"), FAULTS[4]],
    ids=["unreachable", "timeout", "wrong shape", "upstream 500"],
)
async def test_chat_fault_on_the_plan(
    dashboard: Dashboard, orchestrator, name, effect, status, code
):
    session_id = await dashboard.new_session()
    orchestrator.generate_route.side_effect = effect

    response = await dashboard.send(session_id, FIRST_REQUEST)

    error = assert_error(response, status, code)
    # Each plan call makes a new plan: it is never repeated once it may have been received.
    assert orchestrator.generate_route.call_count == (3 if name == "unreachable" else 1)
    await _assert_fault_left_a_trace(dashboard, session_id, FIRST_REQUEST, "idle", error)
    orchestrator.restore()
    assert (await dashboard.chat(session_id, FIRST_REQUEST))["plan"] is not None


@pytest.mark.parametrize(("name", "effect", "status", "code"), FAULTS, ids=FAULT_IDS)
async def test_chat_fault_during_a_modification_keeps_the_plan(
    dashboard: Dashboard, orchestrator, name, effect, status, code
):
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.submit_route.side_effect = effect

    response = await dashboard.send(session_id, "Use two VMs")

    error = assert_error(response, status, code)
    await _assert_fault_left_a_trace(dashboard, session_id, "Use two VMs", "plan_ready", error)
    plan = (await dashboard.get_plan(plan_id)).json()
    assert (plan["status"], plan["can_approve"]) == ("pending_approval", True)
    orchestrator.restore()
    turn = await dashboard.chat(session_id, "Use two VMs")
    assert orchestrator.submitted_texts()[-1].startswith(f"[Modify plan {plan_id}]")
    assert turn["plan"]["plan_id"] != plan_id


async def test_orchestrator_refusing_the_request_is_a_gateway_error(
    dashboard: Dashboard, orchestrator
):
    session_id = await dashboard.new_session()
    orchestrator.submit_route.side_effect = httpx.Response(
        400, json={"detail": "Orchestrator not ready"}
    )

    response = await dashboard.send(session_id, FIRST_REQUEST)

    error = assert_error(response, 502, "orchestrator_rejected")
    assert "Orchestrator not ready" not in error["message"]  # upstream words stay in the log
    assert (await dashboard.session(session_id))["status"] == "idle"


# Approve ----------------------------------------------------------------------------------


async def test_approve_when_unreachable_can_be_approved_afterwards(
    dashboard: Dashboard, orchestrator
):
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.approve_route.side_effect = httpx.ConnectError("Connection refused")

    response = await dashboard.approve(plan_id, session_id)

    assert_error(response, 503, "orchestrator_unreachable")
    assert orchestrator.approve_route.call_count == 3  # never sent, so safe to try again
    session = await dashboard.session(session_id)
    assert session["status"] == "plan_ready"
    assert "not approved" in session["messages"][-1]["content"]
    assert (await dashboard.get_plan(plan_id)).json()["can_approve"] is True
    orchestrator.restore()
    again = await dashboard.approve(plan_id, session_id)
    assert again.status_code == 200
    assert again.json()["execution_started"] is True


async def test_approve_timeout_not_yet_acted_on_keeps_the_claim_until_it_is_stale(
    dashboard: Dashboard, orchestrator, monkeypatch
):
    """The status still says pending_approval, but the timed-out approve may sit in the
    orchestrator's queue: approving again now could dispatch twice. The claim is kept until
    it is stale, and only then is the plan offered again."""
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.approve_route.side_effect = httpx.ReadTimeout("timed out")

    response = await dashboard.approve(plan_id, session_id)

    assert_error(response, 504, "orchestrator_timeout")
    assert orchestrator.approve_route.call_count == 1  # may have arrived: never repeated
    assert orchestrator.plan_status_route.called  # asked what happened instead
    assert (await dashboard.get_plan(plan_id)).json()["can_approve"] is False
    orchestrator.restore()
    assert_error(await dashboard.approve(plan_id, session_id), 409, "conflict")
    assert orchestrator.approve_route.call_count == 1
    later = utcnow() + timedelta(seconds=get_settings().stale_claim_seconds + 1)
    monkeypatch.setattr(shared.services.rules, "utcnow", lambda: later)
    assert (await dashboard.approve(plan_id, session_id)).status_code == 200
    assert orchestrator.approve_route.call_count == 2


async def test_approve_timeout_after_the_orchestrator_acted_is_approved_but_untracked(
    dashboard: Dashboard, orchestrator
):
    session_id, plan_id = await dashboard.plan_ready()

    def approve_then_time_out(request: httpx.Request, plan_id: str) -> httpx.Response:
        orchestrator.plans[plan_id].status = "executing"  # it dispatched, the answer was lost
        raise httpx.ReadTimeout("timed out", request=request)

    orchestrator.approve_route.side_effect = approve_then_time_out

    response = await dashboard.approve(plan_id, session_id)

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["execution_started"] is False
    assert orchestrator.approve_route.call_count == 1
    session = await dashboard.session(session_id)
    assert session["status"] == "executing"
    assert "cannot be followed or aborted" in session["messages"][-1]["content"]
    assert (await dashboard.status(plan_id)).json()["status"] == "untracked"
    # A client retry does not approve (dispatch) a second time.
    assert (await dashboard.approve(plan_id, session_id)).status_code == 200
    assert orchestrator.approve_route.call_count == 1


@pytest.mark.parametrize(
    "effect",
    [
        httpx.Response(500, json={"detail": "Internal error: boom"}),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"status": "approved"}),
    ],
    ids=["upstream 500", "non-JSON", "wrong shape"],
)
async def test_approve_bad_answer_keeps_the_claim(
    dashboard: Dashboard, orchestrator, effect
):
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.approve_route.side_effect = effect

    response = await dashboard.approve(plan_id, session_id)

    assert_error(response, 502, "orchestrator_bad_answer")
    assert orchestrator.approve_route.call_count == 1
    # It may have acted: the claim is kept (no second approve) until the stale check decides.
    assert (await dashboard.get_plan(plan_id)).json()["can_approve"] is False
    assert_error(await dashboard.approve(plan_id, session_id), 409, "conflict")
    assert orchestrator.approve_route.call_count == 1


async def test_approve_timeout_with_the_status_unknown_keeps_the_claim(
    dashboard: Dashboard, orchestrator, monkeypatch
):
    """Neither the approve nor the status answered: whether it runs is unknown, so the plan is
    not offered for approval again while the approval may still reach the orchestrator (that
    could dispatch it twice). The next actions ask; once the claim is stale, a plan the
    orchestrator still has not started may be approved again."""
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.approve_route.side_effect = httpx.ReadTimeout("timed out")
    orchestrator.plan_status_route.side_effect = httpx.ReadTimeout("timed out")

    assert_error(await dashboard.approve(plan_id, session_id), 504, "orchestrator_timeout")
    history = (await dashboard.session(session_id))["messages"]
    assert "not confirmed" in history[-1]["content"]
    assert not any("Approved" in m["content"] for m in history)

    orchestrator.restore()  # it answers again: the plan is still waiting there
    refused = assert_error(await dashboard.approve(plan_id, session_id), 409, "conflict")
    assert "has not started the plan yet" in refused["message"]
    assert_error(await dashboard.action(plan_id, "abort", session_id), 409, "conflict")
    assert orchestrator.approve_route.call_count == 1
    later = utcnow() + timedelta(seconds=get_settings().stale_claim_seconds + 1)
    monkeypatch.setattr(shared.services.rules, "utcnow", lambda: later)
    assert (await dashboard.approve(plan_id, session_id)).json()["execution_started"] is True
    assert orchestrator.approve_route.call_count == 2


async def test_an_unknown_approval_of_a_plan_the_orchestrator_forgot_frees_the_session(
    dashboard: Dashboard, orchestrator
):
    """The approve answer was lost, then the orchestrator restarted and forgot the plan: the next
    approve says so, and the session takes a new request (it is not held by a plan that can
    never run)."""
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.approve_route.side_effect = httpx.ReadTimeout("timed out")
    orchestrator.plan_status_route.side_effect = httpx.ReadTimeout("timed out")
    assert_error(await dashboard.approve(plan_id, session_id), 504, "orchestrator_timeout")

    orchestrator.plan_status_route.side_effect = httpx.Response(404, json={"detail": "Not found"})
    assert_error(await dashboard.approve(plan_id, session_id), 502, "orchestrator_lost_track")
    said = (await dashboard.session(session_id))["messages"][-1]["content"]
    assert "no longer knows this plan" in said
    orchestrator.restore()
    assert (await dashboard.chat(session_id, FIRST_REQUEST))["plan"] is not None


async def test_a_lost_approve_answer_is_settled_at_the_next_action_and_abort_refuses_to_guess(
    dashboard: Dashboard, orchestrator
):
    """The orchestrator dispatched the plan, but neither its answer nor the status check came
    back. The next approve asks at once (no fixed wait), records a run it cannot follow, and
    abort says it cannot cancel it instead of reporting an abort that never happened."""
    session_id, plan_id = await dashboard.plan_ready()

    def approve_then_time_out(request: httpx.Request, plan_id: str) -> httpx.Response:
        orchestrator.plans[plan_id].status = "executing"  # it dispatched, the answer was lost
        raise httpx.ReadTimeout("timed out", request=request)

    orchestrator.approve_route.side_effect = approve_then_time_out
    orchestrator.plan_status_route.side_effect = httpx.ReadTimeout("timed out")
    assert_error(await dashboard.approve(plan_id, session_id), 504, "orchestrator_timeout")

    orchestrator.plan_status_route.side_effect = None
    orchestrator.restore()
    again = await dashboard.approve(plan_id, session_id)
    assert again.status_code == 200, again.text
    assert again.json()["execution_started"] is False
    assert orchestrator.approve_route.call_count == 1  # asked, never approved twice
    assert (await dashboard.status(plan_id)).json()["status"] == "untracked"

    refused = assert_error(await dashboard.action(plan_id, "abort", session_id), 409, "conflict")
    assert "cannot be aborted from here" in refused["message"]
    assert not orchestrator.cancel_route.called
    session = await dashboard.session(session_id)
    assert session["status"] == "executing"  # the run stays visible as it is
    assert not any(m["content"].startswith("Aborted") for m in session["messages"])
    # It does not hold the session: a new request is taken.
    assert (await dashboard.chat(session_id, FIRST_REQUEST))["plan"] is not None


# Reject, status, abort --------------------------------------------------------------------


async def test_reject_when_unreachable_leaves_the_plan_under_review(
    dashboard: Dashboard, orchestrator
):
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.approve_route.side_effect = httpx.ConnectError("Connection refused")

    assert_error(
        await dashboard.action(plan_id, "reject", session_id), 503, "orchestrator_unreachable"
    )

    session = await dashboard.session(session_id)
    assert (session["status"], session["current_plan_id"]) == ("plan_ready", plan_id)
    said = [m["content"] for m in session["messages"]]
    assert not any("was rejected" in text for text in said)  # no word of what did not happen
    assert "could not be told" in said[-1]
    orchestrator.restore()
    assert (await dashboard.action(plan_id, "reject", session_id)).status_code == 200
    said = [m["content"] for m in (await dashboard.session(session_id))["messages"]]
    assert said[-1].startswith("The plan was rejected")


@pytest.mark.parametrize(("name", "effect", "status", "code"), FAULTS, ids=FAULT_IDS)
async def test_status_fault(dashboard: Dashboard, orchestrator, name, effect, status, code):
    _, plan_id = await dashboard.executing()
    if name == "wrong shape":
        effect = httpx.Response(200, json={"progress": 0.5})
    orchestrator.task_status_route.side_effect = effect

    response = await dashboard.poll(plan_id)

    assert_error(response, status, code)
    if name in ("unreachable", "timeout", "upstream 500"):  # a read: tried three times each
        assert orchestrator.task_status_route.call_count == 3 * 3


async def test_status_rides_out_one_slow_answer_per_task(dashboard: Dashboard, orchestrator):
    _, plan_id = await dashboard.executing()
    answer = orchestrator.task_status_route.side_effect
    slow_once: set[str] = set()

    def first_call_times_out(request: httpx.Request, task_id: str) -> httpx.Response:
        if task_id not in slow_once:
            slow_once.add(task_id)
            raise httpx.ReadTimeout("timed out", request=request)
        return answer(request, task_id)

    orchestrator.task_status_route.side_effect = first_call_times_out

    response = await dashboard.poll(plan_id)

    assert response.status_code == 200
    assert response.json()["overall_status"] == "executing"
    assert orchestrator.task_status_route.call_count == 6  # a read is tried again


async def test_abort_when_unreachable_can_be_repeated(dashboard: Dashboard, orchestrator):
    session_id, plan_id = await dashboard.executing()
    orchestrator.cancel_route.side_effect = httpx.ConnectError("Connection refused")

    assert_error(
        await dashboard.action(plan_id, "abort", session_id), 503, "orchestrator_unreachable"
    )

    assert (await dashboard.session(session_id))["status"] == "executing"
    orchestrator.restore()
    response = await dashboard.action(plan_id, "abort", session_id)
    assert response.status_code == 200
    assert response.json()["cancelled_tasks"] == 3


async def _approval_outcome_lost(dashboard: Dashboard, orchestrator, monkeypatch):
    """Approve and the check after it both time out; later the claim goes stale."""
    session_id, plan_id = await dashboard.plan_ready()
    orchestrator.approve_route.side_effect = httpx.ReadTimeout("timed out")
    orchestrator.plan_status_route.side_effect = httpx.ReadTimeout("timed out")
    assert_error(await dashboard.approve(plan_id, session_id), 504, "orchestrator_timeout")
    orchestrator.restore()
    later = utcnow() + timedelta(seconds=get_settings().stale_claim_seconds + 1)
    monkeypatch.setattr(shared.services.rules, "utcnow", lambda: later)
    return session_id, plan_id


async def test_stale_approval_that_never_arrived_can_be_approved_again(
    dashboard: Dashboard, orchestrator, monkeypatch
):
    session_id, plan_id = await _approval_outcome_lost(dashboard, orchestrator, monkeypatch)
    # The orchestrator still says pending_approval: the lost approve never acted.
    response = await dashboard.approve(plan_id, session_id)
    assert response.status_code == 200, response.text
    assert response.json()["execution_started"] is True
    assert orchestrator.approve_route.call_count == 2


async def test_stale_approval_that_did_arrive_is_recorded_without_a_second_approve(
    dashboard: Dashboard, orchestrator, monkeypatch
):
    session_id, plan_id = await _approval_outcome_lost(dashboard, orchestrator, monkeypatch)
    orchestrator.plans[plan_id].status = "executing"  # it had acted after all
    response = await dashboard.approve(plan_id, session_id)
    assert response.status_code == 200, response.text
    assert response.json()["execution_started"] is False  # untracked: no task ids
    assert orchestrator.approve_route.call_count == 1
