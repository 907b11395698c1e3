"""Shared route pieces: typed dependencies and the error responses every route may give."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from cortex.api_models import ErrorBody
from cortex.server._security import Access, Principal, current_principal, workspace_access
from cortex.server._state import AppState, app_state

__all__ = ["ERRORS", "Caller", "CanAdmin", "CanRead", "CanWrite", "State"]

State = Annotated[AppState, Depends(app_state)]
Caller = Annotated[Principal, Depends(current_principal)]
CanRead = Annotated[Access, workspace_access("read")]
CanWrite = Annotated[Access, workspace_access("write")]
CanAdmin = Annotated[Access, workspace_access("admin")]

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in {
        401: "Missing or invalid credentials",
        403: "Not allowed for this role or key",
        404: "Not found (or not in a workspace of yours)",
        409: "Conflict",
        413: "Body too large",
        422: "Invalid request",
        429: "Rate limited (see Retry-After)",
    }.items()
}
