"""Python client of the Cortex HTTP API (httpx; async and sync), with webhook signature checks."""

from cortex.client._async import AsyncClient, StreamItem
from cortex.client._errors import (
    ApiError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
)
from cortex.client._sync import Client
from cortex.webhooks._signing import SIGNATURE_HEADER, InvalidSignature, verify_signature

__all__ = [
    "SIGNATURE_HEADER",
    "ApiError",
    "AsyncClient",
    "Client",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "InvalidSignature",
    "NotFound",
    "RateLimited",
    "ServerError",
    "StreamItem",
    "Unauthorized",
    "verify_signature",
]
