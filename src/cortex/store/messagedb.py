"""PostgreSQL event store through Message DB 1.3's own functions (psycopg 3, async pool).

Facts that shape this adapter (DESIGN.md §4):

- Cortex always passes its own message id: a retry that finds the id already stored returns the
  first write's position, so writes are idempotent. Because `write_message` checks the expected
  version *before* inserting, a retried write usually surfaces as a version conflict; both paths
  look the id up before reporting an error.
- `write_message` holds an advisory lock on the whole category until commit. A batch is one
  transaction whose statements are pipelined; non-durable writes commit with
  `synchronous_commit = off` set for that transaction only.
- `data`/`metadata` come back as JSON text and `time` as naive UTC.
- The `condition` argument of the read functions is raw SQL and is never exposed.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC
from typing import Any, LiteralString, Self

import anyio
import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from cortex.events import JsonObject, Message, NewMessage
from cortex.exceptions import (
    ConcurrencyError,
    MessageDBNotInstalledError,
    StoreError,
    StoreUnavailableError,
)
from cortex.store._idempotency import resolve_retried_write
from cortex.store._json import json_text, json_value
from cortex.store._port import check_category_read, check_stream

__all__ = ["NOTIFY_CHANNEL", "SEARCH_PATH_OPTION", "MessageDBEventStore", "redact_url"]

SEARCH_PATH_OPTION = "-c search_path=message_store,public"
"""Message DB's functions call each other unqualified, so this search path is required."""

_COLUMNS = "id, stream_name, type, position, global_position, data, metadata, time"
_WRONG_VERSION = re.compile(r"Wrong expected version: (-?\d+) \(Stream: (.*), Stream Version: (-?\d+)\)")
NOTIFY_CHANNEL = "cortex_events"
"""Every write notifies this channel (payload: the category) when it commits, to wake workers."""

# pg_notify is transactional: listeners hear of the write only if it commits. No trigger is
# installed into Message DB's schema: the notification travels with Cortex's own writes.
_WRITE: LiteralString = "SELECT write_message(%s, %s, %s, %s, %s, %s), pg_notify('cortex_events', category(%s))"
# set_config(..., true) is SET LOCAL: it lasts until this statement's implicit transaction commits.
_WRITE_ASYNC_COMMIT: LiteralString = (
    "SELECT write_message(%s, %s, %s, %s, %s, %s), pg_notify('cortex_events', category(%s)), "
    "set_config('synchronous_commit', 'off', true)"
)
_WRITE_IN_BATCH: LiteralString = "SELECT write_message(%s, %s, %s, %s, %s, %s)"


