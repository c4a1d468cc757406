"""The same contract runs against every SessionStore: in-memory, moto and DynamoDB Local."""

import uuid
from datetime import timedelta

import pytest

from devtools.table import create_table
from shared.store.dynamodb import DynamoDBSessionStore
from shared.store.memory import InMemorySessionStore

BACKENDS = ["memory", "moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)]


@pytest.fixture
def make_store(request, backend):
    """make_store(ttl=...) -> a fresh, empty store on the backend under test."""
    if backend == "memory":
        yield lambda ttl=timedelta(days=7): InMemorySessionStore(ttl=ttl)
        return
    if backend == "moto":
        import boto3
        from moto import mock_aws

        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            create_table(client, "sessions")
            yield lambda ttl=timedelta(days=7): DynamoDBSessionStore(client, "sessions", ttl=ttl)
        return
    emulator = request.getfixturevalue("dynamodb_local")
    client = emulator.client()
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
