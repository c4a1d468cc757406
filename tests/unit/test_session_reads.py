"""GET session (and a page of messages) reads the session item and the history page at the same
time, one round trip instead of two, and still answers only the session's owner."""

import threading

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
    other, the session read times out and the test fails."""

    def __init__(self):
        super().__init__()
        self.page_read_started = threading.Event()
        self.page_reads = 0

    def get_session(self, session_id):
        if not self.page_read_started.wait(timeout=5):
            raise TimeoutError("the page read never started while the session was read")
        return super().get_session(session_id)

    def list_messages(self, session_id, **kwargs):
        self.page_reads += 1
        self.page_read_started.set()
        return super().list_messages(session_id, **kwargs)


def _session_with_messages(store: InMemorySessionStore, owner: str, count: int):
    session = store.create_session(owner)
    store.save(session, messages=[NewMessage(role="user", content=f"m{i}")
                                        for i in range(count)])  # fmt: skip
    return session


def _ctx(store, user: str) -> Context:
    return Context(store=store, caller=Caller(user_id=user), settings=Settings())


def test_the_session_and_its_newest_page_are_read_at_the_same_time():
    store = OverlapCheckingStore()
    store.page_read_started.set()  # let the setup through
    session = _session_with_messages(store, "alice", 3)
    store.page_read_started.clear()
    answer = sessions.get_session(_ctx(store, "alice"), session.session_id)
    assert [m.content for m in answer.messages] == ["m0", "m1", "m2"]
    page = sessions.list_messages(_ctx(store, "alice"), session.session_id, cursor=None, limit=2)
    assert [m.content for m in page.messages] == ["m1", "m2"]
    assert page.next_cursor


def test_another_users_session_is_not_found_and_shows_none_of_its_messages():
    store = InMemorySessionStore()
    session = _session_with_messages(store, "alice", 2)
    with pytest.raises(NotFound) as raised:
        sessions.get_session(_ctx(store, "mallory"), session.session_id)
    assert "m0" not in str(raised.value) and "m1" not in str(raised.value)


def test_an_unknown_session_with_a_bad_cursor_is_not_found_not_a_bad_cursor():
    # The session read's error wins: a stranger learns nothing, not even that the cursor is bad.
    store = InMemorySessionStore()
    session = _session_with_messages(store, "alice", 2)
    with pytest.raises(NotFound):
        sessions.list_messages(_ctx(store, "mallory"), session.session_id,
                                     cursor="not-a-cursor", limit=10)  # fmt: skip
    with pytest.raises(InvalidInput):
        sessions.list_messages(_ctx(store, "alice"), session.session_id,
                                     cursor="not-a-cursor", limit=10)  # fmt: skip


def test_a_malformed_session_id_reads_nothing():
    store = OverlapCheckingStore()
    with pytest.raises(NotFound):
        sessions.get_session(_ctx(store, "alice"), "../../etc/passwd")
    assert store.page_reads == 0
