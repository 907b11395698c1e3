from __future__ import annotations

import os
from pathlib import Path

import pytest

from cortex.exceptions import UserError
from cortex.tools import (
    ToolContext,
    ToolRegistry,
    calculate,
    default_tools,
    evaluate_arithmetic,
    execute_tool,
    file_tools,
    get_current_time,
    tool,
)

CTX = ToolContext(thread_id="t", tool_call_id="c", idempotency_key="k")


@pytest.mark.parametrize(
    ("expression", "value"),
    [("12*7", 84), ("(3+4)**2/7", 7), ("2**10", 1024), ("-5 // 2", -3), ("7 % 3", 1), ("1/4", 0.25), ("2^3", 8)],
)
def test_calculate_does_arithmetic(expression: str, value: float) -> None:
    assert evaluate_arithmetic(expression) == value


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('true')", "Call is not allowed"),
        ("(1).__class__", "Attribute is not allowed"),
        ("x + 1", "Name is not allowed"),
        ("9**99999", "exponent 99999 is too large"),
        ("10**99 * 10**99", "too large"),
        ("1/0", "division by zero"),
        ("[1, 2]", "List is not allowed"),
        ("'a' * 3", "Constant is not allowed"),
        ("1 +", "not an arithmetic expression"),
        ("1" * 600, "longer than 500"),
        ("(-8) ** 0.5", "not a real number"),
    ],
)
def test_calculate_refuses_anything_but_arithmetic(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate_arithmetic(expression)


def test_schema_from_hints_and_docstring() -> None:
    @tool(category="demo", version="2")
    async def book(ctx: ToolContext, city: str, nights: int = 1, *, vip: bool = False) -> str:
        """Book a hotel room.

        Args:
            city: Where to stay.
            nights: How many nights,
                at least one.
        """
        return f"{city}:{nights}:{vip}:{ctx.tool_call_id}"

    assert book.name == "book" and book.description == "Book a hotel room."
    assert book.takes_context and book.is_async and (book.category, book.version) == ("demo", "2")
    assert book.parameters_schema == {
        "additionalProperties": False,
        "properties": {
            "city": {"description": "Where to stay.", "type": "string"},
            "nights": {"default": 1, "description": "How many nights, at least one.", "type": "integer"},
            "vip": {"default": False, "type": "boolean"},
        },
        "required": ["city"],
        "type": "object",
    }


async def _run(item, **arguments):  # type: ignore[no-untyped-def]
    return await execute_tool(item, arguments, CTX)


@pytest.mark.anyio
async def test_executor_validates_and_reports() -> None:
    ok = await _run(calculate, expression="6*7")
    assert ok.ok and ok.result == 42
    bad = await _run(calculate, expression=["not", "a", "string"])
    assert not bad.ok and bad.reason == "invalid_arguments" and "expression" in bad.error
    extra = await _run(calculate, expression="1", surprise=1)
    assert not extra.ok and "surprise: Extra inputs are not permitted" in extra.error
    refused = await _run(calculate, expression="__import__('os')")
    assert not refused.ok and refused.error.startswith("ArithmeticError_: Call is not allowed")


@pytest.mark.anyio
async def test_get_current_time_and_a_bad_zone() -> None:
    now = await _run(get_current_time, timezone="Europe/Paris")
    assert now.ok and now.result[19:] in ("+01:00", "+02:00")
    bad = await _run(get_current_time, timezone="Mars/Olympus")
    assert not bad.ok and "unknown time zone" in bad.error


@pytest.mark.anyio
async def test_file_tools_stay_inside_their_root(tmp_path: Path) -> None:
    root = tmp_path / "files"
    read_file, write_file = file_tools(root)
    assert (await _run(write_file, path="notes/a.txt", content="hello")).ok
    assert (await _run(read_file, path="notes/a.txt")).result == "hello"
    (tmp_path / "secret.txt").write_text("top secret")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    os.symlink(tmp_path, root / "escape")
    for path, message in [
        ("../secret.txt", "'..' is not allowed"),
        ("/etc/passwd", "relative to the files directory"),
        (str(tmp_path / "secret.txt"), "relative to the files directory"),
        ("link.txt", "leads outside"),
        ("escape/secret.txt", "leads outside"),
        ("missing.txt", "does not exist"),
    ]:
        outcome = await _run(read_file, path=path)
        assert not outcome.ok and message in outcome.error, (path, outcome.error)
    written = await _run(write_file, path="escape/pwned.txt", content="x")
    assert not written.ok and not (tmp_path / "pwned.txt").exists()


def test_registry_versions_categories_enable_disable(tmp_path: Path) -> None:
    @tool(name="calculate", version="2", category="math")
    def calculate_v2(expression: str) -> str:
        """A newer calculator."""
        return expression

    registry = ToolRegistry(default_tools(tmp_path))
    registry.register(calculate_v2)
    assert registry.get("calculate") is calculate_v2
    assert registry.get("calculate", "1") is calculate
    assert [t.name for t in registry.list("files")] == ["read_file", "write_file"]
    registry.disable("calculate")
    assert registry.get("calculate") is None and "calculate" not in registry
    assert "calculate" not in [t.name for t in registry.list()]
    registry.enable("calculate")
    assert "calculate" in registry
    with pytest.raises(UserError, match="already registered"):
        registry.register(calculate_v2)
    with pytest.raises(UserError, match="no tool named 'nope'"):
        registry.disable("nope")


@pytest.mark.anyio
async def test_a_tool_can_fail_with_an_exact_message() -> None:
    from cortex.exceptions import ToolFailed

    @tool
    def picky(n: int) -> int:
        """Refuses odd numbers."""
        if n % 2:
            raise ToolFailed(f"{n} is odd; give an even number", reason="refused")
        return n

    failed = await _run(picky, n=3)
    assert (failed.ok, failed.error, failed.reason) == (False, "3 is odd; give an even number", "refused")
