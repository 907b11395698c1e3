"""`cortex db …` and `cortex events …`: the event store without the engine."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import anyio
import typer
from rich.table import Table

from cortex.cli._common import DatabaseOption, app, console, err_console, run_sync
from cortex.events import Message
from cortex.store import EventStore, open_store
from cortex.store.messagedb import redact_url

__all__ = ["db_app", "events_app", "message_row", "print_messages"]

db_app = typer.Typer(help="Create and inspect the database (event store and app tables).", no_args_is_help=True)
events_app = typer.Typer(help="Read and write raw events.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(events_app, name="events")

T = TypeVar("T")


async def _with_store(url: str | None, work: Callable[[EventStore], Awaitable[T]]) -> T:
    store = await open_store(url)
    try:
        return await work(store)
    finally:
        await store.close()


@db_app.command("init")
def db_init(database_url: DatabaseOption = None) -> None:
    """Create Cortex's tables (SQLite) or check that Message DB is installed (PostgreSQL)."""

    async def init(store: EventStore) -> str:
        return getattr(store, "url", None) or str(getattr(store, "path", "memory"))

    where = run_sync(lambda: _with_store(database_url, init))
    console.print(f"[green]ready[/green] event store at {redact_url(where)}")


def message_row(message: Message) -> dict[str, Any]:
    return {
        "position": message.position,
        "global_position": message.global_position,
        "stream_name": message.stream_name,
        "type": message.type,
        "time": message.time.isoformat(),
        "data": message.data,
        "metadata": message.metadata,
        "id": str(message.id),
    }


def print_messages(messages: list[Message], *, as_json: bool, title: str) -> None:
    if as_json:
        for message in messages:
            sys.stdout.write(json.dumps(message_row(message)) + "\n")
        return
    table = Table(title=title)
    for column in ("pos", "global", "type", "time", "data"):
        table.add_column(column, overflow="fold")
    for message in messages:
        data = json.dumps(message.data, ensure_ascii=False)
        table.add_row(
            str(message.position),
            str(message.global_position),
            message.type,
            message.time.strftime("%Y-%m-%d %H:%M:%S"),
            data if len(data) <= 200 else data[:197] + "...",
        )
    console.print(table)


@events_app.command("show")
def events_show(
    stream_name: Annotated[str, typer.Argument(help="Stream name, e.g. agent:v0-<thread_id>.")],
    database_url: DatabaseOption = None,
    position: Annotated[int, typer.Option(help="First position to show.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show the events of one stream."""
    from cortex.store import iter_stream

    async def show(store: EventStore) -> list[Message]:
        return [m async for m in iter_stream(store, stream_name, position)]

    messages = run_sync(lambda: _with_store(database_url, show))
    if not messages and not as_json:
        err_console.print(f"stream {stream_name} has no events")
        raise typer.Exit(1)
    print_messages(messages, as_json=as_json, title=stream_name)


@events_app.command("tail")
def events_tail(
    category: Annotated[str, typer.Argument(help="Category, e.g. agent:v0.")],
    database_url: DatabaseOption = None,
    follow: Annotated[bool, typer.Option("--follow/--no-follow", help="Keep waiting for new events.")] = True,
    position: Annotated[int, typer.Option(help="Global position to start from.")] = 0,
    interval: Annotated[float, typer.Option(help="Seconds between polls while following.")] = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Print the events of a category as they arrive."""

    async def tail(store: EventStore) -> None:
        nonlocal position
        while True:
            batch = await store.read_category(category, position)
            for message in batch:
                if as_json:
                    sys.stdout.write(json.dumps(message_row(message)) + "\n")
                    sys.stdout.flush()
                else:
                    console.print(
                        f"[dim]{message.global_position:>8}[/dim] {message.stream_name}@{message.position} "
                        f"[bold]{message.type}[/bold] {json.dumps(message.data, ensure_ascii=False)[:160]}"
                    )
            if batch:
                position = batch[-1].global_position + 1
                continue
            if not follow:
                return
            await anyio.sleep(interval)

    try:
        run_sync(lambda: _with_store(database_url, tail))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@events_app.command("append")
def events_append(
    stream_name: Annotated[str, typer.Argument(help="Stream name (category-id).")],
    type: Annotated[str, typer.Argument(help="Event type, e.g. UserMessageAdded.")],
    data: Annotated[str, typer.Argument(help="Event data as a JSON object.")] = "{}",
    database_url: DatabaseOption = None,
    expected_version: Annotated[int | None, typer.Option(help="Fail unless the stream is at this version.")] = None,
) -> None:
    """Append one raw event to a stream (for operators and demos; agents write their own)."""
    try:
        payload = json.loads(data)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc.msg} at character {exc.pos}", param_hint="DATA") from exc
    if not isinstance(payload, dict):
        raise typer.BadParameter('must be a JSON object, e.g. \'{"message": "hi"}\'', param_hint="DATA")

    async def append(store: EventStore) -> int:
        return await store.write(stream_name, type, payload, expected_version=expected_version)

    position = run_sync(lambda: _with_store(database_url, append))
    console.print(f"wrote {type} to {stream_name} at position {position}")
