"""The store's DynamoDB answers parse exactly as botocore parses them, every attribute type
included: only the scalar attribute values take the shortcut."""

import base64
import json

import botocore.session
import pytest
from botocore.parsers import create_parser
from moto import mock_aws

from devtools.table import create_table
from shared.settings import Settings
from shared.store import dynamodb_client
from shared.store.botocore_parsing import DynamoDBResponseParserFactory

BLOB = base64.b64encode(b"\x00\xffbinary").decode()
EVERY_TYPE = {
    "PK": {"S": "SESSION#1"},
    "SK": {"S": "MSG#01"},
    "text": {"S": "héllo \u202e"},
    "empty": {"S": ""},
    "count": {"N": "12345678901234567890.5"},
    "blob": {"B": BLOB},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [BLOB]},
    "nested": {"M": {"inner": {"S": "x"}, "bytes": {"B": BLOB}, "deeper": {"M": {}}}},
    "list": {"L": [{"S": "x"}, {"N": "1"}, {"B": BLOB}, {"L": []}, {"NULL": True}]},
    "nothing": {"NULL": True},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
}


def _as_written(value):
    """EVERY_TYPE as a caller writes it: blobs as bytes (botocore base64-encodes them)."""
    if isinstance(value, dict):
        written = {}
        for key, inner in value.items():
            if key == "B":
                written[key] = base64.b64decode(inner)
            elif key == "BS":
                written[key] = [base64.b64decode(blob) for blob in inner]
            else:
                written[key] = _as_written(inner)
        return written
    if isinstance(value, list):
        return [_as_written(v) for v in value]
    return value


def _model():
    return botocore.session.get_session().get_service_model("dynamodb")


def _response(body: dict, status: int = 200) -> dict:
    return {
        "body": json.dumps(body).encode(),
        "headers": {"x-amzn-requestid": "req-1", "content-type": "application/x-amz-json-1.0"},
        "status_code": status,
    }


def _both(shape, body: dict, status: int = 200):
    """`body` parsed as `shape` (an operation's output, or an error) by ours and by botocore's."""
    ours = DynamoDBResponseParserFactory().create_parser("json")
    theirs = create_parser("json")
    return ours.parse(_response(body, status), shape), theirs.parse(_response(body, status), shape)


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("GetItem", {"Item": EVERY_TYPE}),
        ("GetItem", {}),
        (
            "Query",
            {
                "Items": [EVERY_TYPE, {"PK": {"S": "x"}}],
                "Count": 2,
                "ScannedCount": 2,
                "LastEvaluatedKey": {"PK": {"S": "SESSION#1"}, "SK": {"S": "MSG#01"}},
                "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5},
            },
        ),
        ("TransactWriteItems", {}),
    ],
)
def test_answers_parse_as_botocore_parses_them(operation, body):
    ours, theirs = _both(_model().operation_model(operation).output_shape, body)
    assert ours == theirs
    if "Item" in body:
        assert ours["Item"]["blob"] == {"B": b"\x00\xffbinary"}  # blobs still decoded


def test_an_error_parses_as_botocore_parses_it():
    body = {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": "Transaction cancelled",
        "CancellationReasons": [
            {"Code": "ConditionalCheckFailed", "Item": EVERY_TYPE},
            {"Code": "None"},
        ],
    }
    ours, theirs = _both(_model().shape_for("TransactionCanceledException"), body, 400)
    assert ours == theirs


@mock_aws
def test_the_store_s_client_reads_every_type_back_as_botocore_does():
    settings = Settings(aws_region="us-east-1", table_name="parsing")
    ours = dynamodb_client(settings)
    theirs = botocore.session.get_session().create_client("dynamodb", region_name="us-east-1")
    create_table(ours, "parsing")
    ours.put_item(TableName="parsing", Item=_as_written(EVERY_TYPE))
    key = {"PK": EVERY_TYPE["PK"], "SK": EVERY_TYPE["SK"]}
    read = ours.get_item(TableName="parsing", Key=key)["Item"]
    assert read == theirs.get_item(TableName="parsing", Key=key)["Item"]
    assert read["blob"] == {"B": b"\x00\xffbinary"}
    assert read["count"] == {"N": "12345678901234567890.5"}


def test_scalar_attribute_values_skip_botocore_s_structure_walk(monkeypatch):
    """What makes it faster: a page of 50 items of 7 string attributes is one structure walk
    (the Query answer itself) instead of one more per attribute value."""
    from botocore.parsers import BaseJSONParser

    walks = []
    walk = BaseJSONParser._handle_structure

    def counted(self, shape, value):
        walks.append(shape.name)
        return walk(self, shape, value)

    monkeypatch.setattr(BaseJSONParser, "_handle_structure", counted)
    item = {f"a{i}": {"S": "text"} for i in range(7)}
    answer = _response({"Items": [item] * 50, "Count": 50, "ScannedCount": 50})
    shape = _model().operation_model("Query").output_shape
    DynamoDBResponseParserFactory().create_parser("json").parse(answer, shape)
    assert walks == ["QueryOutput"]
    walks.clear()
    create_parser("json").parse(answer, shape)
    assert len(walks) == 1 + 350
