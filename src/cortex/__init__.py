"""Cortex: an event-sourced runtime and server for LLM agents."""

from importlib.metadata import PackageNotFoundError, version

from cortex.exceptions import CortexError

try:
    __version__ = version("cortex-agents")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["CortexError", "__version__"]
