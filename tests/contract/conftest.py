"""The same contract runs against every SessionStore: in-memory, moto and DynamoDB Local."""

import threading
import uuid
from datetime import timedelta

import pytest

from devtools.table import create_table
from shared.settings import Settings
from shared.store import dynamodb_client
from shared.store.dynamodb import DynamoDBSessionStore
from shared.store.memory import InMemorySessionStore

BACKENDS = ["memory", "moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)]


def _one_call_at_a_time(client) -> threading.Lock:
    """DynamoDB applies each call atomically; moto does not under threads (requests are served
    by several threads): a transaction cancelled in one thread can roll back over another
    thread's write, and a concurrent-writers test then sees a message that was refused (about 1
    run in 20). Serialising moto's calls gives it the atomicity the real service has; DynamoDB
    Local runs the same tests unserialised.

    Done with botocore's public events: a call holds the lock from before-call to after-call or
    after-call-error, which moto's answer lies between. The release is registered first on each
    operation's own event, so that it runs before any handler a test adds there (one that raises
    skips the handlers after it)."""
    lock = threading.Lock()

    def hold(context, **_):
        if not lock.acquire(timeout=60):  # a lost release fails the test rather than hang it
            raise TimeoutError("another moto call never finished")
        context["serialised"] = True

    def release(context, **_):
        if context.pop("serialised", False):
            lock.release()

    client.meta.events.register("before-call.dynamodb", hold)
    for operation in client.meta.service_model.operation_names:
        client.meta.events.register_first(f"after-call.dynamodb.{operation}", release)
        client.meta.events.register_first(f"after-call-error.dynamodb.{operation}", release)
    return lock


@pytest.fixture
def make_store(request, backend):
    """make_store(ttl=...) -> a fresh, empty store on the backend under test."""
    if backend == "memory":
        yield lambda ttl=timedelta(days=7): InMemorySessionStore(ttl=ttl)
        return
    # The store's client is the one the functions make (shared.store.dynamodb_client), on
    # botocore's data cut to DynamoDB (tests/conftest.py sets BOTOCORE_DATA_DIR).
    if backend == "moto":
        from moto import mock_aws

        with mock_aws():
            client = dynamodb_client(Settings(dynamodb_endpoint_url=None))
            lock = _one_call_at_a_time(client)
            create_table(client, "sessions")
            yield lambda ttl=timedelta(days=7): DynamoDBSessionStore(client, "sessions", ttl=ttl)
            assert not lock.locked(), "a moto call of this test kept the lock"
        return
    emulator = request.getfixturevalue("dynamodb_local")
    # DynamoDB Local keeps tables per access key: the emulator's own.
    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    client = dynamodb_client(Settings(dynamodb_endpoint_url=emulator.endpoint_url))
    table = f"sessions-{uuid.uuid4().hex[:12]}"  # a table per test: no state leaks between tests
    create_table(client, table)
    yield lambda ttl=timedelta(days=7): DynamoDBSessionStore(client, table, ttl=ttl)
    client.delete_table(TableName=table)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def store(make_store):
    return make_store()
