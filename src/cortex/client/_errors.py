"""Typed errors of the HTTP client, one per kind of answer."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "ApiError",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "NotFound",
    "RateLimited",
    "ServerError",
    "Unauthorized",
    "raise_for_answer",
]


class ApiError(Exception):
    """The server answered with an error (`{"error": {code, message, details}}`)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details


class Unauthorized(ApiError):
    """401: missing, invalid, expired or revoked credentials."""


class Forbidden(ApiError):
    """403: your role or key does not allow this."""


class NotFound(ApiError):
    """404: no such resource in a workspace of yours."""


class Conflict(ApiError):
    """409: the resource's state does not allow this now."""


class InvalidRequest(ApiError):
    """413/422: the request itself is wrong."""


class RateLimited(ApiError):
    """429: slow down; `retry_after` seconds."""

    retry_after: float = 1.0


class ServerError(ApiError):
    """5xx."""


_BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: InvalidRequest,
    422: InvalidRequest,
    429: RateLimited,
}


def raise_for_answer(response: httpx.Response) -> None:
    """Raise the typed error of an error answer; do nothing for a success."""
    if response.is_success:
        return
    try:
        error = response.json()["error"]
        code, message, details = error["code"], error["message"], error.get("details")
    except (ValueError, KeyError, TypeError):
        code, message, details = "error", response.text[:500] or response.reason_phrase, None
    kind = _BY_STATUS.get(response.status_code, ServerError if response.status_code >= 500 else ApiError)
    exc = kind(response.status_code, code, message, details)
    if isinstance(exc, RateLimited):
        exc.retry_after = float(response.headers.get("retry-after", "1"))
    raise exc
