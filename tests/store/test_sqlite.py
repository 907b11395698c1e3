"""SQLite-specific behaviour: file creation, another process holding the write lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

from cortex.events import NewMessage
from cortex.exceptions import ConcurrencyError, StoreUnavailableError
from cortex.store import open_store
from cortex.store.sqlite import SQLiteEventStore

pytestmark = pytest.mark.anyio


async def test_creates_the_file_and_directories(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "cortex.db"
    store = await open_store(f"sqlite:///{path}")
    await store.write("a:v0-1", "E", {})
    await store.close()
    assert path.exists()
    reopened = SQLiteEventStore(path)
    assert [m.type for m in await reopened.read_stream("a:v0-1")] == ["E"]
    await reopened.close()


async def test_waits_for_a_writer_in_another_connection_without_blocking_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    store = SQLiteEventStore(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    written = anyio.Event()
    positions: list[int] = []

    async def write() -> None:
        positions.append(await store.write("a:v0-1", "AfterWait", {}))
        written.set()

    # A write that blocked inside SQLite (busy_timeout) would hold the loop past this guard.
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(write)
            for _ in range(3):
                await anyio.lowlevel.checkpoint()  # runs again only if the waiting write yields the loop
            assert not written.is_set(), "the write is still waiting for the lock, and the loop ran meanwhile"
            other.execute("COMMIT")
            await written.wait()
    assert positions == [0]
    other.close()
    await store.close()


async def test_gives_up_with_a_clear_error_when_locked_too_long(tmp_path: Path) -> None:
    path = tmp_path / "stuck.db"
    store = SQLiteEventStore(path, lock_timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreUnavailableError, match="stayed locked by another process"):
        await store.write("a:v0-1", "Never", {})
    other.execute("ROLLBACK")
    other.close()
    assert await store.read_stream("a:v0-1") == []
    await store.close()


async def test_open_store_rejects_unknown_urls() -> None:
    from cortex.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="unknown database URL"):
        await open_store("mysql://x")
    with pytest.raises(ConfigurationError, match="names no file"):
        await open_store("sqlite://")


async def test_a_store_that_knows_a_stale_version_still_detects_another_connections_write(tmp_path: Path) -> None:
    """Writes after a position this store has seen skip the existence check; conflicts must still show."""
    path = tmp_path / "cortex.db"
    mine, theirs = SQLiteEventStore(path), SQLiteEventStore(path)
    first = NewMessage("E", {"n": 0})
    assert await mine.write_batch("a:v0-1", [first], expected_version=-1) == 0
    assert await theirs.write("a:v0-1", "E", {"n": 1}, expected_version=0) == 1
    with pytest.raises(ConcurrencyError) as raised:
        await mine.write("a:v0-1", "E", {"n": "late"}, expected_version=0)
    assert raised.value.actual_version == 1
    # A retried batch is recognised on the same path, and a version ahead of the stream is refused.
    assert await mine.write_batch("a:v0-1", [first], expected_version=-1) == 0
    with pytest.raises(ConcurrencyError):
        await mine.write("a:v0-1", "E", {}, expected_version=5)
    assert [m.data["n"] for m in await theirs.read_stream("a:v0-1")] == [0, 1]
    await mine.close()
    await theirs.close()
