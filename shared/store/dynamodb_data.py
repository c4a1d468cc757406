"""botocore's data for the DynamoDB client, cut to DynamoDB, for the Lambda functions' cold start.

Creating a client makes botocore read its data: endpoints.json (1.2 MB: every service in every
partition), the DynamoDB model (about 500 KB, most of it documentation), and a listing of every
service it ships (~420 folders), twice, only to check that "dynamodb" is one of them. Each cold
start pays for that, and nothing in it serves this service.

`write(target)` writes the same files cut to what a DynamoDB client reads: endpoints.json with
only the "dynamodb" entry of each partition, the model without its documentation, the rest as
botocore has it, and the botocore version they came from. `use(session, target)` registers
botocore's own `Loader`, searching that folder alone (its public
`include_default_search_paths=False`), as the session's `data_loader`: botocore's public way to
supply its data ("this enables end users to provide additional search paths", botocore.loaders).

The build writes the folder from the dependencies layer's own botocore (deploy/Makefile) and
the functions find it through the BOTOCORE_DATA_DIR setting. A folder written for another
botocore version is not used (a warning says so): the client then reads botocore's own data.

With an endpoints.json that is not its own, botocore gives the endpoint that file resolves to
its endpoint rules as the one to use. For the standard endpoints that is the same host in every
region (tests/unit/test_dynamodb_data.py checks them all). FIPS and dual-stack endpoints resolve
differently in some regions, and the rules' account-based endpoints
("<account>.ddb.<region>.amazonaws.com") are never chosen, so when any of those is asked for
(settings or credentials), `use` leaves botocore's own data in place. Lambda's credentials carry
no account id: there the cut data is used. AWS_DATA_PATH is not read when it is.

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
# What botocore reads for a DynamoDB client, besides the service's own files: endpoints (the
# legacy resolver), partitions (the endpoint rules), the SDK defaults, and the legacy retry
# rules (read only in legacy retry mode, which the store's Config rules out; kept, being small,
# so that a client made with another Config still works).
_SHARED_FILES = ("partitions", "sdk-default-configuration", "_retry")
_SERVICE_FILES = ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2")

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
    """Write the cut data to `target` (made if missing) from the botocore installed here."""
    import botocore
    from botocore.loaders import Loader

    # botocore's own data alone: not AWS_DATA_PATH, nor the builder's ~/.aws/models.
    source = Loader(
        extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False
    )
    version = source.determine_latest_version(SERVICE, "service-2")
    files = {"endpoints": _only_dynamodb(source.load_data("endpoints"))}
    files.update((name, source.load_data(name)) for name in _SHARED_FILES)
    for name in _SERVICE_FILES:
        data = source.load_service_model(SERVICE, name, version)
        files[f"{SERVICE}/{version}/{name}"] = _without_documentation(data)
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
    """Make `session` (a botocore session) read the data in `target` alone, through botocore's
    own Loader. Not when there is no `target`, it was written for another botocore version, or
    the endpoint asked for is one botocore resolves differently from data that is not its own
    (FIPS, dual-stack, account-based): then the session keeps botocore's own data. Returns
    whether the cut data is used."""
    if not target:
        return False
    if _resolved_differently(session):
        return False
    import botocore
    from botocore.loaders import Loader

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
    loader = Loader(extra_search_paths=[target], include_default_search_paths=False)
    session.register_component("data_loader", loader)
    return True


if __name__ == "__main__":
    write(sys.argv[1])
