"""Create the sessions table from the definition in template.yaml, so tests and the local stack
use exactly what is deployed."""

import time
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, ...) as plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}


_CloudFormationLoader.add_multi_constructor("!", _tag)


def table_properties(template: Path = TEMPLATE) -> dict[str, Any]:
    resources = yaml.load(template.read_text(), Loader=_CloudFormationLoader)["Resources"]
    tables = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    if len(tables) != 1:
        raise ValueError(f"expected one DynamoDB table in {template}, found {len(tables)}")
    return tables[0]["Properties"]


def create_table(client: Any, table_name: str, template: Path = TEMPLATE) -> None:
    """Create the table (with its indexes and TTL) if it does not exist yet; a table made before
    an index was added to the template gets the index now."""
    props = table_properties(template)
    indexes = props.get("GlobalSecondaryIndexes", [])
    try:
        existing = client.describe_table(TableName=table_name)["Table"]
    except client.exceptions.ResourceNotFoundException:
        existing = None
    if existing is not None:
        _add_missing_indexes(client, table_name, props, existing)
        return
    client.create_table(
        TableName=table_name,
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        BillingMode=props["BillingMode"],
        **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
    )
    client.get_waiter("table_exists").wait(TableName=table_name)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )


def _add_missing_indexes(
    client: Any, table_name: str, props: dict[str, Any], table: dict[str, Any]
) -> None:
    """The local stack keeps its table across restarts: add the template's indexes it lacks,
    one UpdateTable each (DynamoDB creates one index per call). Items written before only enter
    an index once they are written again."""
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    for index in props.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] in present:
            continue
        keys = {key["AttributeName"] for key in index["KeySchema"]}
        client.update_table(
            TableName=table_name,
            AttributeDefinitions=[
                a for a in props["AttributeDefinitions"] if a["AttributeName"] in keys
            ],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        _wait_for_index(client, table_name, index["IndexName"])


def _wait_for_index(client: Any, table_name: str, index_name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        table = client.describe_table(TableName=table_name)["Table"]
        status = {i["IndexName"]: i.get("IndexStatus") for i in table["GlobalSecondaryIndexes"]}
        if status.get(index_name) == "ACTIVE":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"index {index_name} of {table_name} is still {status}")
        time.sleep(0.2)
