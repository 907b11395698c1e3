"""Agent definitions and the registry that resolves them by name and version (DESIGN.md §10)."""

from cortex.agents._agent import Agent, AgentRegistry
from cortex.agents._default import DEFAULT_AGENT_NAME, default_agent, default_registry
from cortex.agents._loading import load_agents

__all__ = ["DEFAULT_AGENT_NAME", "Agent", "AgentRegistry", "default_agent", "default_registry", "load_agents"]
