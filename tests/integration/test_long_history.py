"""A session's history is not bounded by DynamoDB's 400 KB item limit (real emulator)."""

import uuid

import pytest

from devtools.table import create_table
from shared.store.dynamodb import DynamoDBSessionStore
from shared.store.records import NewMessage

pytestmark = pytest.mark.dynamodb_local


def test_two_thousand_one_kilobyte_messages_read_back_page_by_page(dynamodb_local):
    client = dynamodb_local.client()
    table = f"long-{uuid.uuid4().hex[:8]}"
    create_table(client, table)
    store = DynamoDBSessionStore(client, table)
    session = store.create_session("alice")

    total, batch = 2_000, 50  # 2 MB of text in one session, five times the item limit
    for start in range(0, total, batch):
        session, _ = store.save(
            session,
            messages=[
                NewMessage(role="user", content=f"{i:05}:" + "x" * 1018)
                for i in range(start, start + batch)
            ],
        )

    seen, cursor, pages = [], None, 0
    while True:
        page = store.list_messages(session.session_id, limit=100, cursor=cursor)
        seen.extend(int(m.content[:5]) for m in page.messages)
        pages += 1
        if not (cursor := page.next_cursor):
            break
    assert seen == list(range(total - 1, -1, -1))
    assert pages == total // 100
    assert all(len(m.content) == 1024 for m in page.messages)
    client.delete_table(TableName=table)
