"""A 'something was written' signal, per session: SSE streams wait for their own session only.

Consumers (worker, read model, webhooks) wait for any write. A notification without a session
(PostgreSQL NOTIFY from another process names only the category) wakes everyone.
"""

from __future__ import annotations

import anyio

__all__ = ["Signal"]


class Signal:
    """Wakes the waiters of one session, or everyone; later arrivals wait for the next notification."""

    def __init__(self) -> None:
        self._any = anyio.Event()
        self._sessions: dict[str, anyio.Event] = {}

    def notify(self, thread_id: str | None = None) -> None:
        """Wake the waiters of `thread_id` and those waiting for any write (everyone when None)."""
        event, self._any = self._any, anyio.Event()
        event.set()
        if thread_id is None:
            sessions, self._sessions = self._sessions, {}
            for waiting in sessions.values():
                waiting.set()
        elif thread_id in self._sessions:
            self._sessions.pop(thread_id).set()

    async def wait(self, at_most_s: float, thread_id: str | None = None) -> None:
        """Wait for a write (of `thread_id`, if given), or `at_most_s` seconds (polling fallback)."""
        if thread_id is None:
            event = self._any
        else:
            event = self._sessions.setdefault(thread_id, anyio.Event())
        with anyio.move_on_after(at_most_s):
            await event.wait()
