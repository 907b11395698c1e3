"""HMAC-SHA256 signatures over timestamp and body (the scheme Stripe made familiar).

Header: `Cortex-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The
timestamp inside the signed text stops replays of an old delivery beyond the tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["SIGNATURE_HEADER", "InvalidSignature", "sign", "verify_signature"]

SIGNATURE_HEADER = "Cortex-Signature"


class InvalidSignature(Exception):
    """The delivery's signature is missing, malformed, wrong, or too old."""


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for a body."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify_signature(
    secret: str, header: str | None, body: bytes, *, tolerance_s: int = 300, now: float | None = None
) -> None:
    """Check a delivery came from Cortex; raises `InvalidSignature` if not.

    Args:
        secret: the webhook's secret (shown when it was created).
        header: the `Cortex-Signature` header.
        body: the raw request body, exactly as received.
        tolerance_s: how old a delivery may be.
        now: the current time (tests).
    """
    if not header:
        raise InvalidSignature(f"no {SIGNATURE_HEADER} header")
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError) as exc:
        raise InvalidSignature("the signature has no timestamp") from exc
    expected = _digest(secret, timestamp, body)
    if not hmac.compare_digest(expected, fields.get("v1", "")):
        raise InvalidSignature("the signature does not match the body")
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        raise InvalidSignature(f"the signature is older than {tolerance_s}s")
