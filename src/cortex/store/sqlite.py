"""SQLite event store, the embedded default: Message DB's semantics in one file.

One `messages` table shaped like Message DB's, in WAL mode. Optimistic concurrency comes from
`BEGIN IMMEDIATE` (one writer at a time across processes) plus the unique index on
`(stream_name, position)`; `global_position` is the rowid. Consumer groups use Message DB's own
hash, so a stream goes to the same worker on SQLite as on PostgreSQL.

Why statements run on the event loop thread: a SQLite statement takes microseconds, and even a
durable commit waits for one fsync, which measured here (≈0.4 ms) about as long as handing the
work to a worker thread and back — offloading halved durable write throughput
(`bench/store_throughput.py`). So every statement runs inline, and because no `await` happens
inside a statement group nothing else on the loop can interleave with it. What must never block
the loop is *another process's* lock: the connection does not wait inside SQLite
(`busy_timeout=0`); when another process holds the write lock the store backs off with
`anyio.sleep` and tries again. A deployment whose disk makes fsync slow should use PostgreSQL.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio

from cortex.events import JsonObject, Message, NewMessage
from cortex.events import category as category_of
from cortex.exceptions import ConcurrencyError, StoreError, StoreUnavailableError
from cortex.store._groups import consumer_group_member_of
from cortex.store._idempotency import resolve_retried_write
from cortex.store._json import json_text, json_value
from cortex.store._port import check_category_read, check_stream

__all__ = ["SQLiteEventStore", "messages_table_ddl"]

T = TypeVar("T")

_COLUMNS = "id, stream_name, type, position, global_position, data, metadata, time"
_INSERT_NEXT = (
    "INSERT INTO messages (position, time, stream_name, type, data, metadata, id) "
    "SELECT coalesce(max(position), -1) + 1, ?, ?, ?, ?, ?, ? FROM messages WHERE stream_name = ? "
    "RETURNING position"
)
_KNOWN_STREAMS = 10_000
_INSERT_AT = "INSERT INTO messages (position, time, stream_name, type, data, metadata, id) VALUES (?, ?, ?, ?, ?, ?, ?)"


def messages_table_ddl(table: str = "messages") -> str:
    """Return the DDL of the messages table (also used by the benchmark's raw baseline)."""
    return f"""
    CREATE TABLE IF NOT EXISTS {table} (
        global_position INTEGER PRIMARY KEY AUTOINCREMENT,
        position INTEGER NOT NULL,
        time TEXT NOT NULL,
        stream_name TEXT NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT,
        id TEXT NOT NULL,
        category TEXT GENERATED ALWAYS AS (substr(stream_name, 1, instr(stream_name, '-') - 1)) VIRTUAL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS {table}_stream ON {table} (stream_name, position);
    CREATE UNIQUE INDEX IF NOT EXISTS {table}_id ON {table} (id);
    CREATE INDEX IF NOT EXISTS {table}_category ON {table} (category, global_position);
    """


def _correlation_category(stream_name: str | None) -> str | None:
    return None if stream_name is None else category_of(stream_name)


def _group_member(stream_name: str, size: int) -> int:
    return consumer_group_member_of(stream_name, size)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc)


def _to_message(row: tuple[Any, ...]) -> Message:
    return Message(
        id=uuid.UUID(row[0]),
        stream_name=row[1],
        type=row[2],
        position=row[3],
        global_position=row[4],
        data=json_value(row[5]),
        metadata=json_value(row[6]) if row[6] else {},
        time=datetime.fromisoformat(row[7]),
    )


class _Conflict(Exception):
    """The stream is not at the expected version (raised inside a transaction to roll it back)."""

    def __init__(self, expected: int, actual: int | None) -> None:
        self.expected, self.actual = expected, actual


