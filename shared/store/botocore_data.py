"""botocore's data loader without two costs that every cold start pays and this service gains
nothing from. Creating the DynamoDB client loads its models through this loader:

- botocore's `load_service_model` first lists every service it ships (~420 folders, ~2,700
  stat and listdir calls, ~12 ms each for the service model and its endpoint rules) only to
  check that "dynamodb" is among them. The same is proposed upstream (boto/botocore#3687): go
  to the service's folder directly, and list the services only when it is not there, which is
  what produces botocore's own UnknownServiceError.
- botocore's JSON file loader parses into OrderedDicts (`object_pairs_hook`), about twice the
  time of plain dicts, which keep their order anyway: endpoints.json (1.2 MB), read by every
  client, 39 -> 16 ms here.

Everything else (search paths, AWS_DATA_PATH, ~/.aws/models, extras) is botocore's own.
"""

import gzip
import json
import os

from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader, instance_cache

# botocore's order: an uncompressed file wins over a compressed one (loaders._JSON_OPEN_METHODS).
_OPENERS = ((".json", open), (".json.gz", gzip.open))


class PlainJSONFileLoader:
    """botocore's file-loader interface (`exists`, `load_file`), parsing into plain dicts."""

    def exists(self, file_path: str) -> bool:
        return any(os.path.isfile(file_path + ext) for ext, _ in _OPENERS)

    def load_file(self, file_path: str):
        for ext, opener in _OPENERS:
            if os.path.isfile(file_path + ext):
                with opener(file_path + ext, "rb") as f:
                    return json.loads(f.read().decode("utf-8"))
        return None


class DirectServiceLoader(Loader):
    """Loads a service's model without listing every service first."""

    FILE_LOADER_CLASS = PlainJSONFileLoader

    @instance_cache
    def load_service_model(self, service_name, type_name, api_version=None):
        try:
            if api_version is None:
                # Lists the versions in the service's own folder; DataNotFoundError if none.
                api_version = self.determine_latest_version(service_name, type_name)
            model = self.load_data(os.path.join(service_name, api_version, type_name))
        except DataNotFoundError:
            # Unknown service or missing data: botocore's path says which, with its own error.
            return super().load_service_model(service_name, type_name, api_version)
        # The rest of botocore's load_service_model: the extras (e.g. sdk-extras) on top.
        self._extras_processor.process(
            model, self._find_extras(service_name, type_name, api_version)
        )
        return model


def data_loader(data_path: str | None) -> DirectServiceLoader:
    """What botocore's `create_loader` makes, as this class: `data_path` is the session's
    `data_path` config variable (AWS_DATA_PATH), searched before botocore's own data."""
    extra = [os.path.expanduser(os.path.expandvars(p)) for p in (data_path or "").split(os.pathsep)]
    return DirectServiceLoader(extra_search_paths=[p for p in extra if p])
