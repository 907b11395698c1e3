"""Choose the event store adapter from a URL, so configuration alone moves a deployment."""

from __future__ import annotations

from pathlib import Path

from cortex.exceptions import ConfigurationError
from cortex.store._port import EventStore

__all__ = ["open_store", "sqlite_path"]


def sqlite_path(url: str) -> Path:
    """The file a `sqlite:///relative` or `sqlite:////absolute` URL names.

    Raises:
        ConfigurationError: the URL names no file.
    """
    path = url.removeprefix("sqlite://").removeprefix("/")
    if not path:
        raise ConfigurationError(f"database URL {url!r} names no file: use sqlite:///path/to/cortex.db")
    return Path(path)


async def open_store(url: str | None = None) -> EventStore:
    """Open the event store a URL names; None uses `CORTEX_DATABASE_URL` or the SQLite default.

    `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, `postgresql://…` (Message DB) and
    `memory://` (tests only) are understood.
    """
    if url is None:
        from cortex.config import get_settings

        url = get_settings().resolved_database_url
    if url.startswith("sqlite://"):
        from cortex.store.sqlite import SQLiteEventStore

        return SQLiteEventStore(sqlite_path(url))
    if url.startswith(("postgresql://", "postgres://")):
        from cortex.store.messagedb import MessageDBEventStore

        return await MessageDBEventStore.connect(url)
    if url.startswith("memory://"):
        from cortex.store.memory import MemoryEventStore

        return MemoryEventStore()
    raise ConfigurationError(f"unknown database URL {url!r}: expected sqlite:///…, postgresql://… or memory://")
