"""Agents for server tests, importable by `cortex serve`/`cortex worker` subprocesses.

`CORTEX_AGENTS_MODULE=tests.server.agents:agents`. The models are stateless scripts (the answer
depends only on the conversation), so any process answers a session the same way.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, ToolCallPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCalls, FunctionModel

from cortex.agents import Agent, AgentRegistry
from cortex.tools import calculate, tool


def _last_user_text(messages: list[ModelMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return ""


def _tool_result(messages: list[ModelMessage]) -> str | None:
    last = messages[-1]
    if isinstance(last, ModelRequest):
        for part in last.parts:
            if part.part_kind == "tool-return":
                return str(part.content)
    return None


def calculator_script(messages: list[ModelMessage], _info: AgentInfo) -> ModelResponse:
    """Ask `calculate` for the user's expression, then answer with its result."""
    result = _tool_result(messages)
    if result is not None:
        return ModelResponse(parts=[TextPart(content=f"The answer is {result}.")])
    expression = _last_user_text(messages).removeprefix("compute ").strip() or "0"
    return ModelResponse(parts=[ToolCallPart(tool_name=_info.function_tools[0].name, args={"expression": expression})])


async def streamed_echo(messages: list[ModelMessage], _info: AgentInfo) -> AsyncIterator[str | DeltaToolCalls]:
    """Stream the user's words back one at a time."""
    for index, word in enumerate(_last_user_text(messages).split()):
        yield word if index == 0 else f" {word}"


def _echo_whole(messages: list[ModelMessage], _info: AgentInfo) -> ModelResponse:
    return ModelResponse(parts=[TextPart(content=_last_user_text(messages))])


@tool(idempotent=True)
def slow_calculate(expression: str) -> str:
    """Evaluate arithmetic slowly (half a second), so a test can kill the worker meanwhile."""
    time.sleep(0.5)
    return str(calculate.function(expression=expression))


@tool(requires_approval=True)
def send_email(to: str) -> str:
    """Pretend to send an email (needs an operator's approval)."""
    return f"sent to {to}"


def _approval_script(messages: list[ModelMessage], _info: AgentInfo) -> ModelResponse:
    result = _tool_result(messages)
    if result is not None:
        return ModelResponse(parts=[TextPart(content=f"done: {result}")])
    return ModelResponse(parts=[ToolCallPart(tool_name="send_email", args={"to": "ops@example.com"})])


def agents() -> AgentRegistry:
    """The test agents."""
    return AgentRegistry(
        [
            Agent(name="calc", model=FunctionModel(calculator_script, model_name="calc-script"), tools=[calculate]),
            Agent(
                name="slow-calc",
                model=FunctionModel(calculator_script, model_name="calc-script"),
                tools=[slow_calculate],
            ),
            Agent(
                name="echo",
                model=FunctionModel(_echo_whole, stream_function=streamed_echo, model_name="echo-script"),
            ),
            Agent(name="mailer", model=FunctionModel(_approval_script, model_name="mail-script"), tools=[send_email]),
        ]
    )
