"""botocore's data for the DynamoDB client, cut to DynamoDB, for the Lambda functions' cold start.

Creating a client makes botocore read endpoints.json (1.2 MB: every service in every partition)
and the DynamoDB model (about 500 KB, most of it documentation). Each cold start pays for that,
and nothing in it serves this service.

`write(target)` writes those two files cut down, in botocore's data layout: endpoints.json with
only the "dynamodb" entry of each partition, the model without its documentation, and the
botocore version they came from. `use(session, target)` puts that folder on the session's
`data_path` (botocore's AWS_DATA_PATH setting, its public way to supply data), which is searched
before botocore's own data: these two files come from there, everything else from botocore.

The build writes the folder from the dependencies layer's own botocore (deploy/Makefile) and
the functions find it through the BOTOCORE_DATA_DIR setting. A folder written for another
botocore version is not used (a warning says so): the client then reads botocore's own data.

With an endpoints.json that is not its own, botocore gives the endpoint that file resolves to
its endpoint rules as the one to use. For the standard endpoints that is the same host in every
region (tests/unit/test_dynamodb_data.py checks them all). FIPS and dual-stack endpoints resolve
differently in some regions, and the rules' account-based endpoints
("<account>.ddb.<region>.amazonaws.com") are never chosen, so when any of those is asked for
(settings or credentials), `use` leaves botocore's own data in place. Lambda's credentials carry
no account id: there the cut data is used.

Runs as a script in the layer build, with nothing but botocore importable:
`python dynamodb_data.py TARGET`.
"""

import json
import logging
import os
import sys
from typing import Any

SERVICE = "dynamodb"
VERSION_FILE = "botocore-version"

logger = logging.getLogger(__name__)


def _without_documentation(value: Any) -> Any:
    # botocore reads documentation only to write docstrings; a shape without it reads as "".
    if isinstance(value, dict):
        return {k: _without_documentation(v) for k, v in value.items() if k != "documentation"}
    if isinstance(value, list):
        return [_without_documentation(v) for v in value]
    return value


def _only_dynamodb(endpoints: dict) -> dict:
    # Every partition stays, even one without DynamoDB: botocore would otherwise place its
    # regions in the "aws" partition, under another domain.
    partitions = [
        {**partition, "services": {k: v for k, v in partition["services"].items() if k == SERVICE}}
        for partition in endpoints["partitions"]
    ]
    return {**endpoints, "partitions": partitions}


def write(target: str) -> None:
    """Write the cut files to `target` (made if missing) from the botocore imported here, as a
    session reads them (the build runs it with no AWS_DATA_PATH and no ~/.aws/models: see
    __main__)."""
    import botocore
    from botocore.session import Session

    session = Session()
    version = session.get_service_model(SERVICE).api_version
    files = {
        "endpoints": _only_dynamodb(session.get_data("endpoints")),
        f"{SERVICE}/{version}/service-2": _without_documentation(session.get_service_data(SERVICE)),
    }
    for name, data in files.items():
        path = os.path.join(target, f"{name}.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"))
    with open(os.path.join(target, VERSION_FILE), "w") as f:
        f.write(botocore.__version__)


def _resolved_differently(session) -> bool:
    """Whether the endpoint asked for is one botocore resolves differently from data that is not
    its own: FIPS or dual-stack, or an account-based endpoint (an account id in the credentials,
    as AWS_ACCOUNT_ID gives, unless AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled; or that mode
    "required")."""
    variable = session.get_config_variable
    if variable("use_fips_endpoint") or variable("use_dualstack_endpoint"):
        return True
    mode = variable("account_id_endpoint_mode")
    if mode == "required":
        return True
    # The same credentials create_client resolves next (the session keeps them).
    return mode != "disabled" and bool(getattr(session.get_credentials(), "account_id", None))


def use(session, target: str | None) -> bool:
    """Make `session` (a botocore session, before its first client) read the files in `target`
    before botocore's own. Not when there is no `target`, it was written for another botocore
    version, or the endpoint asked for is one botocore resolves differently from data that is not
    its own (FIPS, dual-stack, account-based): then the session keeps botocore's own data.
    Returns whether the cut data is used."""
    if not target:
        return False
    if _resolved_differently(session):
        return False
    import botocore

    try:
        with open(os.path.join(target, VERSION_FILE)) as f:
            written_for = f.read().strip()
    except OSError as error:
        logger.warning("BOTOCORE_DATA_DIR unreadable, using botocore's own data: %s", error)
        return False
    if written_for != botocore.__version__:
        logger.warning(
            "BOTOCORE_DATA_DIR was written for botocore %s, this is %s: using botocore's own data",
            written_for,
            botocore.__version__,
        )
        return False
    session.set_config_variable("data_path", target)
    return True


if __name__ == "__main__":
    # botocore's own data only: a builder's AWS_DATA_PATH or ~/.aws/models (whose place botocore
    # fixes when imported, hence before it is) must not ship in the layer.
    import tempfile

    os.environ.pop("AWS_DATA_PATH", None)
    os.environ["HOME"] = tempfile.mkdtemp()
    write(sys.argv[1])
