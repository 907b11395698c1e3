"""Agent definitions: what an agent is told, which model it uses, which tools it may call."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from cortex.exceptions import UnknownAgentError
from cortex.projections import StepPolicy
from cortex.tools import Tool

if TYPE_CHECKING:
    from pydantic_ai.models import Model

__all__ = ["Agent", "AgentRegistry"]


@dataclass(frozen=True)
class Agent:
    """An agent definition. `SessionStarted` records its name and version so any worker runs the same one."""

    name: str
    instructions: str = "You are a helpful assistant. Use a tool when one fits the request."
    model: str | Model | None = None
    """A model string (`openai:gpt-4o`, `local:smollm2`, …) or a pydantic-ai `Model`; None: `CORTEX_MODEL`."""
    tools: Sequence[Tool] = ()
    """The only tools this agent sees and may call."""
    version: str = "1"
    fallback_models: Sequence[str | Model] = ()
    """Tried in order once the primary model's attempts are used up."""
    attempts_per_model: int = 2
    recovery: Literal["fail", "ask"] = "fail"
    """An interrupted non-idempotent tool call: record it failed (at most once) or ask an operator."""
    max_iterations: int = 10
    """Model calls allowed in one user turn."""
    context_messages: int = 50
    """How many of the latest conversation messages are sent to the model (a turn is never split)."""
    model_settings: dict[str, Any] = field(default_factory=dict)
    """pydantic-ai `ModelSettings` (temperature, max_tokens, timeout…)."""

    def tool(self, name: str) -> Tool | None:
        """The tool of that name if this agent may call it."""
        for item in self.tools:
            if item.name == name:
                return item
        return None

    def model_chain(
        self, default_model: str, override: str | None = None, default_fallbacks: Sequence[str] = ()
    ) -> list[str | Model]:
        """The models to try, in order: the session's or agent's model (else the default), then fallbacks."""
        primary: str | Model = override or self.model or default_model
        fallbacks = self.fallback_models or (default_fallbacks if self.model is None else ())
        return [primary, *fallbacks]

    def policy(self, chain_length: int = 1) -> StepPolicy:
        """The decision policy `next_step` applies to this agent."""
        return StepPolicy(
            max_llm_attempts=self.attempts_per_model * max(chain_length, 1),
            max_iterations=self.max_iterations,
            recovery=self.recovery,
            idempotent_tools=frozenset(t.name for t in self.tools if t.idempotent),
            approval_tools=frozenset(t.name for t in self.tools if t.requires_approval),
        )


class AgentRegistry:
    """Agent definitions by name and version."""

    def __init__(self, agents: Iterable[Agent] = ()) -> None:
        self._agents: dict[tuple[str, str], Agent] = {}
        for agent in agents:
            self.register(agent)

    def register(self, agent: Agent) -> Agent:
        """Add (or replace) a definition."""
        self._agents[(agent.name, agent.version)] = agent
        return agent

    def get(self, name: str, version: str | None = None) -> Agent:
        """The definition of that name and version (newest version when None)."""
        if version is not None and (name, version) in self._agents:
            return self._agents[(name, version)]
        candidates = [a for (n, _), a in self._agents.items() if n == name]
        if version is None and candidates:
            return candidates[-1]
        raise UnknownAgentError(name, version, sorted({f"{n}@{v}" for n, v in self._agents}))

    def default(self) -> Agent:
        """The agent used when none is named: `assistant` if registered, else the first one."""
        if not self._agents:
            raise UnknownAgentError("(default)", None, [])
        named = [a for (n, _), a in self._agents.items() if n == "assistant"]
        return named[-1] if named else next(iter(self._agents.values()))

    def agents(self) -> list[Agent]:
        """Every registered definition, by name then version."""
        return [self._agents[key] for key in sorted(self._agents)]

    def names(self) -> list[str]:
        """Every registered `name@version`."""
        return sorted(f"{n}@{v}" for n, v in self._agents)