def redact_url(url: str) -> str:
    """Return the URL without its password, for error messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _to_message(row: tuple[Any, ...]) -> Message:
    return Message(
        id=uuid.UUID(row[0]),
        stream_name=row[1],
        type=row[2],
        position=row[3],
        global_position=row[4],
        data=json_value(row[5]) if row[5] is not None else {},
        metadata=json_value(row[6]) if row[6] is not None else {},
        time=row[7].replace(tzinfo=UTC),
    )


def _params(stream_name: str, message: NewMessage, expected_version: int | None) -> tuple[Any, ...]:
    metadata = json_text(message.metadata) if message.metadata else None
    return (str(message.id), stream_name, message.type, json_text(message.data), metadata, expected_version)


class MessageDBEventStore:
    """Event store on PostgreSQL with Message DB installed; open it with `connect`."""

    def __init__(self, pool: AsyncConnectionPool, url: str) -> None:
        self._pool = pool
        self.url = url
        self._listeners: list[psycopg.AsyncConnection] = []

    @classmethod
    async def connect(cls, url: str, *, min_size: int = 1, max_size: int = 10, connect_timeout: float = 10.0) -> Self:
        """Connect, check that Message DB is installed, and open a connection pool.

        Raises:
            StoreUnavailableError: PostgreSQL cannot be reached.
            MessageDBNotInstalledError: the database has no `message_store_version()`.
        """
        database = conninfo_to_dict(url).get("dbname") or "?"
        try:
            async with await psycopg.AsyncConnection.connect(
                url, options=SEARCH_PATH_OPTION, autocommit=True, connect_timeout=max(1, int(connect_timeout))
            ) as conn:
                await conn.execute("SELECT message_store_version()")
        except pg_errors.UndefinedFunction as exc:
            raise MessageDBNotInstalledError(str(database)) from exc
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise StoreUnavailableError(f"cannot connect to PostgreSQL at {redact_url(url)}: {reason}") from exc
        pool: AsyncConnectionPool = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs={"options": SEARCH_PATH_OPTION, "autocommit": True},
            open=False,
        )
        try:
            await pool.open(wait=True, timeout=connect_timeout)
        except PoolTimeout as exc:
            raise StoreUnavailableError(f"cannot open a connection pool to {redact_url(url)}") from exc
        return cls(pool, url)

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
        check_stream(stream_name)
        message = NewMessage(type=type, data=data, metadata=metadata, id=id or uuid.uuid4())
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(
                    _WRITE if durable else _WRITE_ASYNC_COMMIT,
                    (*_params(stream_name, message, expected_version), stream_name),
                )
                row = await cursor.fetchone()
        except psycopg.Error as exc:
            return await self._on_write_error(exc, stream_name, [message])
        assert row is not None
        position: int = row[0]
        return position

    async def write_batch(
        self,
        stream_name: str,
        messages: Sequence[NewMessage],
        *,
        expected_version: int | None = None,
        durable: bool = True,
    ) -> int:
        """Append messages atomically in one pipelined transaction; see `EventStore.write_batch`."""
        check_stream(stream_name)
        if not messages:
            raise ValueError("write_batch needs at least one message")
        # Only the first write checks the version: the category lock is held until commit.
        params = [_params(stream_name, m, expected_version if i == 0 else None) for i, m in enumerate(messages)]
        try:
            async with self._pool.connection() as conn, conn.transaction():
                if not durable:
                    await conn.execute("SET LOCAL synchronous_commit = off")
                async with conn.cursor() as cursor:
                    await cursor.executemany(_WRITE_IN_BATCH, params, returning=True)
                    last = None
                    while True:
                        last = await cursor.fetchone()
                        if not cursor.nextset():
                            break
                await conn.execute("SELECT pg_notify('cortex_events', category(%s))", (stream_name,))
        except psycopg.Error as exc:
            return await self._on_write_error(exc, stream_name, messages)
        assert last is not None
        position: int = last[0]
        return position

    async def _on_write_error(self, exc: psycopg.Error, stream_name: str, messages: Sequence[NewMessage]) -> int:
        """Translate a failed write: a retried write returns its first position; others raise typed errors."""
        if isinstance(exc, pg_errors.RaiseException | pg_errors.UniqueViolation):
            existing = await self._existing_position(stream_name, messages)
            if existing is not None:
                return existing
        if isinstance(exc, pg_errors.RaiseException):
            text = exc.diag.message_primary or str(exc)
            match = _WRONG_VERSION.search(text)
            if match:
                actual = int(match.group(3))
                raise ConcurrencyError(stream_name, int(match.group(1)), None if actual < 0 else actual) from exc
            raise StoreError(f"Message DB refused the write to {stream_name}: {text}") from exc
        if isinstance(exc, psycopg.OperationalError):
            raise StoreUnavailableError(f"lost PostgreSQL while writing to {stream_name}: {exc}") from exc
        raise StoreError(f"cannot write to {stream_name}: {exc}") from exc

    async def _existing_position(self, stream_name: str, messages: Sequence[NewMessage]) -> int | None:
        """Position of a batch already written with the same ids (a retried write), else None."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT id, stream_name, position FROM messages WHERE id = ANY(%s::uuid[])",
                ([str(m.id) for m in messages],),
            )
            rows = await cursor.fetchall()
        stored = {uuid.UUID(str(row[0])): (row[1], row[2]) for row in rows}
        return resolve_retried_write(stream_name, messages, stored)

    async def _select(self, sql: LiteralString, params: tuple[Any, ...]) -> list[Message]:
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(sql, params)
                rows = await cursor.fetchall()
        except psycopg.OperationalError as exc:
            raise StoreUnavailableError(f"lost PostgreSQL while reading: {exc}") from exc
        except psycopg.Error as exc:
            raise StoreError(f"Message DB read failed: {exc}") from exc
        return [_to_message(row) for row in rows]

    async def read_stream(self, stream_name: str, position: int = 0, batch_size: int = 1000) -> list[Message]:
        """Return a batch of one stream; see `EventStore.read_stream`."""
        check_stream(stream_name)
        return await self._select(
            f"SELECT {_COLUMNS} FROM get_stream_messages(%s, %s, %s)", (stream_name, position, batch_size)
        )

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
        return await self._select(
            f"SELECT {_COLUMNS} FROM get_category_messages(%s, %s, %s, %s, %s, %s)",
            (category, max(position, 1), batch_size, correlation, consumer_group_member, consumer_group_size),
        )

    async def stream_version(self, stream_name: str) -> int | None:
        """Return the last position, or None; see `EventStore.stream_version`."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute("SELECT stream_version(%s)", (stream_name,))
            row = await cursor.fetchone()
        version: int | None = row[0] if row else None
        return version

    async def last_message(self, stream_name: str, type: str | None = None) -> Message | None:
        """Return the last message (of `type`); see `EventStore.last_message`."""
        found = await self._select(f"SELECT {_COLUMNS} FROM get_last_stream_message(%s, %s)", (stream_name, type))
        return found[0] if found else None

    async def listen(self) -> Callable[[float], Awaitable[None]]:
        """A wake-up for workers: waits until some write commits, or `at_most_s` seconds pass.

        Uses a dedicated connection (`LISTEN cortex_events`), closed with the store.
        """
        conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        await conn.execute("LISTEN cortex_events")
        self._listeners.append(conn)

        async def wait(at_most_s: float) -> None:
            async for _ in conn.notifies(timeout=at_most_s, stop_after=1):
                pass

        return wait

    async def leases(self) -> AdvisoryLeases:
        """Leases as advisory locks on a dedicated connection (released if this process dies)."""
        conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        self._listeners.append(conn)
        return AdvisoryLeases(conn)

    async def close(self) -> None:
        """Close the pool and any listening connection."""
        for conn in self._listeners:
            await conn.close()
        await self._pool.close()


class AdvisoryLeases:
    """Session-level advisory locks on one connection: one holder per key across every process.

    Keys are hashed with PostgreSQL's `hashtextextended` into the 64-bit lock space; the connection
    is shared by all the leases of one worker, so statements on it are serialized.
    """

    def __init__(self, conn: psycopg.AsyncConnection) -> None:
        self._conn = conn
        self._lock = anyio.Lock()

    async def _ask(self, sql: LiteralString, key: str) -> bool:
        async with self._lock:
            row = await (await self._conn.execute(sql, (f"cortex:{key}",))).fetchone()
        return bool(row and row[0])

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[bool]:
        """Hold `key` unless a worker anywhere does."""
        held = await self._ask("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", key)
        try:
            yield held
        finally:
            if held and not self._conn.closed:
                with anyio.CancelScope(shield=True):
                    await self._ask("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", key)

    async def close(self) -> None:
        """Drop every lease by closing the connection."""
        await self._conn.close()
