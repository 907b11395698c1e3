"""What projections fold over: a decoded event with its place in the stream."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from cortex.events import Event, Message, decode_event

__all__ = ["AppendOnly", "Recorded", "record"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event as a projection sees it: typed payload, position and time, nothing else."""

    position: int
    time: datetime
    event: Event


def record(message: Message) -> Recorded:
    """Decode a stored message for folding."""
    return Recorded(position=message.position, time=message.time, event=decode_event(message))


class AppendOnly(Generic[T]):
    """An immutable sequence with O(1) amortised append, so folds stay pure *and* cheap.

    Each value is a view `(shared list, length)`. Appending to the newest view extends the shared
    list in place; appending to an older view (a state someone kept and continued differently)
    copies first. Either way no existing view ever changes.
    """

    __slots__ = ("_items", "_length")

    def __init__(self, items: list[T] | None = None, length: int | None = None) -> None:
        self._items: list[T] = items if items is not None else []
        self._length = len(self._items) if length is None else length

    def append(self, item: T) -> AppendOnly[T]:
        """Return a new view with `item` added."""
        if len(self._items) == self._length:
            self._items.append(item)
            return AppendOnly(self._items, self._length + 1)
        return AppendOnly([*self._items[: self._length], item])

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[T]:
        items = self._items
        for index in range(self._length):
            yield items[index]

    def __getitem__(self, index: int) -> T:
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        return self._items[index]

    def tail(self, count: int) -> list[T]:
        """The last `count` items, without copying the rest."""
        return self._items[max(0, self._length - count) : self._length]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AppendOnly) and list(self) == list(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"AppendOnly({list(self)!r})"
