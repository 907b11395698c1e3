"""Per-principal rate limits: a fixed one-minute window, in Redis when configured, else in memory.

The decision (allowed? how long to wait?) is one pure function of the count and the window; the
two adapters only keep the count.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

__all__ = ["LimitResult", "MemoryRateLimiter", "RateLimiter", "RedisRateLimiter", "decide"]

WINDOW_S = 60


@dataclass(frozen=True)
class LimitResult:
    """Whether the request may go on, and if not, when to retry."""

    allowed: bool
    remaining: int
    retry_after_s: int


def decide(count: int, limit: int, now: float, window_start: float) -> LimitResult:
    """The answer for the `count`-th request of a window that began at `window_start`."""
    if count <= limit:
        return LimitResult(True, limit - count, 0)
    return LimitResult(False, 0, max(1, math.ceil(window_start + WINDOW_S - now)))


class RateLimiter(Protocol):
    """Counts requests per principal."""

    async def hit(self, principal: str, limit: int) -> LimitResult:
        """Count one request and decide."""
        ...


class MemoryRateLimiter:
    """One process's counts (a single `cortex serve`)."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    async def hit(self, principal: str, limit: int) -> LimitResult:
        """Count one request and decide."""
        now = time.time()
        start = now - now % WINDOW_S
        window, count = self._windows.get(principal, (start, 0))
        if window != start:
            window, count = start, 0
            if len(self._windows) > 100_000:
                self._windows.clear()
        self._windows[principal] = (window, count + 1)
        return decide(count + 1, limit, now, window)


class RedisRateLimiter:
    """Counts shared by every server process (`INCR` + `EXPIRE` on a per-window key)."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url)

    async def hit(self, principal: str, limit: int) -> LimitResult:
        """Count one request and decide."""
        now = time.time()
        start = now - now % WINDOW_S
        key = f"cortex:ratelimit:{principal}:{int(start)}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_S * 2)
            count, _ = await pipe.execute()
        return decide(int(count), limit, now, start)

    async def close(self) -> None:
        """Close the connection."""
        await self._redis.aclose()
