"""Built-in tools: time, safe arithmetic, echo, and file access confined to one directory."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cortex.tools._tool import Tool, tool

__all__ = ["calculate", "default_tools", "echo", "evaluate_arithmetic", "file_tools", "get_current_time"]

_MAX_EXPRESSION = 500
_MAX_EXPONENT = 1000
_MAX_MAGNITUDE = 10**100

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}


class ArithmeticError_(ValueError):
    """An expression `calculate` refuses to evaluate."""


def _eval(node: ast.AST) -> int | float:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise ArithmeticError_(f"exponent {right} is too large (limit {_MAX_EXPONENT})")
        if isinstance(node.op, ast.Pow) and abs(left) > 1 and abs(right) * math.log10(abs(left)) > 100:
            raise ArithmeticError_("result would be too large")
        try:
            value = _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ArithmeticError_("division by zero") from None
        if isinstance(value, complex):
            raise ArithmeticError_("the result is not a real number")
        if abs(value) > _MAX_MAGNITUDE:
            raise ArithmeticError_("result is too large")
        return value  # type: ignore[no-any-return]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))  # type: ignore[no-any-return]
    raise ArithmeticError_(f"{type(node).__name__} is not allowed: only numbers, + - * / // % ** and parentheses")


def evaluate_arithmetic(expression: str) -> int | float:
    """Evaluate arithmetic safely by walking the AST (never `eval`); refuse names, calls, attributes."""
    if len(expression) > _MAX_EXPRESSION:
        raise ArithmeticError_(f"expression longer than {_MAX_EXPRESSION} characters")
    try:
        tree = ast.parse(expression.replace("^", "**").replace("×", "*").replace("÷", "/"), mode="eval")
    except SyntaxError as exc:
        raise ArithmeticError_(f"not an arithmetic expression: {exc.msg}") from None
    value = _eval(tree)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


@tool(
    idempotent=True,
    inline=True,
    category="math",
    examples=[
        ("What is 3*5?", {"expression": "3*5"}),
        ("Add 17 and 25.", {"expression": "17+25"}),
        ("Use the calculator for (2+3)**2.", {"expression": "(2+3)**2"}),
    ],
)
def calculate(expression: str) -> int | float:
    """Evaluate an arithmetic expression such as 12*7 or (3+4)**2/7.

    Args:
        expression: Numbers with + - * / // % ** and parentheses.
    """
    return evaluate_arithmetic(expression)


@tool(
    idempotent=True,
    category="time",
    examples=[("What time is it?", {"timezone": "UTC"}), ("What time is it in Paris?", {"timezone": "Europe/Paris"})],
)
def get_current_time(timezone: str = "UTC") -> str:
    """Return the current date and time in ISO 8601.

    Args:
        timezone: An IANA time zone name such as Europe/Paris.
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {timezone!r}; use an IANA name like Europe/Paris") from None
    return datetime.now(UTC).astimezone(zone).isoformat(timespec="seconds")


@tool(idempotent=True, inline=True, category="general", examples=[("Echo back: hello there", {"text": "hello there"})])
def echo(text: str) -> str:
    """Return the text unchanged.

    Args:
        text: What to echo back.
    """
    return text


def _confined(root: Path, relative: str) -> Path:
    """Resolve `relative` inside `root`, refusing absolute paths, `..` and symlinks that leave it."""
    if not relative or relative.startswith(("/", "\\")) or Path(relative).is_absolute():
        raise PermissionError(f"{relative!r}: give a path relative to the files directory")
    if ".." in Path(relative).parts:
        raise PermissionError(f"{relative!r}: '..' is not allowed")
    base = root.resolve()
    target = (base / relative).resolve()
    if target != base and base not in target.parents:
        raise PermissionError(f"{relative!r} leads outside the files directory")
    return target


def file_tools(root: Path, *, max_bytes: int = 1_000_000) -> list[Tool]:
    """`read_file` and `write_file` confined to `root` (created when missing)."""
    root.mkdir(parents=True, exist_ok=True)

    @tool(idempotent=True, category="files", examples=[("Show me the file notes.txt", {"path": "notes.txt"})])
    def read_file(path: str) -> str:
        """Read a UTF-8 text file from the files directory.

        Args:
            path: Path relative to the files directory.
        """
        target = _confined(root, path)
        if not target.is_file():
            raise FileNotFoundError(f"{path!r} does not exist")
        if target.stat().st_size > max_bytes:
            raise ValueError(f"{path!r} is larger than {max_bytes} bytes")
        return target.read_text(encoding="utf-8")

    @tool(
        idempotent=True,
        category="files",
        examples=[("Save 'buy milk' to todo.txt", {"path": "todo.txt", "content": "buy milk"})],
    )
    def write_file(path: str, content: str) -> str:
        """Write a UTF-8 text file in the files directory, replacing it if it exists.

        Args:
            path: Path relative to the files directory.
            content: The text to write.
        """
        if len(content.encode()) > max_bytes:
            raise ValueError(f"content is larger than {max_bytes} bytes")
        target = _confined(root, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        _confined(root, path)  # again: a symlinked parent created meanwhile must not lead out
        target.write_text(content, encoding="utf-8")
        return f"wrote {len(content)} characters to {path}"

    return [read_file, write_file]


def default_tools(files_root: Path) -> list[Tool]:
    """The built-ins the default agent has."""
    return [get_current_time, calculate, echo, *file_tools(files_root)]
