"""A session's partition over DynamoDB's 1 MB Query page is read whole when it is deleted: on the
in-memory store, moto and DynamoDB Local."""

from shared.store.records import NewMessage

MESSAGES = 300  # of 4,000 characters: about 1.2 MB in the session's partition
PER_WRITE = 99  # a transaction holds 100 items: the session and 99 messages


def test_deleting_a_session_larger_than_a_query_page_deletes_every_message(store, backend):
    session = store.create_session("alice")
    for start in range(0, MESSAGES, PER_WRITE):
        count = min(PER_WRITE, MESSAGES - start)
        content = [f"{start + i}:" + "m" * 4_000 for i in range(count)]
        session, _ = store.save(
            session, messages=[NewMessage(role="user", content=text) for text in content]
        )
    assert store.list_messages(session.session_id, limit=1).messages  # stored

    pages = []
    if backend != "memory":
        # The store's own client: count the Query pages DynamoDB answered.
        events = store._client.meta.events
        events.register("after-call.dynamodb.Query", lambda **kw: pages.append(kw["parsed"]))
    store.delete_session(session)

    if backend != "memory":
        assert len(pages) > 1 and "LastEvaluatedKey" in pages[0]  # it did take pages
    assert store.get_session(session.session_id) is None
    left = store.list_messages(session.session_id, limit=MESSAGES)
    assert (left.messages, left.next_cursor) == ([], None)
