"""Workspace roles and what each may do (a pure decision)."""

from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = ["ROLES", "Role", "Scope", "allows"]

Role: TypeAlias = Literal["owner", "member", "viewer"]
Scope: TypeAlias = Literal["read", "write", "admin"]
"""`read`: look; `write`: run agents (sessions, messages, approvals); `admin`: members, keys, webhooks."""

ROLES: tuple[Role, ...] = ("owner", "member", "viewer")
_GRANTS: dict[Role, frozenset[Scope]] = {
    "owner": frozenset({"read", "write", "admin"}),
    "member": frozenset({"read", "write"}),
    "viewer": frozenset({"read"}),
}


def allows(role: Role, needed: Scope, key_scopes: frozenset[str] | None = None) -> bool:
    """Whether a member with `role` (through a key limited to `key_scopes`, if any) may do `needed`."""
    return needed in _GRANTS[role] and (key_scopes is None or needed in key_scopes)
