"""Message DB's consumer-group rule, in Python, for the adapters that emulate it.

Message DB keeps a message for member `m` of a group of `n` when
`MOD(@hash_64(cardinal_id(stream_name)), n) = m`, where `hash_64` reads the first 8 bytes of the
md5 hex digest as a *signed* 64-bit integer. Reproducing it bit for bit means a stream lands on the
same worker whichever store backs the run.
"""

from __future__ import annotations

import hashlib

from cortex.events import cardinal_id

__all__ = ["consumer_group_member_of", "hash_64"]


def hash_64(value: str) -> int:
    """Message DB's `hash_64`: md5 → first 16 hex digits → signed bigint."""
    unsigned = int(hashlib.md5(value.encode("utf-8")).hexdigest()[:16], 16)
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def consumer_group_member_of(stream_name: str, group_size: int) -> int:
    """Return which member of a group of `group_size` receives the stream's messages."""
    ident = cardinal_id(stream_name)
    if ident is None:
        raise ValueError(f"{stream_name!r} is a category: it belongs to no consumer group member")
    return abs(hash_64(ident)) % group_size
