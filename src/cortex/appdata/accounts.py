"""Users, workspaces and memberships."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from cortex.appdata._ids import new_id, utcnow
from cortex.appdata._tables import memberships, users, workspaces
from cortex.auth import Role, hash_password
from cortex.exceptions import UserError

__all__ = [
    "Membership",
    "User",
    "Workspace",
    "add_member",
    "create_user",
    "create_workspace",
    "find_user_by_email",
    "get_user",
    "get_workspace",
    "list_members",
    "membership",
    "remove_member",
    "workspaces_of",
]


@dataclass(frozen=True)
class User:
    """A person who can log in."""

    id: str
    email: str
    is_admin: bool
    created_at: datetime
    password_hash: str = ""


@dataclass(frozen=True)
class Workspace:
    """The unit of ownership: every session, key and webhook belongs to one."""

    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Membership:
    """A user's role in a workspace."""

    workspace_id: str
    user_id: str
    email: str
    role: Role


def _user(row: sa.Row[tuple[object, ...]]) -> User:
    m = row._mapping
    return User(m["id"], m["email"], m["is_admin"], m["created_at"], m["password_hash"])


async def create_user(db: AsyncEngine, email: str, password: str, *, admin: bool = False) -> User:
    """Create a user with a hashed password.

    Raises:
        UserError: the email is taken or the password is too short.
    """
    email = email.strip().lower()
    if "@" not in email:
        raise UserError(f"not an email address: {email!r}")
    if len(password) < 8:
        raise UserError("the password must have at least 8 characters")
    user = User(new_id(), email, admin, utcnow(), hash_password(password))
    async with db.begin() as conn:
        taken = await conn.scalar(sa.select(users.c.id).where(users.c.email == email))
        if taken is not None:
            raise UserError(f"a user with email {email} exists already")
        await conn.execute(
            users.insert().values(
                id=user.id,
                email=email,
                password_hash=user.password_hash,
                is_admin=admin,
                created_at=user.created_at,
            )
        )
    return user


async def find_user_by_email(db: AsyncEngine, email: str) -> User | None:
    """The user with this email, if any."""
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(users).where(users.c.email == email.strip().lower()))).first()
    return _user(row) if row else None


async def get_user(db: AsyncEngine, user_id: str) -> User | None:
    """The user with this id, if any."""
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).first()
    return _user(row) if row else None


async def create_workspace(db: AsyncEngine, name: str, owner_id: str) -> Workspace:
    """Create a workspace with its creator as owner."""
    workspace = Workspace(new_id(), name, utcnow())
    async with db.begin() as conn:
        await conn.execute(workspaces.insert().values(id=workspace.id, name=name, created_at=workspace.created_at))
        await conn.execute(memberships.insert().values(workspace_id=workspace.id, user_id=owner_id, role="owner"))
    return workspace


async def get_workspace(db: AsyncEngine, workspace_id: str) -> Workspace | None:
    """The workspace, if it exists."""
    async with db.connect() as conn:
        row = (await conn.execute(sa.select(workspaces).where(workspaces.c.id == workspace_id))).first()
    return Workspace(row.id, row.name, row.created_at) if row else None


async def workspaces_of(db: AsyncEngine, user_id: str) -> list[tuple[Workspace, Role]]:
    """The workspaces a user belongs to, with their role, oldest first."""
    query = (
        sa.select(workspaces, memberships.c.role)
        .join(memberships, memberships.c.workspace_id == workspaces.c.id)
        .where(memberships.c.user_id == user_id)
        .order_by(workspaces.c.created_at, workspaces.c.id)
    )
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [(Workspace(r.id, r.name, r.created_at), r.role) for r in rows]


async def membership(db: AsyncEngine, workspace_id: str, user_id: str) -> Role | None:
    """The user's role in the workspace, or None when not a member."""
    query = sa.select(memberships.c.role).where(
        memberships.c.workspace_id == workspace_id, memberships.c.user_id == user_id
    )
    async with db.connect() as conn:
        role: Role | None = await conn.scalar(query)
    return role


async def list_members(db: AsyncEngine, workspace_id: str) -> list[Membership]:
    """The members of a workspace."""
    query = (
        sa.select(memberships, users.c.email)
        .join(users, users.c.id == memberships.c.user_id)
        .where(memberships.c.workspace_id == workspace_id)
        .order_by(users.c.email)
    )
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Membership(r.workspace_id, r.user_id, r.email, r.role) for r in rows]


async def add_member(db: AsyncEngine, workspace_id: str, user_id: str, role: Role) -> None:
    """Add a member or change their role."""
    async with db.begin() as conn:
        updated = await conn.execute(
            memberships.update()
            .where(memberships.c.workspace_id == workspace_id, memberships.c.user_id == user_id)
            .values(role=role)
        )
        if updated.rowcount == 0:
            await conn.execute(memberships.insert().values(workspace_id=workspace_id, user_id=user_id, role=role))


async def remove_member(db: AsyncEngine, workspace_id: str, user_id: str) -> bool:
    """Remove a member; False when they were not one."""
    async with db.begin() as conn:
        deleted = await conn.execute(
            memberships.delete().where(memberships.c.workspace_id == workspace_id, memberships.c.user_id == user_id)
        )
    return deleted.rowcount > 0
