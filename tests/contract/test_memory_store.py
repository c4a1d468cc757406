"""What only the in-memory store does: remove expired items itself."""

from datetime import timedelta

from shared.store.memory import InMemorySessionStore
from shared.store.records import NewMessage


def test_cleanup_expired_removes_sessions_with_their_messages():
    store = InMemorySessionStore(ttl=timedelta(seconds=-1))
    session = store.create_session("alice")
    store._sessions[session.session_id] = session.model_copy(update={"expires_at": 2**40})
    session = store.get_session(session.session_id)
    store.save(session, messages=[NewMessage(role="user", content="hi")])
    # save() renewed the session with the (negative) TTL, so everything is now expired
    assert store.cleanup_expired() == 2
    assert store.get_session(session.session_id) is None
    assert store.cleanup_expired() == 0


def test_cleanup_keeps_live_sessions():
    store = InMemorySessionStore(ttl=timedelta(hours=1))
    session = store.create_session("alice")
    assert store.cleanup_expired() == 0
    assert store.get_session(session.session_id) == session
