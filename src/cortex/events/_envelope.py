"""The message envelope, shaped like a row of Message DB's `messages` table."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

__all__ = ["JsonObject", "Message", "Metadata", "NewMessage"]

JsonObject = dict[str, Any]


class Metadata(TypedDict, total=False):
    """Known metadata keys, camelCase because Message DB and Eventide read these exact names."""

    correlationStreamName: str
    causationMessageStreamName: str
    causationMessagePosition: int
    causationMessageGlobalPosition: int
    replyStreamName: str
    schemaVersion: int
    traceId: str
    causationId: str
    source: str
    workspaceId: str
    userId: str
    agent: str
    forkedFrom: str


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message about to be written; its id is fixed here so a retried write is recognised."""

    type: str
    """PascalCase event type, e.g. `UserMessageAdded`."""
    data: JsonObject
    metadata: JsonObject | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True, slots=True)
class Message:
    """A message as stored, with the positions the store assigned."""

    id: uuid.UUID
    stream_name: str
    type: str
    position: int
    """0-based, gapless position in its stream."""
    global_position: int
    """Position in the whole store, increasing but not necessarily gapless."""
    time: datetime
    """When it was written, timezone-aware UTC."""
    data: JsonObject
    metadata: JsonObject
