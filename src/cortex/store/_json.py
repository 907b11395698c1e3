"""JSON text for stored `data` and `metadata`, written and read the same way by every adapter.

pydantic-core's encoder: every event write serializes two objects, and it does so about four
times faster than `json.dumps`. Values pydantic knows (datetimes, UUIDs) become their JSON
strings, as they do in event payloads; anything else is a `TypeError`, as with `json.dumps`.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticSerializationError, from_json, to_json

__all__ = ["json_text", "json_value"]


def json_text(value: Any) -> str:
    """Compact JSON text of `value`."""
    try:
        return to_json(value).decode()
    except PydanticSerializationError as exc:
        raise TypeError(f"cannot store a value that is not JSON: {exc}") from exc


def json_value(text: str | bytes) -> Any:
    """The value of JSON text read back from a store."""
    return from_json(text)
