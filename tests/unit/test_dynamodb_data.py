"""botocore's data cut to DynamoDB (shared/store/dynamodb_data.py): a client reading it sends
the same requests to the same endpoints as one reading botocore's own data, and data written for
another botocore version is never used.

The store contract and hostile suites on moto and DynamoDB Local read the cut data too, through
the functions' own client (tests/conftest.py sets BOTOCORE_DATA_DIR), and the built tests read
the data the layer build wrote."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.session import get_session

from shared.settings import Settings
from shared.store import dynamodb_client, dynamodb_data


class Sent(Exception):
    """Stops a call at the moment botocore sends it, with the URL and body it would send."""


def _session(cut: str | None):
    session = get_session()
    assert dynamodb_data.use(session, cut) == bool(cut)
    return session


def _sent(client, call, **params) -> tuple[str, bytes]:
    def stop(request, **_):
        raise Sent(request.url, request.body)

    client.meta.events.register("before-send.dynamodb.*", stop)
    with pytest.raises(Sent) as sent:
        getattr(client, call)(**params)
    return sent.value.args


@pytest.fixture(scope="module")
def cut(tmp_path_factory) -> str:
    target = tmp_path_factory.mktemp("botocore-data")
    dynamodb_data.write(str(target))
    return str(target)


def test_every_region_resolves_the_same_endpoint_as_with_botocore_s_own_data(cut):
    regions = [
        region
        for partition in get_session().get_data("endpoints")["partitions"]
        for region in partition["regions"]
    ]
    regions += ["local", "xx-future-1"]  # DynamoDB Local's own region; one botocore never saw
    own, ours = _session(None), _session(cut)
    credentials = {"aws_access_key_id": "a", "aws_secret_access_key": "b"}
    compared = 0
    for region in regions:
        sent = [
            _sent(session.create_client("dynamodb", region_name=region, **credentials),
                  "list_tables")[0]
            for session in (own, ours)
        ]  # fmt: skip
        assert sent[0] == sent[1], region
        compared += 1
    assert compared > 30


@pytest.mark.parametrize(
    "variable, value, region, expected",
    [
        # botocore's own data: us-gov-west-1 is FIPS already; the cut data would add "-fips"
        ("AWS_USE_FIPS_ENDPOINT", "true", "us-gov-west-1", "dynamodb.us-gov-west-1.amazonaws.com"),
        ("AWS_USE_DUALSTACK_ENDPOINT", "true", "af-south-1", "dynamodb.af-south-1.api.aws"),
        ("AWS_ACCOUNT_ID", "123456789012", "eu-west-1", "123456789012.ddb.eu-west-1.amazonaws.com"),
    ],
)
def test_endpoints_botocore_resolves_otherwise_keep_its_own_data(
    cut, variable, value, region, expected, monkeypatch
):
    """With a cut endpoints.json botocore resolves FIPS and dual-stack endpoints differently in
    some regions, and never chooses an account-based one."""
    monkeypatch.setenv(variable, value)
    assert not dynamodb_data.use(get_session(), cut)
    client = dynamodb_client(Settings(aws_region=region, botocore_data_dir=cut))
    assert _sent(client, "list_tables")[0] == f"https://{expected}/"


def test_an_account_endpoint_mode_of_required_keeps_botocore_s_own_data(cut, monkeypatch):
    """Without an account id botocore then refuses to make a request; the cut data would
    quietly use the regional endpoint."""
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "required")
    assert not dynamodb_data.use(get_session(), cut)


def test_the_data_is_botocore_s_own_not_the_builder_s_models(tmp_path):
    """botocore's default search path includes ~/.aws/models: a builder's custom endpoints
    there must not ship in the layer. Run as the build runs it, in its own process (botocore
    reads the home folder when it is imported)."""
    home = tmp_path / "home"
    (home / ".aws" / "models").mkdir(parents=True)
    (home / ".aws" / "models" / "endpoints.json").write_text('{"partitions": [], "version": 3}')
    script = Path(dynamodb_data.__file__)
    env = {**os.environ, "HOME": str(home)}
    subprocess.run([sys.executable, str(script), str(tmp_path / "data")], env=env, check=True)
    written = json.loads((tmp_path / "data" / "endpoints.json").read_text())["partitions"]
    own = get_session().get_data("endpoints")  # this process: no ~/.aws/models of its own
    assert [p["partition"] for p in written] == [p["partition"] for p in own["partitions"]]


def test_the_model_has_every_operation_and_shape_of_botocore_s_without_documentation(cut):
    own = _session(None).get_service_model("dynamodb")
    ours = _session(cut).get_service_model("dynamodb")
    assert ours.operation_names == own.operation_names
    assert ours.shape_names == own.shape_names
    for name in own.shape_names:
        theirs, mine = own.shape_for(name), ours.shape_for(name)
        assert (mine.type_name, mine.serialization, mine.metadata) == (
            theirs.type_name,
            theirs.serialization,
            theirs.metadata,
        ), name
        assert list(getattr(mine, "members", {})) == list(getattr(theirs, "members", {})), name
    assert own.operation_model("Query").documentation
    assert ours.operation_model("Query").documentation == ""


def test_a_call_sends_the_same_request_as_with_botocore_s_own_data(cut):
    params = {
        "ClientRequestToken": "one-token",  # botocore would make up a different one per call
        "TransactItems": [
            {
                "Put": {
                    "TableName": "t",
                    "Item": {"PK": {"S": "SESSION#1"}, "SK": {"S": "META"}, "n": {"N": "1"}},
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ],
    }
    sent = []
    for data in (None, cut):
        client = _session(data).create_client(
            "dynamodb", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
        )
        url, body = _sent(client, "transact_write_items", **params)
        sent.append((url, json.loads(body)))
    assert sent[0] == sent[1]
    assert sent[1][0] == "https://dynamodb.eu-west-1.amazonaws.com/"


def test_data_written_for_another_botocore_is_not_used(cut, tmp_path, caplog):
    dynamodb_data.write(str(tmp_path))
    (tmp_path / dynamodb_data.VERSION_FILE).write_text("1.0.0")
    with caplog.at_level(logging.WARNING):
        assert not dynamodb_data.use(get_session(), str(tmp_path))
    assert "written for botocore 1.0.0" in caplog.text
    # The client is still made, on botocore's own data.
    client = dynamodb_client(Settings(botocore_data_dir=str(tmp_path)))
    assert client.meta.service_model.operation_model("Query").documentation


def test_no_folder_or_a_missing_one_means_botocore_s_own_data(tmp_path, caplog):
    assert not dynamodb_data.use(get_session(), None)
    with caplog.at_level(logging.WARNING):
        assert not dynamodb_data.use(get_session(), str(tmp_path / "absent"))
    assert "BOTOCORE_DATA_DIR unreadable" in caplog.text


def test_a_partition_without_dynamodb_stays_with_no_services():
    """Dropped, its regions would fall into the "aws" partition and another domain."""
    endpoints = {"version": 3, "partitions": [{"partition": "new", "services": {"s3": {}}}]}
    cut = dynamodb_data._only_dynamodb(endpoints)
    assert cut["partitions"] == [{"partition": "new", "services": {}}]
