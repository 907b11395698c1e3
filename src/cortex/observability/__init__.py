"""Logging, tracing and metrics (DESIGN.md §13)."""

from cortex.observability.logging import configure_logging, ensure_logging

__all__ = ["configure_logging", "ensure_logging"]
