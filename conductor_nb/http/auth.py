"""Orkes authentication for HttpConductor: a key id and secret exchanged for a token, sent on every call.

As the official SDK does: the token comes from POST /token, goes in the `X-Authorization` header, is renewed
after its time to live or when the server answers 401/403 with `error` EXPIRED_TOKEN or INVALID_TOKEN, and auth
is switched off for good when /token answers 404 (a Conductor OSS server has no auth).
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from ..config import AuthenticationSettings
from ..errors import AuthError
from .errors import error_body, error_from
from .response import Response

HEADER = "X-Authorization"
TOKEN_REJECTIONS = {"EXPIRED_TOKEN", "INVALID_TOKEN"}

# Sends POST /token with the given JSON body, unauthenticated, and returns the raw response.
TokenRequest = Callable[[dict], Response]


class TokenAuth:
    """The current token for one server and key; thread-safe, renewed at most once per rejection."""

    def __init__(self, settings: Optional[AuthenticationSettings], ttl_s: float, request_token: TokenRequest):
        self._settings = settings
        self._ttl_s = ttl_s
        self._request_token = request_token
        self._token: Optional[str] = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._settings is not None

    def headers(self) -> dict:
        """The auth header for the next call (fetching or renewing the token first if needed), or {}."""
        if self._settings is None:
            return {}
        with self._lock:
            if self._token is None or time.monotonic() - self._fetched_at > self._ttl_s:
                self._fetch()
            return {HEADER: self._token} if self._token else {}

    def rejected(self, response: Response) -> bool:
        """True if the server refused the call because of the token (so a new one may fix it)."""
        return (self._settings is not None and response.status_code in (401, 403)
                and error_body(response).get("error") in TOKEN_REJECTIONS)

    def renew(self, stale: dict) -> None:
        """Fetch a new token, unless another thread already replaced the `stale` one."""
        with self._lock:
            if self._settings is not None and stale.get(HEADER) == self._token:
                self._fetch()

    def _fetch(self) -> None:
        response = self._request_token({"keyId": self._settings.key_id, "keySecret": self._settings.key_secret})
        if response.status_code == 404:  # no /token: an OSS server, which needs no auth
            self._settings, self._token = None, None
            return
        if response.status_code in (401, 403):
            raise AuthError(f"the server refused key id {self._settings.key_id!r}: "
                            f"{error_body(response).get('message') or response.reason}")
        if not response.ok:
            raise error_from(response)
        token = error_body(response).get("token")
        if not token:
            raise AuthError("the server's /token answer has no token")
        self._token, self._fetched_at = token, time.monotonic()
