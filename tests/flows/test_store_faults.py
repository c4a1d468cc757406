"""DynamoDB faults, injected into the real DynamoDB Local client with botocore event hooks:
a clear 503 or 409, and nothing half-written."""

import asyncio

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from shared.services.context import settings_dependency
from shared.settings import Settings

pytestmark = pytest.mark.parametrize(
    "dashboard", [pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)], indirect=True
)
DEPLOY = "build and deploy the api service to staging"

ERRORS = {
    "throttled": ("ProvisionedThroughputExceededException", None),
    "conditional_failed": ("ConditionalCheckFailedException", None),
    "transaction_conflict": ("TransactionCanceledException", [{"Code": "TransactionConflict"}]),
}
EXPECTED = {  # fault -> (status, error code)
    "throttled": (503, "store_unavailable"),
    "conditional_failed": (409, "conflict"),
    "transaction_conflict": (409, "conflict"),
    "unreachable": (503, "store_unavailable"),
}


class StoreFault:
    """Fail calls of one DynamoDB operation the way DynamoDB would: the n-th (1-based), or every
    call from then on when `persist`."""

    def __init__(self, client, operation: str, fault: str, nth: int = 1, persist: bool = True):
        self.persist = persist
        self.client, self.operation, self.fault, self.nth, self.seen = (
            client,
            operation,
            fault,
            nth,
            0,
        )
        client.meta.events.register(f"before-call.dynamodb.{operation}", self)

    def __call__(self, **kwargs):
        self.seen += 1
        if self.seen < self.nth or (self.seen > self.nth and not self.persist):
            return None
        if self.fault == "unreachable":
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        code, reasons = ERRORS[self.fault]
        parsed = {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        if reasons:
            parsed["CancellationReasons"] = reasons
        return AWSResponse("http://dynamodb", 400, {}, None), parsed

    def remove(self):
        self.client.meta.events.unregister(f"before-call.dynamodb.{self.operation}", self)


class LostAnswer:
    """DynamoDB applies the n-th call of one operation, then its answer is lost (a read timeout):
    the caller cannot tell it from a write that never happened."""

    def __init__(self, client, operation: str, nth: int):
        self.client, self.operation, self.nth, self.seen = client, operation, nth, 0
        client.meta.events.register(f"after-call.dynamodb.{operation}", self)

    def __call__(self, **kwargs):
        self.seen += 1
        if self.seen == self.nth:
            raise ReadTimeoutError(endpoint_url="http://dynamodb")

    def remove(self):
        self.client.meta.events.unregister(f"after-call.dynamodb.{self.operation}", self)


@pytest.mark.parametrize("fault", list(EXPECTED))
async def test_chat_claim_fails_and_nothing_is_written(dashboard, fault):
    session_id = await dashboard.new_session()
    injected = StoreFault(dashboard.store._client, "TransactWriteItems", fault)
    answer = await dashboard.chat(session_id, DEPLOY)
    injected.remove()
    status, code = EXPECTED[fault]
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert await dashboard.history(session_id) == []
    assert (await dashboard.calls())["request"] == 0  # no work was started
    assert (await dashboard.chat(session_id, DEPLOY)).status_code == 200


@pytest.mark.parametrize("fault", list(EXPECTED))
async def test_approve_claim_fails_and_nothing_is_dispatched(dashboard, fault):
    session_id = await dashboard.new_session()
    plan = (await dashboard.chat(session_id, DEPLOY)).json()["plan"]["plan_id"]
    injected = StoreFault(dashboard.store._client, "TransactWriteItems", fault)
    answer = await dashboard.act(plan, "approve", session_id)
    injected.remove()
    assert (answer.status_code, answer.json()["error"]["code"]) == EXPECTED[fault]
    assert (await dashboard.calls())["approve"] == 0
    view = (await dashboard.client.get(f"/api/dashboard/plan/{plan}")).json()
    assert view["can_approve"] is True
    assert (await dashboard.act(plan, "approve", session_id)).status_code == 200
    assert (await dashboard.calls())["approve"] == 1


async def test_store_down_when_the_plan_comes_back_keeps_the_message_and_unblocks_later(dashboard):
    # The claim (message + awaiting_plan) is written; the write of the plan fails. The person's
    # message is kept; the stale claim stops blocking the session after stale_claim_seconds.
    settings = Settings(stale_claim_seconds=1)
    dashboard.app.dependency_overrides[settings_dependency] = lambda: settings
    session_id = await dashboard.new_session()
    injected = StoreFault(
        dashboard.store._client, "TransactWriteItems", "unreachable", nth=2, persist=False
    )
    answer = await dashboard.chat(session_id, DEPLOY)
    injected.remove()
    assert (answer.status_code, answer.json()["error"]["code"]) == (503, "store_unavailable")
    assert [m["content"] for m in await dashboard.history(session_id)] == [DEPLOY]
    assert (await dashboard.chat(session_id, DEPLOY)).status_code == 409  # still planning?
    await asyncio.sleep(1.2)
    assert (await dashboard.chat(session_id, DEPLOY)).status_code == 200


async def test_reading_a_session_while_the_store_is_unreachable_is_503(dashboard):
    session_id = await dashboard.new_session()
    injected = StoreFault(dashboard.store._client, "GetItem", "unreachable")
    answer = await dashboard.client.get(f"/api/dashboard/session/{session_id}")
    injected.remove()
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "store_unavailable"


@pytest.mark.parametrize("fault", ["conditional_failed", "transaction_conflict"])
async def test_a_single_conflict_is_retried_on_fresh_data(dashboard, fault):
    session_id = await dashboard.new_session()
    plan = (await dashboard.chat(session_id, DEPLOY)).json()["plan"]["plan_id"]
    injected = StoreFault(dashboard.store._client, "TransactWriteItems", fault, persist=False)
    answer = await dashboard.act(plan, "approve", session_id)
    injected.remove()
    assert answer.status_code == 200, answer.text
    assert (await dashboard.calls())["approve"] == 1


async def test_an_approval_recorded_but_its_answer_lost_is_recorded_once(dashboard):
    session_id = await dashboard.new_session()
    plan = (await dashboard.chat(session_id, DEPLOY)).json()["plan"]["plan_id"]
    # The approve's writes: its claim, then the record of the dispatch, applied but unanswered.
    lost = LostAnswer(dashboard.store._client, "TransactWriteItems", nth=2)
    answer = await dashboard.act(plan, "approve", session_id)
    lost.remove()
    assert lost.seen >= 2  # the record was written, and its answer lost
    assert answer.status_code == 200, answer.text
    assert answer.json()["execution_started"] is True
    history = [m["content"] for m in await dashboard.history(session_id)]
    assert sum(text.startswith("Approved.") for text in history) == 1, history
    trail = (await dashboard.client.get(f"/api/dashboard/plan/{plan}/audit")).json()["entries"]
    assert [e["action"] for e in trail].count("approved") == 1, trail
    assert (await dashboard.calls())["approve"] == 1
