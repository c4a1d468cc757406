"""X-Ray subsegments of calls made in the fan-out threads sit under the handler's subsegment, as
they do for calls made in the handler's own thread. Offline: the recorder runs as on Lambda
(LAMBDA_TASK_ROOT and the invocation's trace header set) and sends to an in-memory emitter."""

import json
import threading

import aws_xray_sdk.core
import pytest
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import AWSXRayRecorder
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter

from shared.services import fanout
from shared.tracing import in_callers_trace

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
INVOCATION = "53995c3f42cd8ad8"  # the Lambda invocation's segment, parent of the handler's


class InMemoryEmitter(UDPEmitter):
    def __init__(self):
        super().__init__()
        self.sent: list[dict] = []

    def send_entity(self, entity) -> None:
        self.sent.append(json.loads(entity.serialize()))


@pytest.fixture
def lambda_recorder(monkeypatch, tmp_path):
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(tmp_path))
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={ROOT};Parent={INVOCATION};Sampled=1")
    was_enabled = global_sdk_config.sdk_enabled()
    global_sdk_config.set_sdk_enabled(True)
    recorder = AWSXRayRecorder()  # made on "Lambda": its context is the SDK's Lambda context
    emitter = InMemoryEmitter()
    recorder.configure(emitter=emitter)
    monkeypatch.setattr(aws_xray_sdk.core, "xray_recorder", recorder)
    yield recorder, emitter
    global_sdk_config.set_sdk_enabled(was_enabled)


def test_calls_made_in_worker_threads_are_recorded_under_the_handler(lambda_recorder):
    recorder, emitter = lambda_recorder
    threads = []

    def call(name):
        def run():
            threads.append(threading.current_thread().name)
            with recorder.in_subsegment(name):  # what the patched httpx/botocore do
                return name

        return run

    handler = recorder.begin_subsegment("## handler")
    assert fanout.all_of([call("status-1"), call("status-2"), call("status-3")]) == [
        "status-1", "status-2", "status-3",
    ]  # fmt: skip
    recorder.end_subsegment()

    assert all(name.startswith("fanout") for name in threads)
    sent = {entity["name"]: entity for entity in emitter.sent}
    assert sent["## handler"]["parent_id"] == INVOCATION
    for name in ("status-1", "status-2", "status-3"):
        assert sent[name]["trace_id"] == ROOT
        assert sent[name]["parent_id"] == handler.id, name


def test_a_worker_thread_keeps_no_entity_after_its_call(lambda_recorder):
    recorder, _ = lambda_recorder
    handler = recorder.begin_subsegment("## handler")
    seen = []
    traced = in_callers_trace(lambda: seen.append(recorder.get_trace_entity()))
    worker = threading.Thread(target=lambda: (traced(), seen.append(recorder.get_trace_entity())))
    worker.start()
    worker.join()
    recorder.end_subsegment()
    during, after = seen
    assert during is handler
    assert after is not handler  # the thread's own (facade) segment again, not a stale entity


def test_without_tracing_the_call_is_left_as_it_is():
    was_enabled = global_sdk_config.sdk_enabled()
    global_sdk_config.set_sdk_enabled(False)
    try:

        def call():
            return 1

        assert in_callers_trace(call) is call
    finally:
        global_sdk_config.set_sdk_enabled(was_enabled)
