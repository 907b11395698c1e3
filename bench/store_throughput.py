"""Event store write throughput: Cortex's adapters beside a raw baseline measured in the same run.

For each backend and mode it prints events/s through Cortex, events/s through the raw baseline, and
the ratio (target: every ratio >= 0.7).

- sqlite raw baseline: plain `INSERT`s into an identical table (same DDL, same pragmas) in its own
  file, one transaction per event (or per batch).
- messagedb raw baseline: `message_store.write_message` called directly through a psycopg async
  connection, one autocommit statement per event (or one pipelined transaction per batch).

Modes: `durable` (one event per transaction, waits for fsync), `async-commit` (one event per
transaction, `synchronous=NORMAL` / `synchronous_commit=off`), `batched` (100 events per
transaction, durable). Rounds alternate Cortex and raw, and the best round of each is kept.

    uv run python bench/store_throughput.py [--quick] [--only sqlite|messagedb]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import anyio
import psycopg

from cortex.events import NewMessage
from cortex.store import EventStore
from cortex.store.messagedb import SEARCH_PATH_OPTION, MessageDBEventStore
from cortex.store.sqlite import SQLiteEventStore, messages_table_ddl

DATABASE_URL = os.environ.get("CORTEX_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/cortex_test")
BATCH = 100
DATA = {"message": "What is 12*7? Use the calculator.", "attachments": None}
METADATA = {"correlationStreamName": "bench:v0-1", "schemaVersion": 1}

Runner = Callable[[int], Awaitable[None]]


async def best_rate(run: Runner, events: int, rounds: int) -> float:
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        await run(events)
        best = max(best, events / (time.perf_counter() - start))
    return best


async def compare(cortex_run: Runner, raw_run: Runner, events: int, rounds: int) -> tuple[float, float]:
    cortex_best = raw_best = 0.0
    await cortex_run(min(events, 20))  # warm up: connections, prepared statements, page cache
    await raw_run(min(events, 20))
    for _ in range(rounds):
        cortex_best = max(cortex_best, await best_rate(cortex_run, events, 1))
        raw_best = max(raw_best, await best_rate(raw_run, events, 1))
    return cortex_best, raw_best


def cortex_runners(store: EventStore) -> tuple[Callable[[bool], Runner], Runner]:
    """Writes through Cortex: one event per transaction (durable or not), or batches of BATCH."""

    def cortex_single(durable: bool) -> Runner:
        async def run(events: int) -> None:
            stream = f"bench:v0-{uuid.uuid4().hex}"
            for _ in range(events):
                await store.write(stream, "UserMessageAdded", DATA, METADATA, durable=durable)

        return run

    async def cortex_batched(events: int) -> None:
        stream = f"bench:v0-{uuid.uuid4().hex}"
        for _ in range(0, events, BATCH):
            await store.write_batch(stream, [NewMessage("UserMessageAdded", DATA, METADATA) for _ in range(BATCH)])

    return cortex_single, cortex_batched


def sqlite_runners(directory: Path) -> dict[str, tuple[Runner, Runner, int]]:
    store = SQLiteEventStore(directory / "cortex.db")
    raw = sqlite3.connect(directory / "raw.db", isolation_level=None, check_same_thread=False)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.executescript(messages_table_ddl("messages"))
    positions: dict[str, int] = {}

    # The baseline does the work any writer of these events must do (serialize, pick an id and a
    # time, insert, commit) and nothing more: positions come from a Python counter, not a query.
    def raw_insert(rows: int, synchronous: str) -> None:
        raw.execute(f"PRAGMA synchronous = {synchronous}")
        stream = f"bench:v0-{uuid.uuid4().hex}"
        for _ in range(rows):
            position = positions.get(stream, -1) + 1
            positions[stream] = position
            raw.execute("BEGIN IMMEDIATE")
            raw.execute(
                "INSERT INTO messages (position, time, stream_name, type, data, metadata, id) VALUES (?,?,?,?,?,?,?)",
                (
                    position,
                    datetime.now(UTC).isoformat(),
                    stream,
                    "UserMessageAdded",
                    json.dumps(DATA),
                    json.dumps(METADATA),
                    str(uuid.uuid4()),
                ),
            )
            raw.execute("COMMIT")

    def raw_batches(events: int) -> None:
        raw.execute("PRAGMA synchronous = FULL")
        stream = f"bench:v0-{uuid.uuid4().hex}"
        for start in range(0, events, BATCH):
            now = datetime.now(UTC).isoformat()
            raw.execute("BEGIN IMMEDIATE")
            raw.executemany(
                "INSERT INTO messages (position, time, stream_name, type, data, metadata, id) VALUES (?,?,?,?,?,?,?)",
                [
                    (
                        start + i,
                        now,
                        stream,
                        "UserMessageAdded",
                        json.dumps(DATA),
                        json.dumps(METADATA),
                        str(uuid.uuid4()),
                    )
                    for i in range(BATCH)
                ],
            )
            raw.execute("COMMIT")

    async def raw_durable(events: int) -> None:
        raw_insert(events, "FULL")

    async def raw_async(events: int) -> None:
        raw_insert(events, "NORMAL")

    async def raw_batched(events: int) -> None:
        raw_batches(events)

    cortex_single, cortex_batched = cortex_runners(store)

    return {
        "durable": (cortex_single(True), raw_durable, 300),
        "async-commit": (cortex_single(False), raw_async, 5000),
        "batched": (cortex_batched, raw_batched, 5000),
    }


async def messagedb_runners() -> dict[str, tuple[Runner, Runner, int]]:
    store = await MessageDBEventStore.connect(DATABASE_URL, min_size=1, max_size=1)
    raw = await psycopg.AsyncConnection.connect(DATABASE_URL, options=SEARCH_PATH_OPTION, autocommit=True)
    raw_async_conn = await psycopg.AsyncConnection.connect(
        DATABASE_URL, options=SEARCH_PATH_OPTION + " -c synchronous_commit=off", autocommit=True
    )
    sql = "SELECT message_store.write_message(%s, %s, %s, %s, %s, %s)"

    def row(stream: str) -> tuple[str, str, str, str, str, None]:
        return (str(uuid.uuid4()), stream, "UserMessageAdded", json.dumps(DATA), json.dumps(METADATA), None)

    def raw_single(conn: psycopg.AsyncConnection) -> Runner:
        async def run(events: int) -> None:
            stream = f"bench:v0-{uuid.uuid4().hex}"
            for _ in range(events):
                await conn.execute(sql, row(stream))

        return run

    async def raw_batched(events: int) -> None:
        stream = f"bench:v0-{uuid.uuid4().hex}"
        for _ in range(0, events, BATCH):
            async with raw.transaction(), raw.cursor() as cursor:
                await cursor.executemany(sql, [row(stream) for _ in range(BATCH)])

    cortex_single, cortex_batched = cortex_runners(store)

    return {
        "durable": (cortex_single(True), raw_single(raw), 400),
        "async-commit": (cortex_single(False), raw_single(raw_async_conn), 3000),
        "batched": (cortex_batched, raw_batched, 5000),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer events and rounds (a smoke run)")
    parser.add_argument("--only", choices=["sqlite", "messagedb"])
    args = parser.parse_args()
    rounds = 1 if args.quick else 3
    scale = 0.1 if args.quick else 1.0
    print(f"{'backend':<10} {'mode':<13} {'cortex ev/s':>12} {'raw ev/s':>12} {'ratio':>6}  target>=0.7")
    failures = 0
    with tempfile.TemporaryDirectory() as directory:
        suites: list[tuple[str, dict[str, tuple[Runner, Runner, int]]]] = []
        if args.only in (None, "sqlite"):
            suites.append(("sqlite", sqlite_runners(Path(directory))))
        if args.only in (None, "messagedb"):
            suites.append(("messagedb", await messagedb_runners()))
        for backend, runners in suites:
            for mode, (cortex_run, raw_run, events) in runners.items():
                count = max(BATCH, int(events * scale) // BATCH * BATCH)
                cortex_rate, raw_rate = await compare(cortex_run, raw_run, count, rounds)
                ratio = cortex_rate / raw_rate
                failures += ratio < 0.7
                verdict = "ok" if ratio >= 0.7 else "BELOW"
                print(f"{backend:<10} {mode:<13} {cortex_rate:>12,.0f} {raw_rate:>12,.0f} {ratio:>6.2f}  {verdict}")
    if failures:
        print(f"{failures} figure(s) below 0.7 x baseline")


if __name__ == "__main__":
    anyio.run(main)
