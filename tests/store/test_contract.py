"""The EventStore contract, run against every adapter (memory, sqlite, messagedb)."""

from __future__ import annotations

import uuid

import anyio
import pytest

from cortex.events import NewMessage, build_stream_name
from cortex.exceptions import ConcurrencyError, DuplicateMessageIdError, InvalidStreamNameError
from cortex.store import EventStore, consumer_group_member_of, iter_category, iter_stream
from tests.conftest import StoreFactory

pytestmark = pytest.mark.anyio


def stream(category: str, ident: str | None = None) -> str:
    base, version = category.split(":")
    return build_stream_name(base, version, ident or uuid.uuid4().hex)


async def test_positions_are_gapless_and_zero_based(store: EventStore, category: str) -> None:
    name = stream(category)
    positions = [await store.write(name, "Counted", {"n": n}) for n in range(5)]
    assert positions == [0, 1, 2, 3, 4]
    messages = await store.read_stream(name)
    assert [m.position for m in messages] == [0, 1, 2, 3, 4]
    assert [m.data["n"] for m in messages] == [0, 1, 2, 3, 4]
    assert all(m.stream_name == name and m.type == "Counted" for m in messages)
    assert await store.stream_version(name) == 4


async def test_global_positions_increase_across_streams(store: EventStore, category: str) -> None:
    a, b = stream(category), stream(category)
    for n in range(3):
        await store.write(a, "A", {"n": n})
        await store.write(b, "B", {"n": n})
    messages = await store.read_category(category)
    globals_ = [m.global_position for m in messages]
    assert globals_ == sorted(globals_) and len(set(globals_)) == 6
    assert [m.stream_name for m in messages] == [a, b] * 3


async def test_read_stream_from_position_and_batch(store: EventStore, category: str) -> None:
    name = stream(category)
    await store.write_batch(name, [NewMessage("N", {"n": n}) for n in range(7)])
    assert [m.position for m in await store.read_stream(name, 2, 3)] == [2, 3, 4]
    assert [m.position async for m in iter_stream(store, name, batch_size=2)] == list(range(7))
    assert await store.read_stream(stream(category)) == []


async def test_expected_version_match_mismatch_and_new_stream(store: EventStore, category: str) -> None:
    name = stream(category)
    assert await store.stream_version(name) is None
    assert await store.write(name, "First", {}, expected_version=-1) == 0
    with pytest.raises(ConcurrencyError) as raised:
        await store.write(name, "Again", {}, expected_version=-1)
    assert raised.value.stream_name == name
    assert (raised.value.expected_version, raised.value.actual_version) == (-1, 0)
    assert str(raised.value) == f"Wrong expected version: -1 (Stream: {name}, Stream Version: 0)"
    assert await store.write(name, "Second", {}, expected_version=0) == 1
    with pytest.raises(ConcurrencyError, match=r"Wrong expected version: 5 \(Stream: .*, Stream Version: 1\)"):
        await store.write(name, "Stale", {}, expected_version=5)
    with pytest.raises(ConcurrencyError) as on_missing:
        await store.write(stream(category), "X", {}, expected_version=0)
    assert on_missing.value.actual_version is None
    assert [m.type for m in await store.read_stream(name)] == ["First", "Second"]


async def test_twenty_concurrent_writers_exactly_one_wins(store_factory: StoreFactory, category: str) -> None:
    first = await store_factory()
    name = stream(category)
    await first.write(name, "Seed", {}, expected_version=-1)
    writers = [first] + [await store_factory() for _ in range(19)]
    outcomes: list[str] = []

    async def race(index: int, writer: EventStore) -> None:
        batch = [NewMessage("Raced", {"writer": index, "part": part}) for part in range(3)]
        try:
            await writer.write_batch(name, batch, expected_version=0)
            outcomes.append(f"won:{index}")
        except ConcurrencyError:
            outcomes.append("lost")

    async with anyio.create_task_group() as group:
        for index, writer in enumerate(writers):
            group.start_soon(race, index, writer)

    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1 and outcomes.count("lost") == 19
    messages = await first.read_stream(name)
    assert [m.position for m in messages] == [0, 1, 2, 3]
    winner = int(winners[0].split(":")[1])
    assert [m.data for m in messages[1:]] == [{"writer": winner, "part": p} for p in range(3)]


