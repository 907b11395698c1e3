"""A registry of tools by name and version, with categories and enable/disable."""

from __future__ import annotations

from collections.abc import Iterable

from cortex.exceptions import UserError
from cortex.tools._tool import Tool

__all__ = ["ToolRegistry"]


class ToolRegistry:
    """Holds tools; `get(name)` returns the newest enabled version unless one is pinned."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, dict[str, Tool]] = {}
        self._disabled: set[str] = set()
        for item in tools:
            self.register(item)

    def register(self, item: Tool) -> Tool:
        """Add a tool; the same name and version twice is an error."""
        versions = self._tools.setdefault(item.name, {})
        if item.version in versions:
            raise UserError(f"tool {item.name!r} version {item.version!r} is already registered")
        versions[item.version] = item
        return item

    def get(self, name: str, version: str | None = None) -> Tool | None:
        """The enabled tool of that name (newest version, or the one pinned), else None."""
        if name in self._disabled or name not in self._tools:
            return None
        versions = self._tools[name]
        if version is not None:
            return versions.get(version)
        return versions[max(versions, key=_version_key)]

    def list(self, category: str | None = None, *, include_disabled: bool = False) -> list[Tool]:
        """The newest version of every tool, optionally of one category."""
        found = []
        for name in sorted(self._tools):
            if name in self._disabled and not include_disabled:
                continue
            newest = self._tools[name][max(self._tools[name], key=_version_key)]
            if category is None or newest.category == category:
                found.append(newest)
        return found

    def disable(self, name: str) -> None:
        """Hide a tool from every agent until enabled again."""
        self._require(name)
        self._disabled.add(name)

    def enable(self, name: str) -> None:
        """Make a disabled tool available again."""
        self._require(name)
        self._disabled.discard(name)

    def _require(self, name: str) -> None:
        if name not in self._tools:
            raise UserError(f"no tool named {name!r}; registered: {', '.join(sorted(self._tools)) or 'none'}")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in version.split("."))
