"""The store the settings choose: the DynamoDB client is made with botocore alone (no boto3),
keeps its timeouts and retry mode, and is still intercepted by moto."""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from moto import mock_aws

from devtools.table import create_table
from shared.settings import Settings
from shared.store import build_store, dynamodb_client
from shared.store.dynamodb import DynamoDBSessionStore
from shared.store.memory import InMemorySessionStore

ROOT = Path(__file__).resolve().parents[2]


def test_the_client_keeps_its_region_endpoint_timeouts_and_retries():
    settings = Settings(aws_region="eu-west-1", dynamodb_endpoint_url="http://127.0.0.1:1")
    client = dynamodb_client(settings)
    assert client.meta.service_model.service_name == "dynamodb"
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == "http://127.0.0.1:1"
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 5)
    # max_attempts=3 retries, as botocore normalises it: 4 attempts in all
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}


def test_the_settings_choose_the_store():
    memory = build_store(Settings(session_store="memory", session_ttl_hours=2))
    assert isinstance(memory, InMemorySessionStore)
    dynamodb = build_store(Settings(session_store="dynamodb", table_name="t"))
    assert isinstance(dynamodb, DynamoDBSessionStore)
    assert dynamodb._table == "t"


def test_moto_intercepts_the_client(monkeypatch):
    monkeypatch.delenv("DYNAMODB_ENDPOINT_URL", raising=False)
    with mock_aws():
        store = build_store(Settings(session_store="dynamodb", table_name="sessions"))
        create_table(store._client, "sessions")
        created = store.create_session("someone")
        read = store.get_session(created.session_id)
    assert read == created
    assert store._ttl == timedelta(hours=Settings().session_ttl_hours)


def test_making_the_store_imports_only_what_it_uses():
    """boto3 would add its resource layer and s3transfer to every cold start; python-ulid (which
    reads its package metadata when imported) is needed only to write messages."""
    code = (
        "import sys\n"
        "import shared.services.sessions, shared.store.dynamodb\n"
        "from shared.settings import Settings\n"
        "from shared.store import build_store\n"
        "build_store(Settings(session_store='dynamodb', dynamodb_endpoint_url='http://127.0.0.1:1'))\n"
        "loaded = {'boto3', 'ulid', 'shared.store.memory'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
