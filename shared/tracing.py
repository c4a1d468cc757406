"""X-Ray across the fan-out threads (shared/services/fanout.py).

The X-Ray SDK keeps the current segment and subsegments in thread-local storage. On Lambda a
thread that never saw the handler's entity builds its own facade segment from the invocation's
trace header, so a call made there (an httpx or botocore subsegment) is recorded beside the
handler's `## <handler>` subsegment instead of under it. The SDK's documented remedy for threads
is to hand the worker the caller's entity (`set_trace_entity`) and clear it afterwards
(`clear_trace_entities`), which is what `in_callers_trace` does.
"""

import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def in_callers_trace(call: Callable[[], T]) -> Callable[[], T]:
    """`call`, to be run in another thread, recording under the calling thread's current X-Ray
    entity. Unchanged where nothing is traced: the SDK never loaded (the local app, which does
    not import it) or disabled (POWERTOOLS_TRACE_DISABLED, tests)."""
    core = sys.modules.get("aws_xray_sdk.core")
    if core is None:
        return call
    from aws_xray_sdk import global_sdk_config

    if not global_sdk_config.sdk_enabled():
        return call
    recorder = core.xray_recorder
    entity = recorder.get_trace_entity()
    if entity is None:
        return call

    def traced() -> T:
        recorder.set_trace_entity(entity)
        try:
            return call()
        finally:
            recorder.clear_trace_entities()  # pool threads live on: leave nothing behind

    return traced
