"""structlog set-up: console output in a terminal, JSON lines otherwise; quiet unless asked."""

from __future__ import annotations

import logging
import sys

import structlog

__all__ = ["configure_logging", "ensure_logging"]


def configure_logging(level: str = "WARNING", *, json: bool | None = None) -> None:
    """Configure structlog for the process (the CLI calls this; `--debug` lowers the level)."""
    as_json = (not sys.stderr.isatty()) if json is None else json
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def ensure_logging() -> None:
    """A library default: warnings and errors only, unless the application configured structlog."""
    if not structlog.is_configured():
        configure_logging("WARNING")
