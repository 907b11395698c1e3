"""API keys of a workspace: made for the caller, shown once, revocable."""

from __future__ import annotations

from fastapi import APIRouter, Path

from cortex.api_models import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from cortex.appdata import api_keys
from cortex.appdata._ids import utcnow
from cortex.server._errors import ApiError
from cortex.server.routes._common import ERRORS, CanAdmin, CanRead, State

router = APIRouter(tags=["api keys"], responses=ERRORS)


def _out(key: api_keys.ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=sorted(key.scopes),
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
    )


@router.get("/workspaces/{workspace_id}/api-keys", response_model=list[ApiKeyOut])
async def list_keys(access: CanRead, state: State) -> list[ApiKeyOut]:
    """The workspace's keys (never their secrets)."""
    return [_out(k) for k in await api_keys.list_keys(state.db, access.workspace_id)]


@router.post("/workspaces/{workspace_id}/api-keys", response_model=ApiKeyCreated, status_code=201)
async def create_key(body: ApiKeyCreate, access: CanRead, state: State) -> ApiKeyCreated:
    """Make a key acting as the caller in this workspace; its token is shown only in this answer.

    A key never grants more than its creator's role: a viewer's key can only read.
    """
    if access.principal.key_id is not None:
        raise ApiError(403, "an API key cannot create API keys; log in as a user")
    if body.expires_at is not None and body.expires_at.tzinfo is None:
        raise ApiError(422, "expires_at needs a time zone (e.g. 2027-01-01T00:00:00Z)")
    if body.expires_at is not None and body.expires_at <= utcnow():
        raise ApiError(422, "expires_at is in the past")
    record, token = await api_keys.create_key(
        state.db,
        user_id=access.principal.user_id,
        workspace_id=access.workspace_id,
        name=body.name,
        scopes=frozenset(body.scopes),
        expires_at=body.expires_at,
    )
    return ApiKeyCreated(**_out(record).model_dump(), token=token)


@router.delete("/workspaces/{workspace_id}/api-keys/{key_id}", response_model=ApiKeyOut)
async def revoke_key(access: CanAdmin, state: State, key_id: str = Path(min_length=1, max_length=64)) -> ApiKeyOut:
    """Revoke a key at once (owners only); requests with it answer 401 from now on."""
    key = await api_keys.revoke_key(state.db, access.workspace_id, key_id)
    if key is None:
        raise ApiError(404, f"API key {key_id} not found")
    return _out(key)
