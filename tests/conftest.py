"""Fixtures shared by every test layer.

Environment defaults are set before anything imports boto3 or the settings, so no test can
reach a real AWS account.
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ChiffonDashboardTests")

# The store's DynamoDB client (shared.store.dynamodb_client) reads botocore's data cut to
# DynamoDB, as the deployed functions do (shared/store/dynamodb_data.py): in the contract and
# hostile suites on moto and DynamoDB Local, the app tests, and the processes the end-to-end
# tests start.
if "BOTOCORE_DATA_DIR" not in os.environ:
    from shared.store import dynamodb_data

    _botocore_data = tempfile.mkdtemp(prefix="chiffon-botocore-data-")
    atexit.register(shutil.rmtree, _botocore_data, True)
    dynamodb_data.write(_botocore_data)
    os.environ["BOTOCORE_DATA_DIR"] = _botocore_data

import pytest  # noqa: E402

from devtools.dynamodb_local import DynamoDBLocal  # noqa: E402
from devtools.processes import free_port  # noqa: E402


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory):
    """One real DynamoDB Local emulator (in memory) for the whole run, on a free port."""
    log = tmp_path_factory.mktemp("dynamodb-local") / "emulator.log"
    with DynamoDBLocal(port=free_port(), log_path=log) as emulator:
        yield emulator
