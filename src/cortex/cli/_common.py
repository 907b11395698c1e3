"""Shared pieces of the CLI: the Typer app, consoles, the one sync bridge, common options."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import anyio
import typer
from rich.console import Console

from cortex.exceptions import UserError

__all__ = ["DatabaseOption", "JsonOption", "app", "console", "err_console", "run_sync", "state"]

T = TypeVar("T")

app = typer.Typer(
    name="cortex",
    help="Cortex: an event-sourced runtime for LLM agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)
state = {"debug": False}

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Event store URL (default: $CORTEX_DATABASE_URL, else SQLite in .cortex/)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


def run_sync(function: Callable[[], Awaitable[T]]) -> T:
    """Run async code from the CLI; the one sync bridge, refusing to nest inside a running loop."""
    try:
        anyio.get_current_task()
    except RuntimeError:
        return anyio.run(function)
    raise UserError("cortex CLI helpers cannot run inside an event loop; await the async API instead")
