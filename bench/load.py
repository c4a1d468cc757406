"""A small closed-loop load generator: `concurrency` clients, a fixed number of GETs."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from bench.common import median, percentile


@dataclass
class Round:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    @property
    def p50(self) -> float:
        return median(self.latencies)

    @property
    def p90(self) -> float:
        return percentile(self.latencies, 90)


async def _round(url: str, requests: int, concurrency: int, headers: dict[str, str]) -> Round:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    remaining = requests

    async with httpx.AsyncClient(limits=limits, timeout=60, headers=headers) as client:
        # Open the connections first, so the round measures requests, not TCP handshakes.
        await asyncio.gather(*(client.get(url) for _ in range(concurrency)))

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                sent = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - sent)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Round(requests, seconds, latencies, errors)


def run_round(url: str, requests: int, concurrency: int, headers: dict | None = None) -> Round:
    return asyncio.run(_round(url, requests, concurrency, headers or {}))


def sequential_latencies(url: str, count: int, headers: dict | None = None) -> list[float]:
    """One client, one request at a time (latency without queueing)."""
    out = []
    with httpx.Client(timeout=60, headers=headers or {}) as client:
        client.get(url)
        for _ in range(count):
            sent = time.perf_counter()
            response = client.get(url)
            out.append(time.perf_counter() - sent)
            response.raise_for_status()
    return out
