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


def test_a_table_made_before_an_index_was_added_gets_it():
    """The local stack keeps its table across restarts: an index added to template.yaml since is
    added to the existing table, and its items are kept."""
    import boto3
    from moto import mock_aws

    from devtools.table import create_table, table_properties

    props = table_properties()
    key = {"PK": {"S": "SESSION#kept"}, "SK": {"S": "META"}}
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(  # the table as the template described it before the index
            TableName="sessions",
            AttributeDefinitions=props["AttributeDefinitions"][:2],
            KeySchema=props["KeySchema"],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="sessions", Item=key)

        create_table(client, "sessions")
        create_table(client, "sessions")  # and again: nothing left to add

        table = client.describe_table(TableName="sessions")["Table"]
        assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == [
            i["IndexName"] for i in props["GlobalSecondaryIndexes"]
        ]
        assert client.get_item(TableName="sessions", Key=key)["Item"] == key
