"""Leases: at most one worker runs a session at a time, whatever the worker topology.

Consumer groups already give each session to one member; workers started without a group (or a
`cortex serve` worker beside them) would otherwise race on a session — writes stay consistent,
but one could record the other's running tool call as interrupted. On PostgreSQL a lease is a
session-level advisory lock held on one dedicated connection, so a killed worker's leases vanish
with its connection; elsewhere leases are held in the process.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

from cortex.store import EventStore

__all__ = ["Leases", "LocalLeases", "leases_for"]


class Leases(Protocol):
    """Try to hold a named lease for the duration of a block."""

    def hold(self, key: str) -> contextlib.AbstractAsyncContextManager[bool]:
        """Yields True when the lease is held (released on exit), False when someone else holds it."""
        ...

    async def close(self) -> None:
        """Release everything and close any connection."""
        ...


_held_in_process: set[str] = set()


class LocalLeases:
    """Leases among the workers of one process (SQLite and memory stores)."""

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[bool]:
        """Hold `key` unless another worker of this process does."""
        name = f"{self._namespace}:{key}"
        if name in _held_in_process:
            yield False
            return
        _held_in_process.add(name)
        try:
            yield True
        finally:
            _held_in_process.discard(name)

    async def close(self) -> None:
        """Nothing to close."""


async def leases_for(store: EventStore) -> Leases:
    """The leases that fit a store: advisory locks on Message DB, in-process otherwise."""
    from cortex.store.messagedb import MessageDBEventStore
    from cortex.store.sqlite import SQLiteEventStore

    if isinstance(store, MessageDBEventStore):
        return await store.leases()
    if isinstance(store, SQLiteEventStore):
        return LocalLeases(str(store.path.resolve()))
    return LocalLeases(f"store-{id(store)}")
