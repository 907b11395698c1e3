"""Deciding whether a write is a retry of one already stored: one rule for every adapter."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from cortex.events import NewMessage
from cortex.exceptions import DuplicateMessageIdError

__all__ = ["resolve_retried_write"]


def resolve_retried_write(
    stream_name: str,
    messages: Sequence[NewMessage],
    stored: Mapping[uuid.UUID, tuple[str, int]],
) -> int | None:
    """Return the last position of a batch that is already stored, or None if it is new.

    Args:
        stream_name: where the batch is being written.
        messages: the batch.
        stored: for each id of the batch that already exists, its `(stream_name, position)`.

    A batch is "already written" when its first message is stored in the same stream: batches are
    atomic, so then all of it is. Any other reuse of an id is a `DuplicateMessageIdError`.
    """
    first = stored.get(messages[0].id)
    if first is not None and first[0] == stream_name:
        return max(position for name, position in stored.values() if name == stream_name)
    for message in messages:
        found = stored.get(message.id)
        if found is not None:
            raise DuplicateMessageIdError(str(message.id), stream_name, found[0])
    return None
