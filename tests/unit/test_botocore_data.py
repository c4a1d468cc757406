"""The store's botocore data loader: the same models as botocore's own, without listing every
service botocore ships, and botocore's own errors and search paths."""

import json
from collections import OrderedDict

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader, create_loader

from shared.settings import Settings
from shared.store import dynamodb_client
from shared.store.botocore_data import data_loader


@pytest.mark.parametrize("type_name", ["service-2", "endpoint-rule-set-1", "paginators-1"])
def test_it_loads_what_botocore_loads(type_name):
    ours = data_loader(None).load_service_model("dynamodb", type_name)
    theirs = create_loader().load_service_model("dynamodb", type_name)
    assert ours == theirs
    assert json.dumps(ours) == json.dumps(theirs)  # key order too, which plain dicts keep
    assert type(ours) is dict


def test_endpoints_data_is_botocore_s_own():
    ours, path = data_loader(None).load_data_with_path("endpoints")
    theirs = create_loader().load_data("endpoints")
    assert ours == theirs
    assert data_loader(None).is_builtin_path(path)


def test_the_client_is_made_without_listing_every_service(monkeypatch):
    calls = []
    original = Loader.list_available_services

    def listing(self, type_name):
        calls.append(type_name)
        return original(self, type_name)

    monkeypatch.setattr(Loader, "list_available_services", listing)
    client = dynamodb_client(Settings(dynamodb_endpoint_url="http://127.0.0.1:1"))
    assert calls == []
    assert client.meta.service_model.operation_model("GetItem").name == "GetItem"
    # botocore's own loader lists them all (once per model type) for the same client.
    create_loader().load_service_model("dynamodb", "service-2")
    assert calls == ["service-2"]


def test_an_unknown_service_is_botocore_s_unknown_service_error():
    with pytest.raises(UnknownServiceError) as raised:
        data_loader(None).load_service_model("no-such-service", "service-2")
    assert "dynamodb" in str(raised.value)  # botocore's message lists the known services


def test_aws_data_path_is_searched_first(tmp_path):
    """A model in AWS_DATA_PATH (the session's data_path) wins over botocore's, as in botocore."""
    folder = tmp_path / "dynamodb" / "2012-08-10"
    folder.mkdir(parents=True)
    model = OrderedDict(create_loader().load_service_model("dynamodb", "service-2"))
    model["metadata"] = dict(model["metadata"], serviceFullName="Patched DynamoDB")
    (folder / "service-2.json").write_text(json.dumps(model))
    loaded = data_loader(f"/no/such/folder:{tmp_path}").load_service_model("dynamodb", "service-2")
    assert loaded["metadata"]["serviceFullName"] == "Patched DynamoDB"
