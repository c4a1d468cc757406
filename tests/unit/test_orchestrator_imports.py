"""A pooled orchestrator call searches for no module: a failed import walks sys.path again on
every call (httpcore's async client asked for sniffio on each request, about a tenth of the CPU
of a call, when the client was async; a status fan-out makes one call per task)."""

import asyncio
import sys

from shared.orchestrator.client import OrchestratorClient

ANSWER = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 74\r\n\r\n"
    b'{"task_id": "t", "status": "executing", "progress": 0.5, "output": null}  '
)


class ImportSearches:
    """A meta path finder that records every module the import system has to look for."""

    def __init__(self):
        self.names: list[str] = []

    def find_spec(self, name, path=None, target=None):
        self.names.append(name)
        return None


async def _serve_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # A keep-alive HTTP/1.1 server that answers every request with the same JSON.
    try:
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(ANSWER)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def test_pooled_calls_look_for_no_module():
    server = await asyncio.start_server(_serve_answers, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = OrchestratorClient(f"http://127.0.0.1:{port}", max_attempts=1)
    searches = ImportSearches()
    try:
        await client.task_status("t")  # the first call may import what it needs, once
        sys.meta_path.insert(0, searches)
        try:
            answers = await asyncio.gather(*(client.task_status("t") for _ in range(5)))
        finally:
            sys.meta_path.remove(searches)
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    assert [a.status for a in answers] == ["executing"] * 5
    assert searches.names == []
