"""The synchronous client: the asynchronous one, run on a private event loop thread.

One implementation serves both (no copy of every endpoint): each method of `AsyncClient` is
called through an anyio blocking portal, and `stream` becomes an ordinary iterator.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal

from cortex.client._async import AsyncClient, StreamItem

__all__ = ["Client"]


class Client:
    """Talk to a Cortex server from ordinary (non-async) code; same methods as `AsyncClient`."""

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: float = 30.0) -> None:
        self._portal_cm: AbstractContextManager[BlockingPortal] = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        self._async: AsyncClient = self._portal.call(
            functools.partial(_make, base_url, api_key=api_key, timeout=timeout)
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections and the loop thread."""
        self._portal.call(self._async.aclose)
        self._portal_cm.__exit__(None, None, None)

    def stream(self, workspace_id: str, session_id: str, **kwargs: Any) -> Iterator[StreamItem]:
        """Live events of a session (see `AsyncClient.stream`), as a plain iterator."""
        iterator = self._async.stream(workspace_id, session_id, **kwargs)
        try:
            while True:
                try:
                    yield self._portal.call(iterator.__anext__)
                except StopAsyncIteration:
                    return
        finally:
            self._portal.call(iterator.aclose)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._async, name)
        if not callable(method) or name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._portal.call(functools.partial(method, *args, **kwargs))

        call.__doc__ = method.__doc__
        return call


async def _make(base_url: str, **kwargs: Any) -> AsyncClient:
    return AsyncClient(base_url, **kwargs)
