"""A broadcast 'something was written' signal: SSE streams and the in-process worker wait on it."""

from __future__ import annotations

import anyio

__all__ = ["Signal"]


class Signal:
    """Wakes every waiter at once; a waiter that arrives later waits for the next notification."""

    def __init__(self) -> None:
        self._event = anyio.Event()

    def notify(self) -> None:
        """Wake everyone waiting now."""
        event, self._event = self._event, anyio.Event()
        event.set()

    async def wait(self, at_most_s: float) -> None:
        """Wait for the next notification, or `at_most_s` seconds (polling fallback)."""
        with anyio.move_on_after(at_most_s):
            await self._event.wait()
