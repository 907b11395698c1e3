"""What the engine needs to run a thread: the store, agent definitions, model defaults, policies.

A plain bag of dependencies passed to the engine's functions, not an object that does the work.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cortex.agents import AgentRegistry, default_registry, load_agents
from cortex.config import Settings, get_settings
from cortex.projections import Recorded, ThreadView
from cortex.store import EventStore, open_store

__all__ = ["Backoff", "Runtime", "ViewCache"]


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter between model attempts."""

    base_s: float = 0.5
    max_s: float = 10.0
    jitter: float = 0.5
    """Each delay is multiplied by a factor in [1 - jitter, 1 + jitter]."""

    def delay(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (1 = the first retry)."""
        if retry < 1 or self.base_s <= 0:
            return 0.0
        raw = min(self.max_s, self.base_s * float(2 ** (retry - 1)))
        return raw * rng.uniform(1 - self.jitter, 1 + self.jitter)


class ViewCache:
    """The latest projected view of recently processed threads, so a step reads only new events."""

    def __init__(self, max_threads: int = 1024) -> None:
        self._views: OrderedDict[str, ThreadView] = OrderedDict()
        self._max = max_threads

    def get(self, thread_id: str) -> ThreadView | None:
        """The cached view, if any (marks it recently used)."""
        view = self._views.get(thread_id)
        if view is not None:
            self._views.move_to_end(thread_id)
        return view

    def put(self, thread_id: str, view: ThreadView) -> None:
        """Remember a view, evicting the least recently used beyond the limit."""
        self._views[thread_id] = view
        self._views.move_to_end(thread_id)
        while len(self._views) > self._max:
            self._views.popitem(last=False)

    def forget(self, thread_id: str) -> None:
        """Drop a thread's view (the next load folds from the start)."""
        self._views.pop(thread_id, None)


@dataclass
class Runtime:
    """Dependencies of the engine."""

    store: EventStore
    agents: AgentRegistry
    default_model: str = "local:smollm2"
    fallback_models: tuple[str, ...] = ()
    """Tried after the default model, for agents that name no model and no fallbacks."""
    openai_base_url: str | None = None
    backoff: Backoff = field(default_factory=Backoff)
    max_steps: int = 100
    """Steps one `process_thread` call may take before returning (a safety net, not a policy)."""
    views: ViewCache = field(default_factory=ViewCache)
    rng: random.Random = field(default_factory=random.Random)
    on_recorded: Callable[[str, Recorded], None] | None = None
    """Called with every event the engine writes in this process (metrics, live notification)."""
    on_text: Callable[[str, str], None] | None = None
    """Called with `(thread_id, text delta)` while a streaming model answers (live token chunks)."""

    @classmethod
    async def from_settings(cls, settings: Settings | None = None, *, agents: AgentRegistry | None = None) -> Runtime:
        """Open the configured store with the default agent (or the given ones)."""
        settings = settings or get_settings()
        store = await open_store(settings.resolved_database_url)
        return cls(
            store=store,
            agents=agents or _configured_agents(settings),
            default_model=settings.model,
            fallback_models=tuple(settings.fallback_models),
            openai_base_url=settings.openai_base_url,
        )

    async def close(self) -> None:
        """Close the store."""
        await self.store.close()


def _configured_agents(settings: Settings) -> AgentRegistry:
    if settings.agents_module:
        return load_agents(settings.agents_module)
    return default_registry(Path(settings.resolved_files_dir))
