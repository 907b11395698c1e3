"""Tools: `@tool`, the registry, the executor and the built-ins (DESIGN.md §7)."""

from cortex.tools._executor import ToolOutcome, execute_tool
from cortex.tools._registry import ToolRegistry
from cortex.tools._tool import Tool, ToolContext, ToolOptions, idempotency_key, tool
from cortex.tools.builtins import calculate, default_tools, echo, evaluate_arithmetic, file_tools, get_current_time

__all__ = [
    "Tool",
    "ToolContext",
    "ToolOptions",
    "ToolOutcome",
    "ToolRegistry",
    "calculate",
    "default_tools",
    "echo",
    "evaluate_arithmetic",
    "execute_tool",
    "file_tools",
    "get_current_time",
    "idempotency_key",
    "tool",
]
