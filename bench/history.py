"""5. History scale: GET /api/dashboard/session/{id} of a session with 10 messages vs one with
10,000 (seeded through the store's save(), up to 99 messages a transaction), against DynamoDB
Local, alternating; the server's RSS before and after."""

from __future__ import annotations

import time

import httpx

from bench.common import (
    USER,
    Figure,
    Stack,
    app_env,
    median,
    mib,
    ms,
    percentile,
    print_table,
    rss_kib,
)

TABLE = "bench-history"
BATCH = 99  # a transaction holds 100 items: the session's own Put + 99 messages
TARGET_RATIO = 1.5
TARGET_RSS_GROWTH_KIB = 5 * 1024
PAGE_CONTROL = 60  # more than one page (50): the same answer size as the large session's


def _content(i: int) -> tuple[str, str, dict | None]:
    if i % 2 == 0:
        return "user", f"message {i}: please build and deploy the api service to staging " * 2, None
    text = (f"message {i}: Here is the plan. 2-step plan: 1. Build artifacts; 2. Deploy service. "
            "Estimated time about 9 min.\n\n- [ ] 1. Build artifacts\n- [ ] 2. Deploy service\n\n"
            "Estimated duration: ~9 minutes. Risk: low.")  # fmt: skip
    return "assistant", text, {"plan_id": "00000000-0000-4000-8000-000000000000"}


def _seed(client, table: str, count: int) -> str:
    from shared.store.dynamodb import DynamoDBSessionStore
    from shared.store.records import NewMessage

    store = DynamoDBSessionStore(client, table)
    session = store.create_session(USER)
    for start in range(0, count, BATCH):
        batch = []
        for i in range(start, min(count, start + BATCH)):
            role, content, metadata = _content(i)
            batch.append(NewMessage(role=role, content=content, metadata=metadata))
        session, _ = store.save(session, messages=batch)
    return session.session_id


def run(stack: Stack, *, samples: int, messages: int) -> list[Figure]:
    ddb = stack.dynamodb()
    table = stack.table(TABLE)
    seeding = time.perf_counter()
    small = _seed(ddb.client(), table, 10)
    large = _seed(ddb.client(), table, messages)
    # A control: one full page (the answer then holds as many messages as the large one's).
    page_only = _seed(ddb.client(), table, PAGE_CONTROL)
    print(f"  seeded 10, {PAGE_CONTROL} and {messages:,} messages in "
          f"{time.perf_counter() - seeding:.1f} s", flush=True)  # fmt: skip
    # The orchestrator is not used by GET session; any URL will do.
    dashboard = stack.uvicorn("history-dashboard", "functions.app:app",
                              app_env(ddb.endpoint_url, table, "http://127.0.0.1:9"))  # fmt: skip
    urls = {
        10: f"{dashboard.url}/api/dashboard/session/{small}",
        PAGE_CONTROL: f"{dashboard.url}/api/dashboard/session/{page_only}",
        messages: f"{dashboard.url}/api/dashboard/session/{large}",
    }
    latencies: dict[int, list[float]] = {size: [] for size in urls}
    try:
        rss_started = rss_kib(dashboard.pid)
        with httpx.Client(timeout=30, headers={"X-User-Id": USER}) as client:
            for url in urls.values():  # warm-up (first use creates the store's client)
                for _ in range(5):
                    client.get(url).raise_for_status()
            rss_before = rss_kib(dashboard.pid)
            sizes = list(urls)
            for i in range(samples):
                for size in sizes if i % 2 == 0 else reversed(sizes):
                    sent = time.perf_counter()
                    answer = client.get(urls[size])
                    latencies[size].append(time.perf_counter() - sent)
                    answer.raise_for_status()
            body = client.get(urls[messages]).json()
        rss_after = rss_kib(dashboard.pid)
    finally:
        stack.stop_server(dashboard)

    page = len(body["messages"])
    has_cursor = body.get("older_messages_cursor") is not None
    small_p50, large_p50 = median(latencies[10]), median(latencies[messages])
    ratio = large_p50 / small_p50
    growth = rss_after - rss_before
    print(f"  {samples} sequential GETs per size, alternating; the large answer holds {page} "
          f"messages and {'an' if has_cursor else 'NO'} older-page cursor")  # fmt: skip
    print_table(
        ["messages", "p50", "p90"],
        [[f"{size:,}", ms(median(v)), ms(percentile(v, 90))] for size, v in latencies.items()],
    )
    print(f"  server RSS: {mib(rss_started)} at start, {mib(rss_before)} after warm-up, "
          f"{mib(rss_after)} after {len(urls) * samples} GETs")  # fmt: skip
    control = median(latencies[messages]) / median(latencies[PAGE_CONTROL])
    return [
        Figure("5 history", f"GET session p50, {messages:,} / 10 messages",
               f"{ms(large_p50)} / {ms(small_p50)} = {ratio:.2f}x", f"<= {TARGET_RATIO}x",
               ratio <= TARGET_RATIO),
        Figure("5 history", f"GET session p50, {messages:,} / {PAGE_CONTROL} messages (same page)",
               f"{ms(large_p50)} / {ms(median(latencies[PAGE_CONTROL]))} = {control:.2f}x"),
        Figure("5 history", "server RSS after warm-up -> after the GETs",
               f"{mib(rss_before)} -> {mib(rss_after)} ({growth / 1024:+.1f} MiB)",
               f"flat (< +{TARGET_RSS_GROWTH_KIB // 1024} MiB)",
               growth < TARGET_RSS_GROWTH_KIB),
    ]  # fmt: skip
