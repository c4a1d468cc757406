"""Load one built function the way Lambda does and answer events; used by test_built.py.

Run as `python -I -S -B run_built.py SPEC OUT`: -I and -S keep this interpreter's site-packages
and the repository off sys.path, so everything imported comes from the built artifacts.
Standard library only (the artifacts bring the rest). SPEC is JSON:

    {"paths": [function dir, layer python dirs...], "module": "functions.sessions.handler",
     "events": [...], "probe": [module names to locate], "absent": [names that must not import]}

An event's text may hold "__SESSION_ID__": it becomes the session_id of the first answer that
had one, so a scenario can create a session and then read it.
"""

import base64
import importlib
import importlib.util
import json
import sys


class LambdaContext:
    function_name = "built-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:built-test"
    aws_request_id = "0f8fad5b-d9cb-469f-a165-70867728950e"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def located(name: str) -> str | None:
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    return getattr(module, "__file__", None) or str(list(getattr(module, "__path__", [])))


def _model_documented() -> bool | None:
    """Whether the DynamoDB client read botocore's own model, or None with no such client."""
    client = getattr(importlib.import_module("shared.store").get_store(), "_client", None)
    return None if client is None else bool(
        client.meta.service_model.operation_model("Query").documentation
    )


def main(spec_path: str, out_path: str) -> None:
    with open(spec_path) as f:
        spec = json.load(f)
    sys.path[:0] = spec["paths"]
    handler = importlib.import_module(spec["module"]).handler

    answers, session_id = [], None
    for event in spec["events"]:
        text = json.dumps(event)
        if session_id:
            text = text.replace("__SESSION_ID__", session_id)
        response = handler(json.loads(text), LambdaContext())
        body = response.get("body") or ""
        if response.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        try:
            body = json.loads(body)
        except ValueError:
            pass
        if session_id is None and isinstance(body, dict) and body.get("session_id"):
            session_id = body["session_id"]
        answers.append({"status": response["statusCode"], "body": body})

    result = {
        "answers": answers,
        # documentation is what botocore's data cut to DynamoDB lacks (shared/store/dynamodb_data)
        "model_documented": _model_documented(),
        "located": {name: located(name) for name in spec["probe"]},
        "importable": [n for n in spec["absent"] if importlib.util.find_spec(n) is not None],
        "sys_path": sys.path,
    }
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
