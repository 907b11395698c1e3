from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_ai.messages import (
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.tools import ToolDefinition

from cortex.events import ToolCall
from cortex.exceptions import ModelConfigurationError
from cortex.models import from_model_response, resolve_model, to_model_messages, tool_definitions
from cortex.models.local import _answer_text, route_by_name
from cortex.projections import AssistantTurn, ToolResult, UserTurn
from cortex.tools import calculate, default_tools


def test_context_to_messages_groups_tool_results_before_user_text() -> None:
    call = ToolCall(id="c", name="calculate", arguments={"expression": "1+1"})
    messages = to_model_messages(
        "be brief",
        [
            UserTurn("1+1?", 1),
            AssistantTurn("", (call,), 2),
            UserTurn("hurry", 3),  # arrived while the tool ran
            ToolResult("c", "calculate", 2, False, 4),
        ],
    )
    assert isinstance(messages[0], ModelRequest) and isinstance(messages[1], ModelResponse)
    assert [type(p) for p in messages[0].parts] == [SystemPromptPart, UserPromptPart]
    assert messages[1].parts == [ToolCallPart(tool_name="calculate", args={"expression": "1+1"}, tool_call_id="c")]
    last = messages[2]
    assert isinstance(last, ModelRequest)
    assert [type(p) for p in last.parts] == [ToolReturnPart, UserPromptPart]


def test_response_to_event_keeps_calls_usage_and_bad_arguments() -> None:
    response = ModelResponse(
        parts=[
            TextPart(content="thinking "),
            ToolCallPart(tool_name="calculate", args='{"expression": "2"}', tool_call_id="a"),
            ToolCallPart(tool_name="calculate", args="{not json", tool_call_id="b"),
        ],
        model_name="gpt-x",
    )
    event = from_model_response(response, latency_ms=12.3456, fallback_name="openai:gpt-x")
    assert event.text == "thinking " and event.model_name == "gpt-x" and event.latency_ms == 12.346
    assert event.tool_calls[0] == ToolCall(id="a", name="calculate", arguments={"expression": "2"})
    assert event.tool_calls[1].arguments == {"_raw": "{not json"}


def test_tool_definitions_carry_examples_only_as_metadata() -> None:
    (definition,) = tool_definitions([calculate])
    assert definition.name == "calculate" and definition.parameters_json_schema == calculate.parameters_schema
    assert definition.metadata and definition.metadata["examples"][0] == {
        "request": "What is 3*5?",
        "arguments": {"expression": "3*5"},
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gpt-4o", "not of the form provider:name"),
        ("nope:model", "Unknown model"),
        ("openai-compatible:llama3", "openai-compatible:<model>@<base_url>"),
        ("openai-compatible:llama3@localhost:1234", "must start with http"),
        ("local:/no/such/file.gguf", "no GGUF file"),
    ],
)
def test_bad_model_strings_are_clear_errors(spec: str, message: str) -> None:
    with pytest.raises(ModelConfigurationError, match=message):
        resolve_model(spec)


def test_missing_api_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelConfigurationError, match="OPENAI_API_KEY"):
        resolve_model("openai:gpt-4o-mini-nokey")


def test_openai_compatible_servers_and_base_url_setting() -> None:
    model = resolve_model("openai-compatible:llama3@http://127.0.0.1:1234/v1")
    assert model.model_name == "llama3" and "127.0.0.1:1234" in str(model.base_url)
    routed = resolve_model("openai:qwen", openai_base_url="http://127.0.0.1:11434/v1")
    assert routed.model_name == "qwen" and "11434" in str(routed.base_url)
    assert resolve_model("openai-compatible:llama3@http://127.0.0.1:1234/v1") is model, "models are built once"


def test_local_router_picks_a_tool_only_when_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tools = [ToolDefinition(name=t.name, description=t.description) for t in default_tools(tmp_path)]
    assert route_by_name("What is 12*7? Use the calculator.", tools) == "calculate"
    assert route_by_name("What time is it now?", tools) == "get_current_time"
    assert route_by_name("Read the file notes.txt", tools) == "read_file"
    assert route_by_name("Hello, who are you?", tools) is None
    assert route_by_name("Tell me a joke", tools) is None


@pytest.mark.parametrize(
    ("raw", "answer"),
    [
        ('{"answer": "84"}', "84"),
        ('{ "answer": "12*7 = 84.\\n\\nThe answer is 84.\\n\\nThe answer', "12*7 = 84."),
        ("plain text", "plain text"),
    ],
)
def test_answer_text_recovers_cut_off_replies(raw: str, answer: str) -> None:
    assert _answer_text(raw) == answer


def _fresh(instructions: str, context: list[object]) -> list[object]:
    from cortex.models import _convert

    _convert._prefixes.clear()
    return to_model_messages(instructions, context)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(["user", "assistant", "result"]), min_size=1, max_size=25),
    cuts=st.lists(st.integers(min_value=1, max_value=25), max_size=6),
    instructions=st.sampled_from(["", "be brief"]),
)
def test_converting_a_growing_conversation_turn_by_turn_equals_converting_it_at_once(
    kinds: list[str], cuts: list[int], instructions: str
) -> None:
    call = ToolCall(id="c", name="echo", arguments={"text": "x"})
    made = {"user": lambda i: UserTurn(f"u{i}", i), "result": lambda i: ToolResult("c", "echo", i, False, i)}
    context = [AssistantTurn(f"a{i}", (call,), i) if k == "assistant" else made[k](i) for i, k in enumerate(kinds)]
    expected = _fresh(instructions, context)
    for cut in sorted(cuts):  # earlier, shorter conversions leave their prefixes cached
        assert to_model_messages(instructions, context[:cut]) == _fresh(instructions, context[:cut])
        to_model_messages(instructions, context[:cut])
    assert to_model_messages(instructions, context) == expected


@settings(max_examples=150, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(["user", "assistant", "result"]), min_size=1, max_size=30),
    windows=st.lists(st.tuples(st.integers(0, 30), st.integers(1, 30)), max_size=8),
    instructions=st.sampled_from(["", "be brief"]),
)
def test_converting_a_sliding_window_reuses_nothing_it_should_not(
    kinds: list[str], windows: list[tuple[int, int]], instructions: str
) -> None:
    call = ToolCall(id="c", name="echo", arguments={"text": "x"})
    made = {"user": lambda i: UserTurn(f"u{i}", i), "result": lambda i: ToolResult("c", "echo", i, False, i)}
    context = [AssistantTurn(f"a{i}", (call,), i) if k == "assistant" else made[k](i) for i, k in enumerate(kinds)]
    # Windows move forward at both ends, as a context window does turn after turn.
    start = end = 0
    for step_start, step_end in windows:
        start, end = min(start + step_start // 3, len(context) - 1), min(max(end, start) + step_end, len(context))
        window = context[start:end]
        if not window:
            continue
        assert to_model_messages(instructions, window, key="thread") == _uncached(instructions, window)


def _uncached(instructions: str, context: list[object]) -> list[object]:
    """A conversion from nothing, leaving the cache as it was."""
    from cortex.models import _convert

    kept = dict(_convert._prefixes)
    _convert._prefixes.clear()
    try:
        return to_model_messages(instructions, context)  # type: ignore[arg-type]
    finally:
        _convert._prefixes.clear()
        _convert._prefixes.update(kept)
