"""API keys: `ctx_<prefix>_<secret>`, shown once, stored as a SHA-256 of the secret.

The prefix is looked up by index; the secret has 256 random bits, so a fast hash suffices (a
slow password hash would only slow every request down).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = ["NewApiKey", "hash_secret", "new_api_key", "secret_matches", "split_api_key"]

_MARK = "ctx"


@dataclass(frozen=True)
class NewApiKey:
    """A freshly made key: `token` is given to the user once; only `prefix` and the hash are kept."""

    token: str
    prefix: str
    secret_hash: str


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> NewApiKey:
    """Make a key."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    return NewApiKey(token=f"{_MARK}_{prefix}_{secret}", prefix=prefix, secret_hash=hash_secret(secret))


def split_api_key(token: str) -> tuple[str, str] | None:
    """`(prefix, secret)` of a well-formed key, else None."""
    mark, _, rest = token.partition("_")
    prefix, _, secret = rest.partition("_")
    if mark != _MARK or not prefix or not secret:
        return None
    return prefix, secret


def secret_matches(secret: str, secret_hash: str) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(hash_secret(secret), secret_hash)
