"""The HTTP contract: request and response bodies shared by the server, the client and the OpenAPI schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

__all__ = [
    "AgentOut",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyOut",
    "ApprovalDecision",
    "DeliveryOut",
    "ErrorBody",
    "EventOut",
    "EventsPage",
    "ForkRequest",
    "LoginRequest",
    "MemberAdd",
    "MemberOut",
    "MessageCreate",
    "RefreshRequest",
    "SessionCreate",
    "SessionOut",
    "SessionStateOut",
    "SessionsPageOut",
    "TerminateRequest",
    "TokensOut",
    "UserCreate",
    "UserOut",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookOut",
    "WorkspaceCreate",
    "WorkspaceOut",
]

Role = Literal["owner", "member", "viewer"]
Scope = Literal["read", "write", "admin"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """Every error answer."""

    error: ErrorDetail


class LoginRequest(_In):
    """Email and password."""

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(_In):
    """A refresh token from a login."""

    refresh_token: str = Field(min_length=1, max_length=4096)


class TokensOut(BaseModel):
    """Bearer tokens: send `Authorization: Bearer <access_token>`."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserCreate(_In):
    """A new user (admins only)."""

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=8, max_length=1024)
    admin: bool = False


class UserOut(BaseModel):
    """A user."""

    id: str
    email: str
    is_admin: bool
    created_at: datetime


class WorkspaceCreate(_In):
    """A new workspace; its creator becomes its owner."""

    name: str = Field(min_length=1, max_length=200)


class WorkspaceOut(BaseModel):
    """A workspace and the caller's role in it."""

    id: str
    name: str
    role: Role
    created_at: datetime


class MemberAdd(_In):
    """Add an existing user, or change their role."""

    email: str = Field(min_length=3, max_length=320)
    role: Role = "member"


class MemberOut(BaseModel):
    """A member of a workspace."""

    user_id: str
    email: str
    role: Role


class AgentOut(BaseModel):
    """An agent definition, as a client may see it."""

    name: str
    version: str
    instructions: str
    model: str | None
    tools: list[str]
    max_iterations: int


class SessionCreate(_In):
    """Start a session with an agent and its first message."""

    agent: str | None = Field(default=None, max_length=200, description="default: the server's default agent")
    message: str = Field(min_length=1, max_length=100_000)
    model: str | None = Field(default=None, max_length=500, description="a model for this session only")


class MessageCreate(_In):
    """Something the user says."""

    message: str = Field(min_length=1, max_length=100_000)


class TerminateRequest(_In):
    """Why the session is stopped."""

    reason: str = Field(default="terminated by operator", max_length=1000)


class ForkRequest(_In):
    """Copy a session up to a position into a new one, optionally with another model."""

    at_position: int = Field(ge=0, le=2**53)
    model: str | None = Field(default=None, max_length=500)


class ApprovalDecision(_In):
    """An operator's decision on a tool call awaiting approval."""

    tool_call_id: str = Field(min_length=1, max_length=200)
    comment: str | None = Field(default=None, max_length=2000)


class SessionOut(BaseModel):
    """A session as listed (from the `sessions` read model)."""

    id: str
    agent: str
    status: str
    parent_id: str | None
    user_messages: int
    llm_calls: int
    tool_calls: int
    input_tokens: int
    output_tokens: int
    version: int
    created_at: datetime
    last_activity: datetime | None


class SessionsPageOut(BaseModel):
    """A page of sessions; pass `next_cursor` as `cursor` for the next."""

    items: list[SessionOut]
    next_cursor: str | None


class SessionStateOut(BaseModel):
    """A session's current state, folded from its events."""

    id: str
    agent: str
    status: str
    version: int
    last_answer: str | None
    final_output: str | None
    completed_reason: str | None
    awaiting_approval: list[str]
    pending_tool_calls: list[str]
    user_messages: int
    llm_calls: int
    tool_calls_completed: int
    tool_calls_failed: int
    input_tokens: int
    output_tokens: int


class EventOut(BaseModel):
    """One stored event of a session."""

    position: int
    global_position: int
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    time: datetime


class EventsPage(BaseModel):
    """Events in stream order; ask again with `after=next_after` for more."""

    items: list[EventOut]
    next_after: int | None


class ApiKeyCreate(_In):
    """A new API key for the caller in this workspace."""

    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(default=["read", "write"], min_length=1)
    expires_at: datetime | None = None


class ApiKeyOut(BaseModel):
    """An API key's record (its secret is never shown again)."""

    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    """A new key: `token` is shown this once."""

    token: str


class WebhookCreate(_In):
    """Subscribe a URL to event types (`*` for every type)."""

    url: AnyHttpUrl
    event_types: list[str] = Field(min_length=1, max_length=50)


class WebhookOut(BaseModel):
    """A subscription (its secret is shown only at creation)."""

    id: str
    url: str
    event_types: list[str]
    created_at: datetime


class WebhookCreated(WebhookOut):
    """A new subscription with its signing secret."""

    secret: str


class DeliveryOut(BaseModel):
    """One delivery attempt record."""

    id: str
    event_id: str
    event_type: str
    status: Literal["pending", "delivered", "dead"]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
