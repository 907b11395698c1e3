"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "verify_password"]

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown email as slow as one with a wrong password.
_DUMMY = _hasher.hash("cortex-timing-equaliser")


def hash_password(password: str) -> str:
    """An Argon2id hash of the password, with its salt and parameters."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches (an absent hash costs the same time and fails)."""
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