async def test_write_batch_is_atomic(store: EventStore, category: str) -> None:
    name = stream(category)
    last = await store.write_batch(name, [NewMessage("B", {"n": n}) for n in range(3)], expected_version=-1)
    assert last == 2
    with pytest.raises(ConcurrencyError):
        await store.write_batch(name, [NewMessage("B", {"n": n}) for n in range(3)], expected_version=0)
    # A failure in the middle of a batch (an id already used elsewhere) leaves nothing behind.
    other = stream(category)
    taken = uuid.uuid4()
    await store.write(other, "Taken", {}, id=taken)
    batch = [NewMessage("C", {"n": 0}), NewMessage("C", {"n": 1}, id=taken), NewMessage("C", {"n": 2})]
    with pytest.raises(DuplicateMessageIdError) as raised:
        await store.write_batch(name, batch)
    assert raised.value.existing_stream_name == other
    assert [m.data["n"] for m in await store.read_stream(name)] == [0, 1, 2]
    assert await store.stream_version(name) == 2


async def test_rewriting_the_same_message_id_is_idempotent(store: EventStore, category: str) -> None:
    name = stream(category)
    message_id = uuid.uuid4()
    assert await store.write(name, "Once", {"v": 1}, id=message_id) == 0
    assert await store.write(name, "Once", {"v": 1}, id=message_id) == 0
    # A retry that carries the expected version it was first written with is still recognised.
    second = uuid.uuid4()
    assert await store.write(name, "Twice", {}, id=second, expected_version=0) == 1
    assert await store.write(name, "Twice", {}, id=second, expected_version=0) == 1
    batch = [NewMessage("Batch", {"n": n}) for n in range(3)]
    assert await store.write_batch(name, batch, expected_version=1) == 4
    assert await store.write_batch(name, batch, expected_version=1) == 4
    assert [m.type for m in await store.read_stream(name)] == ["Once", "Twice", "Batch", "Batch", "Batch"]
    with pytest.raises(DuplicateMessageIdError):
        await store.write(stream(category), "Elsewhere", {}, id=message_id)


async def test_read_category_order_batches_and_other_categories(store: EventStore, category: str) -> None:
    streams = [stream(category) for _ in range(3)]
    for n in range(4):
        for name in streams:
            await store.write(name, "E", {"n": n, "s": name})
    elsewhere = f"x{uuid.uuid4().hex[:10]}"
    await store.write(f"{elsewhere}-1", "Other", {})
    # A category whose name is a prefix of ours must not leak in.
    await store.write(f"{category.split(':')[0]}-1", "Prefix", {})
    everything = await store.read_category(category)
    assert len(everything) == 12
    assert [(m.data["s"], m.data["n"]) for m in everything] == [(s, n) for n in range(4) for s in streams]
    paged = [m.global_position async for m in iter_category(store, category, batch_size=5)]
    assert paged == [m.global_position for m in everything]
    first_batch = await store.read_category(category, batch_size=5)
    assert len(first_batch) == 5
    rest = await store.read_category(category, first_batch[-1].global_position + 1)
    assert [m.global_position for m in first_batch + rest] == paged


async def test_correlation_filter(store: EventStore, category: str) -> None:
    parent = f"p{uuid.uuid4().hex[:10]}:v0"
    correlated = stream(category)
    plain = stream(category)
    await store.write(correlated, "Child", {"n": 1}, {"correlationStreamName": f"{parent}-123"})
    await store.write(plain, "Loner", {"n": 2})
    await store.write(plain, "Other", {"n": 3}, {"correlationStreamName": "elsewhere-1"})
    await store.write(correlated, "Child", {"n": 4}, {"correlationStreamName": f"{parent}-456"})
    found = await store.read_category(category, correlation=parent)
    assert [m.data["n"] for m in found] == [1, 4]
    with pytest.raises(InvalidStreamNameError):
        await store.read_category(category, correlation=f"{parent}-123")


