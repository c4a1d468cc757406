"""GET session (and a page of messages) reads the session item and the history page at the same
time, one round trip instead of two, and still answers only the session's owner."""

import asyncio

import pytest

from shared.errors import InvalidInput, NotFound
from shared.identity import Caller
from shared.services import sessions
from shared.services.context import Context
from shared.settings import Settings
from shared.store.memory import InMemorySessionStore
from shared.store.records import NewMessage


class OverlapCheckingStore(InMemorySessionStore):
    """The session read finishes only once the page read has started: read one after the
    other, a request would wait forever (the test's timeout turns that into a failure)."""

    def __init__(self):
        super().__init__()
        self.page_read_started = asyncio.Event()
        self.page_reads = 0

    async def get_session(self, session_id):
        await self.page_read_started.wait()
        return await super().get_session(session_id)

    async def list_messages(self, session_id, **kwargs):
        self.page_reads += 1
        self.page_read_started.set()
        await asyncio.sleep(0)
        return await super().list_messages(session_id, **kwargs)


async def _session_with_messages(store: InMemorySessionStore, owner: str, count: int):
    session = await store.create_session(owner)
    await store.save(session, messages=[NewMessage(role="user", content=f"m{i}")
                                        for i in range(count)])  # fmt: skip
    return session


def _ctx(store, user: str) -> Context:
    return Context(store=store, caller=Caller(user_id=user), settings=Settings())


async def test_the_session_and_its_newest_page_are_read_at_the_same_time():
    store = OverlapCheckingStore()
    store.page_read_started.set()  # let the setup through
    session = await _session_with_messages(store, "alice", 3)
    store.page_read_started.clear()
    answer = await asyncio.wait_for(sessions.get_session(_ctx(store, "alice"), session.session_id),
                                    timeout=5)  # fmt: skip
    assert [m.content for m in answer.messages] == ["m0", "m1", "m2"]
    page = await asyncio.wait_for(
        sessions.list_messages(_ctx(store, "alice"), session.session_id, cursor=None, limit=2),
        timeout=5,
    )
    assert [m.content for m in page.messages] == ["m1", "m2"]
    assert page.next_cursor


async def test_another_users_session_is_not_found_and_shows_none_of_its_messages():
    store = InMemorySessionStore()
    session = await _session_with_messages(store, "alice", 2)
    with pytest.raises(NotFound) as raised:
        await sessions.get_session(_ctx(store, "mallory"), session.session_id)
    assert "m0" not in str(raised.value) and "m1" not in str(raised.value)


async def test_an_unknown_session_with_a_bad_cursor_is_not_found_not_a_bad_cursor():
    # The session read's error wins: a stranger learns nothing, not even that the cursor is bad.
    store = InMemorySessionStore()
    session = await _session_with_messages(store, "alice", 2)
    with pytest.raises(NotFound):
        await sessions.list_messages(_ctx(store, "mallory"), session.session_id,
                                     cursor="not-a-cursor", limit=10)  # fmt: skip
    with pytest.raises(InvalidInput):
        await sessions.list_messages(_ctx(store, "alice"), session.session_id,
                                     cursor="not-a-cursor", limit=10)  # fmt: skip


async def test_a_malformed_session_id_reads_nothing():
    store = OverlapCheckingStore()
    with pytest.raises(NotFound):
        await sessions.get_session(_ctx(store, "alice"), "../../etc/passwd")
    assert store.page_reads == 0
