"""Login, token refresh, the current user, and user creation by admins."""

from __future__ import annotations

import anyio
from fastapi import APIRouter

from cortex.api_models import LoginRequest, RefreshRequest, TokensOut, UserCreate, UserOut
from cortex.appdata import accounts
from cortex.auth import TokenPair, verify_password
from cortex.exceptions import UserError
from cortex.server._errors import ApiError
from cortex.server.routes._common import ERRORS, Caller, State

router = APIRouter(tags=["auth"], responses=ERRORS)


def _tokens(pair: TokenPair) -> TokensOut:
    return TokensOut(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


@router.post("/auth/login", response_model=TokensOut)
async def login(body: LoginRequest, state: State) -> TokensOut:
    """Exchange email and password for an access token and a refresh token."""
    user = await accounts.find_user_by_email(state.db, body.email)
    # Argon2 takes tens of milliseconds by design: off the event loop, so other requests go on.
    matches = await anyio.to_thread.run_sync(verify_password, user.password_hash if user else None, body.password)
    if not matches or user is None:
        raise ApiError(401, "wrong email or password")
    return _tokens(state.signer.issue(user.id))


@router.post("/auth/refresh", response_model=TokensOut)
async def refresh(body: RefreshRequest, state: State) -> TokensOut:
    """Exchange a refresh token for a fresh pair."""
    user_id = state.signer.user_of(body.refresh_token, "refresh")
    user = await accounts.get_user(state.db, user_id) if user_id else None
    if user is None:
        raise ApiError(401, "invalid or expired refresh token")
    return _tokens(state.signer.issue(user.id))


@router.get("/auth/me", response_model=UserOut)
async def me(caller: Caller, state: State) -> UserOut:
    """The authenticated user."""
    user = await accounts.get_user(state.db, caller.user_id)
    if user is None:
        raise ApiError(401, "the user no longer exists")
    return UserOut(id=user.id, email=user.email, is_admin=user.is_admin, created_at=user.created_at)


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(body: UserCreate, caller: Caller, state: State) -> UserOut:
    """Create a user (admins only; the first admin comes from `cortex users create --admin`)."""
    if not caller.is_admin:
        raise ApiError(403, "only an admin may create users")
    try:
        user = await accounts.create_user(state.db, body.email, body.password, admin=body.admin)
    except UserError as exc:
        raise ApiError(409 if "exists" in str(exc) else 422, str(exc)) from exc
    return UserOut(id=user.id, email=user.email, is_admin=user.is_admin, created_at=user.created_at)
