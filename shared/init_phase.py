"""A Lambda function's init phase without the cyclic garbage collector.

Loading a function's handler module creates some 80,000 objects (modules, classes, pydantic
validators, clients) and hardly any garbage. With the collector on, the load runs ~150 young
collections, ~14 middle ones and a full one over everything made so far: about a tenth of the
cold start, 35-75 ms here (bench/README.md). Those objects live as long as the container, so
scanning them finds nothing.

So the collector is off while the handler module loads, and everything the init phase made is
then frozen (`gc.freeze`: moved to a generation no collection visits). Without the freeze, all of
it would still be young when the collector comes back on, and the first collection, inside the
first request, would scan it all. The cost is that cyclic garbage made during the init phase is
never collected: the peak RSS of a cold start grows by about 0.4 MiB (bench, 1 cold start).
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def init_phase() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
