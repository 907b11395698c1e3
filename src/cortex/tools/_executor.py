"""Running one tool call: validate arguments, enforce the timeout, turn every outcome into data."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio
from pydantic import ValidationError

from cortex.exceptions import ToolFailed
from cortex.tools._tool import Tool, ToolContext

__all__ = ["ToolOutcome", "execute_tool"]


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What a call produced: a result, or an error message the model will read."""

    ok: bool
    result: Any = None
    error: str = ""
    reason: str = "error"
    """For failures: `invalid_arguments`, `timeout`, `error`."""
    elapsed_ms: float = 0.0


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(x) for x in item["loc"]) or "arguments"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _json_safe(value: Any) -> Any:
    """Results go into events (JSON): keep JSON values, describe anything else as text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)


async def execute_tool(item: Tool, arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    """Run a tool call and report the outcome; never raises for the tool's own failures."""
    start = time.perf_counter()

    def elapsed() -> float:
        return round((time.perf_counter() - start) * 1000, 3)

    try:
        validated = item.arguments_model.model_validate(arguments)
    except ValidationError as exc:
        return ToolOutcome(
            False, error=f"invalid arguments for {item.name}: {_describe(exc)}", reason="invalid_arguments"
        )
    kwargs = {name: getattr(validated, name) for name in type(validated).model_fields}
    args = (context,) if item.takes_context else ()
    try:
        if item.inline and not item.is_async:
            # Runs on the loop thread without awaiting, so a deadline could never interrupt it.
            result = item.function(*args, **kwargs)
        else:
            with anyio.fail_after(item.timeout_s):
                if item.is_async:
                    result = await item.function(*args, **kwargs)
                else:
                    result = await anyio.to_thread.run_sync(
                        lambda: item.function(*args, **kwargs), abandon_on_cancel=True
                    )
    except ToolFailed as failed:
        return ToolOutcome(False, error=failed.message, reason=failed.reason, elapsed_ms=elapsed())
    except TimeoutError:
        return ToolOutcome(
            False, error=f"{item.name} timed out after {item.timeout_s:g}s", reason="timeout", elapsed_ms=elapsed()
        )
    except Exception as exc:  # a tool's failure is data for the model, not a crash of the loop
        return ToolOutcome(False, error=f"{type(exc).__name__}: {exc}", reason="error", elapsed_ms=elapsed())
    return ToolOutcome(True, result=_json_safe(result), elapsed_ms=elapsed())
