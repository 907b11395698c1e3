"""The `EventStore` port every adapter implements, and the argument checks they share.

The contract is Message DB's: 0-based gapless positions per stream, a store-wide increasing
global position, optimistic concurrency through `expected_version` (`-1`: the stream must not
exist), category reads with consumer groups and a correlation filter. Each adapter's behaviour is
pinned by one contract test suite (`tests/store/test_contract.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from cortex.events import JsonObject, Message, NewMessage, is_category
from cortex.exceptions import InvalidStreamNameError

__all__ = ["EventStore", "check_category_read", "check_stream", "iter_category", "iter_stream"]


@runtime_checkable
class EventStore(Protocol):
    """Append-only message store with Message DB's semantics."""

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
        """Append one message and return its position.

        Args:
            stream_name: a stream (`category-id`); never a bare category.
            type: the event type name.
            data: JSON object payload.
            metadata: JSON object metadata (camelCase keys, see `cortex.events.Metadata`).
            expected_version: the stream's current version (`-1`: must not exist yet); a mismatch
                raises `ConcurrencyError`. None skips the check.
            id: the message id (UUID); writing the same id to the same stream again returns the
                first write's position instead of writing twice.
            durable: False commits without waiting for the disk (`synchronous_commit = off` on
                PostgreSQL, `synchronous=NORMAL` on SQLite): for events that can be re-derived
                after a crash. Events guarding a side effect must stay durable.
        """
        ...

    async def write_batch(
        self,
        stream_name: str,
        messages: Sequence[NewMessage],
        *,
        expected_version: int | None = None,
        durable: bool = True,
    ) -> int:
        """Append several messages atomically (all or none) and return the last position."""
        ...

    async def read_stream(self, stream_name: str, position: int = 0, batch_size: int = 1000) -> list[Message]:
        """Return up to `batch_size` messages of one stream from `position` on."""
        ...

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
        """Return up to `batch_size` messages of a category from global `position` on.

        `consumer_group_member`/`size` keep only streams whose cardinal id hashes to the member;
        `correlation` (a category) keeps only messages whose `correlationStreamName` is in it.
        """
        ...

    async def stream_version(self, stream_name: str) -> int | None:
        """Return the position of the stream's last message, or None if it has none."""
        ...

    async def last_message(self, stream_name: str, type: str | None = None) -> Message | None:
        """Return the stream's last message (of `type`, if given), or None."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def check_stream(stream_name: str) -> None:
    """Refuse bare categories where a stream is required: a message there reaches no consumer group."""
    if not stream_name:
        raise InvalidStreamNameError(stream_name, "the stream name is empty")
    if is_category(stream_name):
        raise InvalidStreamNameError(stream_name, "must be a stream name (category-id), not a category")


def check_category_read(
    category: str,
    consumer_group_member: int | None,
    consumer_group_size: int | None,
    correlation: str | None,
) -> None:
    """Validate category-read arguments with Message DB's rules, so every adapter fails alike."""
    if not is_category(category):
        raise InvalidStreamNameError(category, "must be a category (no '-')")
    if correlation is not None and not is_category(correlation):
        raise InvalidStreamNameError(correlation, "a correlation must be a category (no '-')")
    if (consumer_group_member is None) != (consumer_group_size is None):
        raise ValueError("consumer group member and size must be given together")
    if consumer_group_member is not None and consumer_group_size is not None:
        if consumer_group_size < 1:
            raise ValueError(f"consumer group size must be at least 1, got {consumer_group_size}")
        if not 0 <= consumer_group_member < consumer_group_size:
            raise ValueError(
                f"consumer group member must be in 0..{consumer_group_size - 1}, got {consumer_group_member}"
            )


async def iter_stream(
    store: EventStore, stream_name: str, position: int = 0, batch_size: int = 1000
) -> AsyncIterator[Message]:
    """Yield every message of a stream from `position` on, reading batch by batch."""
    while True:
        batch = await store.read_stream(stream_name, position, batch_size)
        for message in batch:
            yield message
        if len(batch) < batch_size:
            return
        position = batch[-1].position + 1


async def iter_category(
    store: EventStore,
    category: str,
    position: int = 0,
    batch_size: int = 1000,
    *,
    consumer_group_member: int | None = None,
    consumer_group_size: int | None = None,
    correlation: str | None = None,
) -> AsyncIterator[Message]:
    """Yield every message of a category from global `position` on, reading batch by batch."""
    while True:
        batch = await store.read_category(
            category,
            position,
            batch_size,
            consumer_group_member=consumer_group_member,
            consumer_group_size=consumer_group_size,
            correlation=correlation,
        )
        for message in batch:
            yield message
        if len(batch) < batch_size:
            return
        position = batch[-1].global_position + 1
