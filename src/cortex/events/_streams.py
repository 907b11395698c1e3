"""Stream names with Message DB's exact rules.

A stream name is `category-id`. The category may carry a type after a colon (`agent:v0`), and the
id may be compound (`a+b`): its first part is the *cardinal* id, which consumer groups hash.
These functions mirror Message DB's SQL functions `category`, `id`, `cardinal_id` and
`is_category` so that Python and the database always agree on where a message belongs.
"""

from __future__ import annotations

from dataclasses import dataclass

from cortex.exceptions import InvalidStreamNameError

__all__ = [
    "StreamName",
    "build_stream_name",
    "cardinal_id",
    "category",
    "is_category",
    "parse_stream_name",
    "stream_id",
]


@dataclass(frozen=True, slots=True)
class StreamName:
    """The parts of a versioned stream name such as `agent:v0-<thread_id>`."""

    category: str
    """The entity category without its version, e.g. `agent`."""
    version: str
    """The schema version carried after the colon, e.g. `v0`."""
    id: str
    """Everything after the first `-`; may itself contain `-` and `+`."""

    def __str__(self) -> str:
        return build_stream_name(self.category, self.version, self.id)


def _has_space_or_control(value: str) -> bool:
    return any(ch.isspace() or not ch.isprintable() for ch in value)


def build_stream_name(category: str, version: str, thread_id: str) -> str:
    """Return `category:version-thread_id`, refusing names that would not parse back the same.

    Raises:
        InvalidStreamNameError: a part is empty, the category holds `-`, the version holds `-`
            or `:`, or any part holds white space or control characters.
    """
    shown = f"{category}:{version}-{thread_id}"
    if not category:
        raise InvalidStreamNameError(shown, "the category is empty")
    if "-" in category:
        raise InvalidStreamNameError(shown, "a category must not contain '-'")
    if not version:
        raise InvalidStreamNameError(shown, "the version is empty")
    if "-" in version or ":" in version:
        raise InvalidStreamNameError(shown, "a version must not contain '-' or ':'")
    if not thread_id:
        raise InvalidStreamNameError(shown, "the id is empty")
    for part in (category, version, thread_id):
        if _has_space_or_control(part):
            raise InvalidStreamNameError(shown, "stream names must not contain white space or control characters")
    return shown


def parse_stream_name(stream_name: str) -> StreamName:
    """Split `category:version-id` into its parts; the inverse of `build_stream_name`.

    Raises:
        InvalidStreamNameError: the name is a bare category (no `-`), has no version, or would
            not be built back to the same string.
    """
    head, sep, ident = stream_name.partition("-")
    if not sep:
        raise InvalidStreamNameError(stream_name, "it is a category, not a stream (no '-' before the id)")
    base, colon, version = head.rpartition(":")
    if not colon:
        raise InvalidStreamNameError(stream_name, "the category has no ':<version>' part")
    parsed = StreamName(category=base, version=version, id=ident)
    build_stream_name(parsed.category, parsed.version, parsed.id)  # validates every part
    return parsed


def category(stream_name: str) -> str:
    """Return the category: everything before the first `-` (Message DB's `category()`)."""
    return stream_name.partition("-")[0]


def stream_id(stream_name: str) -> str | None:
    """Return the id: everything after the first `-`, or None for a category (Message DB's `id()`)."""
    _, sep, ident = stream_name.partition("-")
    return ident if sep else None


def cardinal_id(stream_name: str) -> str | None:
    """Return the id's first `+`-separated part, which consumer groups hash (Message DB's `cardinal_id()`)."""
    ident = stream_id(stream_name)
    return None if ident is None else ident.partition("+")[0]


def is_category(stream_name: str) -> bool:
    """Return True when the name has no id part (Message DB's `is_category()`)."""
    return "-" not in stream_name
