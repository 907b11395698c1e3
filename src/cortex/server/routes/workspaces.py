"""Workspaces and their members."""

from __future__ import annotations

from fastapi import APIRouter, Path, Response

from cortex.api_models import MemberAdd, MemberOut, WorkspaceCreate, WorkspaceOut
from cortex.appdata import accounts
from cortex.server._errors import ApiError
from cortex.server.routes._common import ERRORS, Caller, CanAdmin, CanRead, State

router = APIRouter(tags=["workspaces"], responses=ERRORS)


@router.get("/workspaces", response_model=list[WorkspaceOut])
async def list_workspaces(caller: Caller, state: State) -> list[WorkspaceOut]:
    """The caller's workspaces (an API key sees only its own)."""
    found = await accounts.workspaces_of(state.db, caller.user_id)
    return [
        WorkspaceOut(id=w.id, name=w.name, role=role, created_at=w.created_at)
        for w, role in found
        if caller.key_workspace is None or caller.key_workspace == w.id
    ]


@router.post("/workspaces", response_model=WorkspaceOut, status_code=201)
async def create_workspace(body: WorkspaceCreate, caller: Caller, state: State) -> WorkspaceOut:
    """Create a workspace owned by the caller (not with an API key: keys belong to one workspace)."""
    if caller.key_id is not None:
        raise ApiError(403, "an API key cannot create workspaces; log in as a user")
    workspace = await accounts.create_workspace(state.db, body.name, caller.user_id)
    return WorkspaceOut(id=workspace.id, name=workspace.name, role="owner", created_at=workspace.created_at)


@router.get("/workspaces/{workspace_id}", response_model=WorkspaceOut)
async def get_workspace(access: CanRead, state: State) -> WorkspaceOut:
    """One workspace."""
    workspace = await accounts.get_workspace(state.db, access.workspace_id)
    if workspace is None:
        raise ApiError(404, f"workspace {access.workspace_id} not found")
    return WorkspaceOut(id=workspace.id, name=workspace.name, role=access.role, created_at=workspace.created_at)


@router.get("/workspaces/{workspace_id}/members", response_model=list[MemberOut])
async def list_members(access: CanRead, state: State) -> list[MemberOut]:
    """The workspace's members and roles."""
    members = await accounts.list_members(state.db, access.workspace_id)
    return [MemberOut(user_id=m.user_id, email=m.email, role=m.role) for m in members]


@router.post("/workspaces/{workspace_id}/members", response_model=MemberOut, status_code=201)
async def add_member(body: MemberAdd, access: CanAdmin, state: State) -> MemberOut:
    """Add a user to the workspace or change their role (owners only)."""
    user = await accounts.find_user_by_email(state.db, body.email)
    if user is None:
        raise ApiError(422, f"no user with email {body.email}; an admin creates users first")
    await accounts.add_member(state.db, access.workspace_id, user.id, body.role)
    return MemberOut(user_id=user.id, email=user.email, role=body.role)


@router.delete("/workspaces/{workspace_id}/members/{user_id}", status_code=204)
async def remove_member(access: CanAdmin, state: State, user_id: str = Path(min_length=1, max_length=64)) -> Response:
    """Remove a member (owners only; an owner cannot remove themselves)."""
    if user_id == access.principal.user_id:
        raise ApiError(409, "you cannot remove yourself; another owner can")
    if not await accounts.remove_member(state.db, access.workspace_id, user_id):
        raise ApiError(404, f"user {user_id} is not a member")
    return Response(status_code=204)
