"""Who is calling, and what they may do in the workspace they address.

Credentials: `Authorization: Bearer <JWT access token>` from a login, or `Bearer <API key>` /
`X-API-Key: <API key>`. A workspace the caller is not a member of answers 404, exactly like one
that does not exist: its existence is not disclosed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from cortex.appdata import accounts, api_keys
from cortex.auth import Role, Scope, allows
from cortex.server._errors import ApiError
from cortex.server._state import AppState, app_state

__all__ = ["Access", "Principal", "authenticate", "current_principal", "workspace_access"]

_bearer = HTTPBearer(auto_error=False, description="A JWT access token or an API key")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user, possibly through an API key bound to one workspace."""

    user_id: str
    is_admin: bool
    key_id: str | None = None
    key_workspace: str | None = None
    key_scopes: frozenset[str] | None = None

    @property
    def rate_key(self) -> str:
        """What rate limits count: the key when one is used, else the user."""
        return f"key:{self.key_id}" if self.key_id else f"user:{self.user_id}"


@dataclass(frozen=True)
class Access:
    """A principal's access to one workspace."""

    principal: Principal
    workspace_id: str
    role: Role


def _credential(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key") or None


async def authenticate(request: Request, state: AppState) -> Principal | None:
    """The caller, or None when the request carries no valid credential."""
    token = _credential(request)
    if token is None:
        return None
    if token.startswith("ctx_"):
        key = await api_keys.authenticate_key(state.db, token)
        if key is None:
            return None
        user = await accounts.get_user(state.db, key.user_id)
        if user is None:
            return None
        return Principal(user.id, False, key.id, key.workspace_id, key.scopes)
    user_id = state.signer.user_of(token, "access")
    if user_id is None:
        return None
    cached = state.token_users.get(user_id)
    if cached is not None and cached[0] > time.monotonic():
        known: Principal = cached[1]
        return known
    user = await accounts.get_user(state.db, user_id)
    principal = Principal(user.id, user.is_admin) if user else None
    if principal is not None:
        # The token is signed; the lookup only confirms the user still exists. Keys are never cached:
        # a revoked key must fail at once.
        state.token_users[user_id] = (time.monotonic() + 5.0, principal)
    return principal


async def current_principal(
    request: Request,
    state: Annotated[AppState, Depends(app_state)],
    _bearer_credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The authenticated caller; 401 without a valid credential, 429 over the rate limit."""
    cached: Principal | None = getattr(request.state, "principal", None)
    principal = cached or await authenticate(request, state)
    if principal is None:
        raise ApiError(401, "missing or invalid credentials", headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = principal
    limit = await state.limiter.hit(principal.rate_key, state.settings.rate_limit_per_minute)
    if not limit.allowed:
        raise ApiError(
            429,
            f"rate limit of {state.settings.rate_limit_per_minute} requests per minute reached",
            headers={"Retry-After": str(limit.retry_after_s)},
        )
    return principal


def workspace_access(needed: Scope) -> Any:
    """A dependency granting access to `{workspace_id}` for `needed` (404 if not a member, 403 if not allowed)."""

    async def dependency(
        workspace_id: Annotated[str, Path(min_length=1, max_length=64)],
        principal: Annotated[Principal, Depends(current_principal)],
        state: Annotated[AppState, Depends(app_state)],
    ) -> Access:
        if principal.key_workspace is not None and principal.key_workspace != workspace_id:
            raise ApiError(404, f"workspace {workspace_id} not found")
        role = await accounts.membership(state.db, workspace_id, principal.user_id)
        if role is None:
            raise ApiError(404, f"workspace {workspace_id} not found")
        if not allows(role, needed, principal.key_scopes):
            raise ApiError(403, f"this needs the {needed!r} permission; your role is {role}")
        return Access(principal, workspace_id, role)

    return Depends(dependency)
