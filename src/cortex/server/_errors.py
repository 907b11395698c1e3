"""Every 4xx/5xx answer has one shape: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cortex.exceptions import (
    ConfigurationError,
    CortexError,
    ModelConfigurationError,
    NothingToApproveError,
    SessionNotFoundError,
    StoreUnavailableError,
    UnknownAgentError,
    UserError,
)

__all__ = ["ApiError", "error_body", "install_error_handlers"]

log = structlog.get_logger("cortex.server")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error answer: raise it anywhere in a route."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.details = details
        self.headers = headers


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON body of an error answer."""
    return {"error": {"code": code, "message": message, "details": details}}


def _answer(error: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.message, error.details), status_code=error.status, headers=error.headers
    )


def from_cortex_error(exc: CortexError) -> ApiError:
    """The HTTP meaning of an engine error."""
    if isinstance(exc, SessionNotFoundError):
        return ApiError(404, str(exc))
    if isinstance(exc, UnknownAgentError | ModelConfigurationError | NothingToApproveError):
        return ApiError(422, str(exc))
    if isinstance(exc, StoreUnavailableError):
        return ApiError(503, str(exc))
    if isinstance(exc, UserError):
        return ApiError(409 if "has ended" in str(exc) else 422, str(exc))
    if isinstance(exc, ConfigurationError):
        return ApiError(500, str(exc))
    return ApiError(500, "internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the one shape."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return _answer(exc)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = getattr(exc, "headers", None)
        return _answer(ApiError(exc.status_code, str(exc.detail), headers=headers))

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return _answer(ApiError(422, f"{where}: {first['msg']}" if where else str(first["msg"]), details=details))

    async def cortex_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CortexError)
        return _answer(from_cortex_error(exc))

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", error=f"{type(exc).__name__}: {exc}", exc_info=exc)
        return _answer(ApiError(500, "internal error; the server log has the details"))

    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(CortexError, cortex_error)
