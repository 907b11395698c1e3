"""Credentials: password hashes, JWT access/refresh tokens, API keys, roles."""

from cortex.auth._keys import NewApiKey, hash_secret, new_api_key, secret_matches, split_api_key
from cortex.auth._passwords import hash_password, verify_password
from cortex.auth._roles import ROLES, Role, Scope, allows
from cortex.auth._tokens import TokenPair, TokenSigner

__all__ = [
    "ROLES",
    "NewApiKey",
    "Role",
    "Scope",
    "TokenPair",
    "TokenSigner",
    "allows",
    "hash_password",
    "hash_secret",
    "new_api_key",
    "secret_matches",
    "split_api_key",
    "verify_password",
]