class SQLiteEventStore:
    """Event store in a SQLite file (default `./.cortex/cortex.db`)."""

    def __init__(self, path: str | Path, *, lock_timeout: float = 30.0) -> None:
        """Open (and create if needed) the database file.

        Args:
            path: the database file; its directory is created when missing.
            lock_timeout: how long a write may wait for another process's write lock before
                `StoreUnavailableError`.
        """
        self.path = Path(path)
        self._lock_timeout = lock_timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA busy_timeout = 10000")  # only while creating the schema
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.executescript(messages_table_ddl())
            self._conn.execute("PRAGMA busy_timeout = 0")
            self._conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot open SQLite event store at {self.path}: {exc}") from exc
        self._synchronous_full = True
        self._known_versions: dict[str, int] = {}
        """The highest position this store has seen per stream: writes after it need no existence check."""
        self._conn.create_function("cortex_correlation_category", 1, _correlation_category, deterministic=True)
        self._conn.create_function("cortex_group_member", 2, _group_member, deterministic=True)

    async def write(
        self,
        stream_name: str,
        type: str,
        data: JsonObject,
        metadata: JsonObject | None = None,
        *,
        expected_version: int | None = None,
        id: uuid.UUID | None = None,
        durable: bool = True,
    ) -> int:
        """Append one message; see `EventStore.write`."""
        message = NewMessage(type=type, data=data, metadata=metadata, id=id or uuid.uuid4())
        return await self.write_batch(stream_name, (message,), expected_version=expected_version, durable=durable)

    async def write_batch(
        self,
        stream_name: str,
        messages: Sequence[NewMessage],
        *,
        expected_version: int | None = None,
        durable: bool = True,
    ) -> int:
        """Append messages atomically; see `EventStore.write_batch`."""
        check_stream(stream_name)
        if not messages:
            raise ValueError("write_batch needs at least one message")
        now = datetime.now(UTC).isoformat()
        rows = [
            (now, stream_name, m.type, json_text(m.data), json_text(m.metadata) if m.metadata else None, str(m.id))
            for m in messages
        ]

        def write() -> int:
            return self._write_rows(stream_name, messages, rows, expected_version, durable)

        return await self._run(write)

    def _write_rows(
        self,
        stream_name: str,
        messages: Sequence[NewMessage],
        rows: list[tuple[Any, ...]],
        expected_version: int | None,
        durable: bool,
    ) -> int:
        conn = self._conn
        if durable != self._synchronous_full:
            conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            self._synchronous_full = durable
        if expected_version is not None and -1 <= expected_version <= self._known_versions.get(stream_name, -1):
            return self._write_at(stream_name, messages, rows, expected_version)
        try:
            with self._transaction() as conn:
                # One statement finds the next position and inserts: the write lock is already held.
                position: int = conn.execute(_INSERT_NEXT, (*rows[0], stream_name)).fetchall()[0][0]
                if expected_version is not None and expected_version != position - 1:
                    raise _Conflict(expected_version, None if position == 0 else position - 1)
                if len(rows) > 1:
                    conn.executemany(_INSERT_AT, [(position + i, *row) for i, row in enumerate(rows[1:], start=1)])
        except _Conflict as conflict:
            existing = self._existing_position(stream_name, messages)
            if existing is not None:
                return existing
            raise ConcurrencyError(stream_name, conflict.expected, conflict.actual) from None
        except sqlite3.IntegrityError as exc:
            return self._after_violation(stream_name, messages, exc)
        return self._remember(stream_name, position + len(rows) - 1)

    def _write_at(
        self, stream_name: str, messages: Sequence[NewMessage], rows: list[tuple[Any, ...]], expected_version: int
    ) -> int:
        """Insert right after `expected_version`, already known to exist: the unique index catches a conflict.

        Messages are never deleted and positions have no gaps, so once this store has seen a
        position it needs no statement to prove it exists; only a writer that got in first can
        make the insert fail.
        """
        first = expected_version + 1
        try:
            with self._transaction() as conn:
                conn.executemany(_INSERT_AT, [(first + i, *row) for i, row in enumerate(rows)])
        except sqlite3.IntegrityError as exc:
            return self._after_violation(stream_name, messages, exc, expected_version)
        return self._remember(stream_name, first + len(rows) - 1)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the write lock: committed on success, rolled back on any error."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _after_violation(
        self,
        stream_name: str,
        messages: Sequence[NewMessage],
        exc: sqlite3.IntegrityError,
        expected_version: int | None = None,
    ) -> int:
        """After a unique index refused a batch: a retried batch's position, else the conflict or the error."""
        existing = self._existing_position(stream_name, messages)
        if existing is not None:
            return existing
        version = self._version(stream_name) if expected_version is not None else None
        if expected_version is not None and version is not None and version > expected_version:
            raise ConcurrencyError(stream_name, expected_version, version) from None
        raise StoreError(f"cannot write to {stream_name}: {exc}") from exc

    def _remember(self, stream_name: str, position: int) -> int:
        """Note that `position` exists in the stream (it always will); returns it."""
        known = self._known_versions
        if len(known) >= _KNOWN_STREAMS and stream_name not in known:
            known.clear()
        if position > known.get(stream_name, -1):
            known[stream_name] = position
        return position

    def _version(self, stream_name: str) -> int | None:
        row = self._conn.execute("SELECT max(position) FROM messages WHERE stream_name = ?", (stream_name,)).fetchone()
        version: int | None = row[0]
        return version

    def _existing_position(self, stream_name: str, messages: Sequence[NewMessage]) -> int | None:
        """Position of a batch already written with the same ids (a retried write), else None."""
        ids = [str(m.id) for m in messages]
        rows = self._conn.execute(
            f"SELECT id, stream_name, position FROM messages WHERE id IN ({', '.join('?' * len(ids))})", ids
        ).fetchall()
        stored = {uuid.UUID(row[0]): (row[1], row[2]) for row in rows}
        return resolve_retried_write(stream_name, messages, stored)

    async def _run(self, operation: Callable[[], T]) -> T:
        """Run a statement group, backing off (without blocking the loop) while another process writes."""
        delay = 0.0005
        deadline: float | None = None
        while True:
            try:
                return operation()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise StoreError(f"SQLite event store at {self.path}: {exc}") from exc
            now = anyio.current_time()
            deadline = deadline or now + self._lock_timeout
            if now > deadline:
                raise StoreUnavailableError(
                    f"SQLite event store at {self.path} stayed locked by another process for {self._lock_timeout:g}s"
                )
            await anyio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.05)

    async def _select(self, sql: str, params: tuple[Any, ...]) -> list[Message]:
        def select() -> list[Message]:
            return [_to_message(row) for row in self._conn.execute(sql, params)]

        return await self._run(select)

    async def read_stream(self, stream_name: str, position: int = 0, batch_size: int = 1000) -> list[Message]:
        """Return a batch of one stream; see `EventStore.read_stream`."""
        check_stream(stream_name)
        batch = await self._select(
            f"SELECT {_COLUMNS} FROM messages WHERE stream_name = ? AND position >= ? ORDER BY position LIMIT ?",
            (stream_name, position, batch_size),
        )
        if batch:
            self._remember(stream_name, batch[-1].position)
        return batch

    async def read_category(
        self,
        category: str,
        position: int = 0,
        batch_size: int = 1000,
        *,
        consumer_group_member: int | None = None,
        consumer_group_size: int | None = None,
        correlation: str | None = None,
    ) -> list[Message]:
        """Return a batch of a category; see `EventStore.read_category`."""
        check_category_read(category, consumer_group_member, consumer_group_size, correlation)
        sql = f"SELECT {_COLUMNS} FROM messages WHERE category = ? AND global_position >= ?"
        params: list[Any] = [category, position]
        if correlation is not None:
            sql += " AND cortex_correlation_category(json_extract(metadata, '$.correlationStreamName')) = ?"
            params.append(correlation)
        if consumer_group_size is not None:
            sql += " AND cortex_group_member(stream_name, ?) = ?"
            params += [consumer_group_size, consumer_group_member]
        sql += " ORDER BY global_position LIMIT ?"
        params.append(batch_size)
        return await self._select(sql, tuple(params))

    async def stream_version(self, stream_name: str) -> int | None:
        """Return the last position, or None; see `EventStore.stream_version`."""

        def version() -> int | None:
            value = self._version(stream_name)
            if value is not None:
                self._remember(stream_name, value)
            return value

        return await self._run(version)

    async def last_message(self, stream_name: str, type: str | None = None) -> Message | None:
        """Return the last message (of `type`); see `EventStore.last_message`."""
        sql = f"SELECT {_COLUMNS} FROM messages WHERE stream_name = ?"
        params: tuple[Any, ...] = (stream_name,)
        if type is not None:
            sql += " AND type = ?"
            params += (type,)
        found = await self._select(sql + " ORDER BY position DESC LIMIT 1", params)
        return found[0] if found else None

    async def close(self) -> None:
        """Close the connection."""
        self._conn.close()
