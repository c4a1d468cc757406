"""Fixtures shared by every test layer.

Environment defaults are set before anything imports boto3 or the settings, so no test can
reach a real AWS account.
"""

import os

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ChiffonDashboardTests")

import pytest  # noqa: E402

from devtools.dynamodb_local import DynamoDBLocal  # noqa: E402
from devtools.processes import free_port  # noqa: E402


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory):
    """One real DynamoDB Local emulator (in memory) for the whole run, on a free port."""
    log = tmp_path_factory.mktemp("dynamodb-local") / "emulator.log"
    with DynamoDBLocal(port=free_port(), log_path=log) as emulator:
        yield emulator
