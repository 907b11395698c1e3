"""JWT access and refresh tokens (HS256), each with its expiry and kind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

__all__ = ["TokenPair", "TokenSigner"]

TokenKind = Literal["access", "refresh"]


@dataclass(frozen=True)
class TokenPair:
    """What a login or a refresh returns."""

    access_token: str
    refresh_token: str
    expires_in: int
    """Seconds the access token stays valid."""


@dataclass(frozen=True)
class TokenSigner:
    """Issues and checks tokens with one secret."""

    secret: str
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=7)
    issuer: str = "cortex"

    def issue(self, user_id: str) -> TokenPair:
        """A fresh access + refresh pair for a user."""
        return TokenPair(
            access_token=self._sign(user_id, "access", self.access_ttl),
            refresh_token=self._sign(user_id, "refresh", self.refresh_ttl),
            expires_in=int(self.access_ttl.total_seconds()),
        )

    def _sign(self, user_id: str, kind: TokenKind, ttl: timedelta) -> str:
        now = datetime.now(UTC)
        claims = {"sub": user_id, "kind": kind, "iat": now, "exp": now + ttl, "iss": self.issuer}
        claims["jti"] = uuid.uuid4().hex
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def user_of(self, token: str, kind: TokenKind) -> str | None:
        """The user id of a valid, unexpired token of that kind, else None."""
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=["HS256"], issuer=self.issuer, options={"require": ["exp", "sub"]}
            )
        except jwt.PyJWTError:
            return None
        subject = claims.get("sub")
        return subject if claims.get("kind") == kind and isinstance(subject, str) else None
