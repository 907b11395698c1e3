"""Reading server-sent events from an httpx response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

__all__ = ["ServerSentEvent", "iter_sse"]


@dataclass(frozen=True)
class ServerSentEvent:
    """One SSE frame: `event` name, `data` text and `id` (None for chunks and comments)."""

    event: str
    data: str
    id: str | None


async def iter_sse(response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
    """The frames of an event stream, as they arrive (comments are skipped)."""
    event, event_id = "message", None
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield ServerSentEvent(event, "\n".join(data), event_id)
            event, data, event_id = "message", [], None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value
