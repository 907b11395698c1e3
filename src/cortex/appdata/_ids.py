"""Identifiers and clock of app records."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

__all__ = ["new_id", "utcnow"]


def new_id() -> str:
    """A random 32-hex-digit id."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
