"""Logging, tracing and metrics (DESIGN.md §13)."""

from cortex.observability.logging import configure_logging, ensure_logging
from cortex.observability.tracing import start_span

__all__ = ["configure_logging", "ensure_logging", "start_span"]
