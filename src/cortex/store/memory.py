"""In-memory event store: the contract without I/O, for unit tests of the engine."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from cortex.events import JsonObject, Message, NewMessage
from cortex.events import category as category_of
from cortex.exceptions import ConcurrencyError
from cortex.store._groups import consumer_group_member_of
from cortex.store._idempotency import resolve_retried_write
from cortex.store._json import json_text, json_value
from cortex.store._port import check_category_read, check_stream

__all__ = ["MemoryEventStore"]


class MemoryEventStore:
    """Keeps messages in lists; same semantics as the SQLite and Message DB adapters."""

    def __init__(self) -> None:
        self._all: list[Message] = []
        self._streams: dict[str, list[Message]] = {}
        self._by_id: dict[uuid.UUID, Message] = {}

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
        return await self.write_batch(stream_name, [message], expected_version=expected_version, durable=durable)

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
        already = self._already_written(stream_name, messages)
        if already is not None:
            return already
        stream = self._streams.setdefault(stream_name, [])
        version = len(stream) - 1
        if expected_version is not None and expected_version != version:
            raise ConcurrencyError(stream_name, expected_version, None if version < 0 else version)
        now = datetime.now(UTC)
        for new in messages:
            # A JSON round trip gives the same copy-on-write semantics (and type coercions) as a database.
            message = Message(
                id=new.id,
                stream_name=stream_name,
                type=new.type,
                position=len(stream),
                global_position=len(self._all) + 1,
                time=now,
                data=json_value(json_text(new.data)),
                metadata=json_value(json_text(new.metadata or {})),
            )
            stream.append(message)
            self._all.append(message)
            self._by_id[message.id] = message
        return len(stream) - 1

    def _already_written(self, stream_name: str, messages: Sequence[NewMessage]) -> int | None:
        stored = {m.id: (found.stream_name, found.position) for m in messages if (found := self._by_id.get(m.id))}
        return resolve_retried_write(stream_name, messages, stored) if stored else None

    async def read_stream(self, stream_name: str, position: int = 0, batch_size: int = 1000) -> list[Message]:
        """Return a batch of one stream; see `EventStore.read_stream`."""
        check_stream(stream_name)
        stream = self._streams.get(stream_name, [])
        end = None if batch_size == -1 else max(position, 0) + batch_size
        return [copy.deepcopy(m) for m in stream[max(position, 0) : end]]

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
        found: list[Message] = []
        for message in self._all[max(position - 1, 0) :]:
            if category_of(message.stream_name) != category:
                continue
            if correlation is not None:
                correlated = message.metadata.get("correlationStreamName")
                if not isinstance(correlated, str) or category_of(correlated) != correlation:
                    continue
            if consumer_group_size is not None and (
                consumer_group_member_of(message.stream_name, consumer_group_size) != consumer_group_member
            ):
                continue
            found.append(copy.deepcopy(message))
            if len(found) == batch_size:
                break
        return found

    async def stream_version(self, stream_name: str) -> int | None:
        """Return the last position, or None; see `EventStore.stream_version`."""
        stream = self._streams.get(stream_name)
        return len(stream) - 1 if stream else None

    async def last_message(self, stream_name: str, type: str | None = None) -> Message | None:
        """Return the last message (of `type`); see `EventStore.last_message`."""
        for message in reversed(self._streams.get(stream_name, [])):
            if type is None or message.type == type:
                return copy.deepcopy(message)
        return None

    async def close(self) -> None:
        """Nothing to release."""
