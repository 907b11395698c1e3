"""Loading agent definitions named by `CORTEX_AGENTS_MODULE` (`package.module:attribute`)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from cortex.agents._agent import Agent, AgentRegistry
from cortex.exceptions import ConfigurationError

__all__ = ["load_agents"]


def load_agents(spec: str) -> AgentRegistry:
    """The registry an import path names: a registry, agents, or a function returning either.

    Raises:
        ConfigurationError: the module or attribute is missing, or holds no agents.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(f"CORTEX_AGENTS_MODULE: expected 'package.module:attribute', got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"CORTEX_AGENTS_MODULE: cannot import {module_name!r}: {exc}") from exc
    value = getattr(module, attribute, None)
    if value is None:
        raise ConfigurationError(f"CORTEX_AGENTS_MODULE: {module_name!r} has no attribute {attribute!r}")
    if callable(value) and not isinstance(value, AgentRegistry | Agent):
        value = value()
    if isinstance(value, AgentRegistry):
        return value
    if isinstance(value, Agent):
        return AgentRegistry([value])
    if isinstance(value, Iterable):
        agents = list(value)
        if agents and all(isinstance(a, Agent) for a in agents):
            return AgentRegistry(agents)
    raise ConfigurationError(f"CORTEX_AGENTS_MODULE: {spec} holds no Agent definitions")
