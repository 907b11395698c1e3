"""`@tool`: a typed Python function becomes a tool a model can call.

The JSON schema comes from the type hints (through pydantic) and the parameter descriptions from
the Google-style docstring. Arguments are validated before the call, so a model's malformed
arguments become a failure it can read and correct, never a crash.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypedDict, Unpack, get_type_hints, overload

from pydantic import BaseModel, ConfigDict, Field, create_model

__all__ = ["Tool", "ToolContext", "ToolOptions", "idempotency_key", "tool"]


@dataclass(frozen=True, slots=True)
class ToolContext:
    """What a running tool may know about its call; pass it on to APIs that accept idempotency keys."""

    thread_id: str
    tool_call_id: str
    idempotency_key: str
    """Stable across retries and resumptions of the same call: derived from thread and call id."""
    attempt: int = 1


def idempotency_key(thread_id: str, tool_call_id: str) -> str:
    """The key a tool call keeps across every retry and every worker."""
    return hashlib.sha256(f"{thread_id}:{tool_call_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Tool:
    """A callable a model may use, with its schema and delivery semantics."""

    name: str
    description: str
    parameters_schema: dict[str, Any]
    function: Callable[..., Any]
    arguments_model: type[BaseModel]
    takes_context: bool = False
    idempotent: bool = False
    """Safe to run again after a crash interrupted it (same inputs → same effect)."""
    requires_approval: bool = False
    timeout_s: float = 30.0
    category: str = "general"
    version: str = "1"
    examples: tuple[tuple[str, dict[str, Any]], ...] = ()
    """(request, arguments) pairs: documentation, and few-shot exemplars for small local models."""
    inline: bool = False
    """A sync function that is pure and takes microseconds runs on the event loop instead of a thread."""
    metadata: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def is_async(self) -> bool:
        """Whether the function is a coroutine function (else it runs in a worker thread)."""
        return inspect.iscoroutinefunction(self.function)


_ARG_LINE = re.compile(r"^\s{2,}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$")


def _parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Summary paragraph and per-argument descriptions from a Google-style docstring."""
    if not doc:
        return "", {}
    text = inspect.cleandoc(doc)
    summary = text.split("\n\n", 1)[0].replace("\n", " ").strip()
    params: dict[str, str] = {}
    in_args = False
    current: str | None = None
    for line in text.splitlines():
        if line.strip() in ("Args:", "Arguments:", "Parameters:"):
            in_args = True
            continue
        if in_args:
            if line and not line.startswith(" "):
                break
            match = _ARG_LINE.match(line)
            if match:
                current = match.group(1)
                params[current] = match.group(2).strip()
            elif current and line.strip():
                params[current] += " " + line.strip()
    return summary, params


class ToolOptions(TypedDict, total=False):
    """Options of `@tool(...)`; every one has a default."""

    name: str
    """The name the model sees (default: the function's)."""
    description: str
    """What the model reads (default: the docstring's summary)."""
    idempotent: bool
    requires_approval: bool
    timeout_s: float
    category: str
    version: str
    examples: Sequence[tuple[str, dict[str, Any]]]
    inline: bool


def _build(function: Callable[..., Any], options: ToolOptions) -> Tool:
    signature = inspect.signature(function)
    hints = get_type_hints(function)
    summary, arg_docs = _parse_docstring(function.__doc__)
    fields: dict[str, Any] = {}
    takes_context = False
    for index, (param_name, param) in enumerate(signature.parameters.items()):
        annotation = hints.get(param_name, Any)
        if index == 0 and annotation is ToolContext:
            takes_context = True
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"tool {function.__name__!r}: *args/**kwargs cannot be described to a model")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param_name] = (annotation, Field(default, description=arg_docs.get(param_name)))
    tool_name = options.get("name") or function.__name__
    model = create_model(f"{tool_name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)
    schema = model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    return Tool(
        name=tool_name,
        description=options.get("description") or summary or tool_name,
        parameters_schema=schema,
        function=function,
        arguments_model=model,
        takes_context=takes_context,
        idempotent=options.get("idempotent", False),
        requires_approval=options.get("requires_approval", False),
        timeout_s=options.get("timeout_s", 30.0),
        category=options.get("category", "general"),
        version=options.get("version", "1"),
        examples=tuple(options.get("examples", ())),
        inline=options.get("inline", False),
    )


@overload
def tool(function: Callable[..., Any], /) -> Tool: ...


@overload
def tool(**options: Unpack[ToolOptions]) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    function: Callable[..., Any] | None = None, /, **options: Unpack[ToolOptions]
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Turn a function (sync or async) into a `Tool`; usable bare (`@tool`) or with `ToolOptions`.

    A first parameter annotated `ToolContext` receives the call's context and is hidden from the model.
    """
    if function is not None:
        return _build(function, options)
    return lambda func: _build(func, options)
