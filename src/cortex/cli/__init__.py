"""The `cortex` command line (Typer + Rich).

Exit codes: 0 ok, 1 runtime failure, 2 usage error. Errors print one line; `--debug` shows the
traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

import cortex
from cortex.cli import _events, _server, _sessions
from cortex.cli._common import app, console, err_console, run_sync, state
from cortex.config import get_settings
from cortex.exceptions import CortexError, UserError
from cortex.observability import configure_logging

__all__ = ["app", "main", "run_sync"]

_COMMANDS = (_events, _server, _sessions)  # importing them registers their commands on `app`


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"cortex {cortex.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    state["debug"] = debug
    get_settings.cache_clear()  # each invocation reads the environment afresh
    configure_logging("DEBUG" if debug else "WARNING")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning Cortex errors into one line (exit 1, or 2 for usage errors)."""
    try:
        app(args=argv, standalone_mode=True)
    except CortexError as exc:
        if state["debug"]:
            raise
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(2 if isinstance(exc, UserError) else 1)
