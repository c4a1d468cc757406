"""template.yaml as data, with CloudFormation's short tags in their long form (!Ref X ->
{"Ref": "X"}, !If [...] -> {"Fn::If": [...]}), as CloudFormation itself reads them."""

from pathlib import Path
from typing import Any

import yaml

from .layout import TEMPLATE


class _Loader(yaml.SafeLoader):
    pass


def _long_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _long_form)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_Loader)


NO_VALUE = {"Ref": "AWS::NoValue"}
