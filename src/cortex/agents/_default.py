"""The agent `cortex run` uses when none is named: the built-in tools and plain instructions."""

from __future__ import annotations

from pathlib import Path

from cortex.agents._agent import Agent, AgentRegistry
from cortex.tools import default_tools

__all__ = ["DEFAULT_AGENT_NAME", "default_agent", "default_registry"]

DEFAULT_AGENT_NAME = "assistant"


def default_agent(files_root: Path) -> Agent:
    """The default assistant, whose file tools are confined to `files_root`."""
    return Agent(
        name=DEFAULT_AGENT_NAME,
        instructions=(
            "You are Cortex's default assistant. Answer briefly. When a request needs arithmetic, the "
            "current time or a file, call the matching tool and base your answer on its result."
        ),
        tools=tuple(default_tools(files_root)),
    )


def default_registry(files_root: Path) -> AgentRegistry:
    """A registry holding the default agent."""
    return AgentRegistry([default_agent(files_root)])
