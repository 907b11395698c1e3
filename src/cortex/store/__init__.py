"""Event stores: the `EventStore` port and its adapters (DESIGN.md §4).

Adapters are imported lazily so that `import cortex.store` never needs psycopg.
"""

from typing import TYPE_CHECKING, Any

from cortex.store._factory import open_store, sqlite_path
from cortex.store._groups import consumer_group_member_of, hash_64
from cortex.store._port import EventStore, iter_category, iter_stream

if TYPE_CHECKING:
    from cortex.store.memory import MemoryEventStore
    from cortex.store.messagedb import MessageDBEventStore
    from cortex.store.sqlite import SQLiteEventStore

__all__ = [
    "EventStore",
    "MemoryEventStore",
    "MessageDBEventStore",
    "SQLiteEventStore",
    "consumer_group_member_of",
    "hash_64",
    "iter_category",
    "iter_stream",
    "open_store",
    "sqlite_path",
]

_LAZY = {
    "MemoryEventStore": "cortex.store.memory",
    "MessageDBEventStore": "cortex.store.messagedb",
    "SQLiteEventStore": "cortex.store.sqlite",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cortex.store' has no attribute {name!r}")
