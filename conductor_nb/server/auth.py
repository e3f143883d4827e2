"""Orkes-style application keys: POST /api/token trades a key id and secret for a signed, expiring token.

Tokens are HS256 JWTs (`sub` = key id, `iat`, `exp`) signed with a key drawn when the server starts, so a restart
invalidates them all. A call without a good token gets Orkes's answer, 401 with `error` INVALID_TOKEN or
EXPIRED_TOKEN: exactly what makes the official SDKs (and HttpConductor) fetch a new token and retry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Callable, Optional

from ..errors import AuthError

EXPIRED = "EXPIRED_TOKEN"
INVALID = "INVALID_TOKEN"
_HEADER = {"alg": "HS256", "typ": "JWT"}


class TokenRejected(AuthError):
    """A missing, invalid or expired token; its body carries Orkes's `error` code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code

    def to_dict(self, instance: Optional[str] = None) -> dict:
        return {**super().to_dict(instance), "error": self.code}


class TokenIssuer:
    """Issues and checks tokens for a fixed set of key id -> secret pairs."""

    def __init__(self, credentials: dict[str, str], ttl_s: float, clock: Callable[[], float] = time.time):
        if not credentials:
            raise ValueError("TokenIssuer needs at least one key id and secret")
        self._credentials = dict(credentials)
        self.ttl_s = ttl_s
        self._clock = clock
        self._signing_key = secrets.token_bytes(32)

    @property
    def key_count(self) -> int:
        return len(self._credentials)

    def issue(self, key_id: str, key_secret: str) -> str:
        """A new token for a known key id and its secret; AuthError (401) otherwise."""
        expected = self._credentials.get(key_id)
        if expected is None or not hmac.compare_digest(expected.encode(), key_secret.encode()):
            raise AuthError("Invalid key id or secret")
        now = self._clock()
        payload = {"sub": key_id, "iat": int(now), "exp": round(now + self.ttl_s, 3)}
        signed = f"{_b64(json.dumps(_HEADER).encode())}.{_b64(json.dumps(payload).encode())}"
        return f"{signed}.{_b64(self._sign(signed))}"

    def check(self, token: Optional[str]) -> str:
        """The key id a token was issued to; TokenRejected if it is missing, forged, malformed or expired."""
        if not token:
            raise TokenRejected(INVALID, "Token cannot be null or empty")
        try:
            signed, signature = token.rsplit(".", 1)
            if not hmac.compare_digest(_unb64(signature), self._sign(signed)):
                raise ValueError("bad signature")
            payload = json.loads(_unb64(signed.split(".")[1]))
            key_id, expires = payload["sub"], float(payload["exp"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise TokenRejected(INVALID, "Invalid token") from None
        if key_id not in self._credentials:
            raise TokenRejected(INVALID, "Invalid token")
        if self._clock() >= expires:
            raise TokenRejected(EXPIRED, "Token has expired")
        return key_id

    def _sign(self, signed: str) -> bytes:
        return hmac.new(self._signing_key, signed.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