@pytest.mark.parametrize("size", [2, 3, 5])
async def test_consumer_groups_partition_streams(store: EventStore, category: str, size: int) -> None:
    # Compound ids (`a+b`) must be grouped by their cardinal id, like Message DB does.
    names = [stream(category, f"{n}" if n % 3 else f"{n}+extra") for n in range(30)]
    for name in names:
        await store.write(name, "E", {"s": name})
        await store.write(name, "E", {"s": name})
    seen: dict[str, int] = {}
    for member in range(size):
        batch = await store.read_category(category, consumer_group_member=member, consumer_group_size=size)
        for message in batch:
            assert seen.setdefault(message.stream_name, member) == member, "a stream reached two members"
    assert set(seen) == set(names), "every stream reaches exactly one member"
    assert seen == {name: consumer_group_member_of(name, size) for name in names}
    assert len(set(seen.values())) > 1, "streams spread over more than one member"


async def test_consumer_group_arguments_are_validated(store: EventStore, category: str) -> None:
    with pytest.raises(ValueError, match="together"):
        await store.read_category(category, consumer_group_member=0)
    with pytest.raises(ValueError, match="must be in 0..1"):
        await store.read_category(category, consumer_group_member=2, consumer_group_size=2)
    with pytest.raises(ValueError, match="at least 1"):
        await store.read_category(category, consumer_group_member=0, consumer_group_size=0)
    with pytest.raises(InvalidStreamNameError):
        await store.read_category(stream(category))


async def test_streams_only_never_bare_categories(store: EventStore, category: str) -> None:
    with pytest.raises(InvalidStreamNameError, match="not a category"):
        await store.write(category, "Nowhere", {})
    with pytest.raises(InvalidStreamNameError):
        await store.read_stream(category)


async def test_unicode_and_a_one_megabyte_payload(store: EventStore, category: str) -> None:
    name = stream(category)
    text = 'héllo wörld — 你好, мир 🎉 \u2028 "quoted" \\ back'
    big = "x" * (1024 * 1024)
    await store.write(name, "Unicode", {"text": text, "nested": {"ключ": ["ü", 1, 2.5, None, True]}})
    await store.write(name, "Big", {"blob": big}, {"traceId": "t-1"})
    unicode_message, big_message = await store.read_stream(name)
    assert unicode_message.data == {"text": text, "nested": {"ключ": ["ü", 1, 2.5, None, True]}}
    assert big_message.data["blob"] == big
    assert big_message.metadata == {"traceId": "t-1"}


async def test_unknown_event_type_round_trips_intact(store: EventStore, category: str) -> None:
    name = stream(category)
    message_id = uuid.uuid4()
    data = {"whatever": {"deep": [1, {"x": "y"}]}, "n": 42}
    metadata = {"schemaVersion": 7, "somethingNew": True, "correlationStreamName": "a:v0-1"}
    await store.write(name, "FromTheFuture", data, metadata, id=message_id)
    (message,) = await store.read_stream(name)
    assert (message.id, message.type, message.data, message.metadata) == (message_id, "FromTheFuture", data, metadata)
    assert message.time.tzinfo is not None and message.time.utcoffset() is not None


async def test_last_message_and_type_filter(store: EventStore, category: str) -> None:
    name = stream(category)
    assert await store.last_message(name) is None
    await store.write(name, "A", {"n": 0})
    await store.write(name, "B", {"n": 1})
    await store.write(name, "A", {"n": 2})
    last = await store.last_message(name)
    assert last is not None and (last.type, last.position) == ("A", 2)
    last_b = await store.last_message(name, "B")
    assert last_b is not None and last_b.data == {"n": 1}
    assert await store.last_message(name, "Missing") is None


async def test_non_durable_writes_are_ordinary_messages(store: EventStore, category: str) -> None:
    name = stream(category)
    await store.write(name, "Sync", {}, durable=True)
    await store.write(name, "Async", {}, durable=False)
    await store.write_batch(name, [NewMessage("AsyncBatch", {}), NewMessage("AsyncBatch", {})], durable=False)
    await store.write(name, "SyncAgain", {}, expected_version=3)
    assert [m.type for m in await store.read_stream(name)] == ["Sync", "Async", "AsyncBatch", "AsyncBatch", "SyncAgain"]


async def test_empty_batch_is_refused(store: EventStore, category: str) -> None:
    with pytest.raises(ValueError, match="at least one"):
        await store.write_batch(stream(category), [])
