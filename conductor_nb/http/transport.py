"""One Conductor server over requests: pooled keep-alive connections, timeouts, retries with backoff, auth.

Retries: a request that never reached the server (connection refused, connect timeout) or that the server
refused unapplied (503) is retried whatever its method; anything else failing in transit is retried only for
idempotent calls (GET, PUT, DELETE), never for a POST that may have been applied.
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Any, Optional

import requests
import urllib3
from requests.adapters import HTTPAdapter

from ..config import AuthenticationSettings
from ..errors import ServerError
from .auth import TokenAuth
from .errors import error_from
from .wire import to_json

log = logging.getLogger("conductor_nb.http")

IDEMPOTENT = {"GET", "PUT", "DELETE", "HEAD", "OPTIONS"}
BACKOFF_BASE_S = 0.1
BACKOFF_CAP_S = 2.0


class Transport:
    """Sends requests to `{server_api_url}{path}` and returns successful responses; errors raise ConductorError."""

    def __init__(self, server_api_url: str, authentication_settings: Optional[AuthenticationSettings] = None, *,
                 token_ttl_s: float = 45 * 60, connect_timeout_s: float = 5.0, read_timeout_s: float = 30.0,
                 retries: int = 3, pool_size: int = 64):
        self.server_api_url = server_api_url.rstrip("/")
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.retries = retries
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update({"Accept": "application/json, text/plain, */*"})
        self.auth = TokenAuth(authentication_settings, token_ttl_s, self._request_token)

    def close(self) -> None:
        self._session.close()

    def request(self, method: str, path: str, *, params: Optional[list] = None, json_body: Any = None,
                text_body: Optional[str] = None, wait_s: float = 0.0) -> requests.Response:
        """Send one call (the server may hold it `wait_s` seconds, e.g. a long poll) and return its 2xx response.

        A call refused for an expired or invalid token is sent once more with a new token.
        """
        if text_body is not None:
            data, content_type = text_body.encode(), "text/plain; charset=utf-8"
        elif json_body is not None:
            data, content_type = json.dumps(to_json(json_body)).encode(), "application/json"
        else:
            data, content_type = None, None
        headers = {"Content-Type": content_type} if content_type else {}
        auth = self.auth.headers()
        response = self._send(method, path, params, data, {**headers, **auth}, wait_s)
        if self.auth.rejected(response):
            self.auth.renew(auth)
            response = self._send(method, path, params, data, {**headers, **self.auth.headers()}, wait_s)
        if not response.ok:
            raise error_from(response)
        return response

    def _request_token(self, body: dict) -> requests.Response:
        return self._send("POST", "/token", None, json.dumps(body).encode(), {"Content-Type": "application/json"},
                          0.0, retry_post=True)

    def _send(self, method: str, path: str, params: Optional[list], data: Optional[bytes], headers: dict,
              wait_s: float, retry_post: bool = False) -> requests.Response:
        url = self.server_api_url + path
        timeout = (self.connect_timeout_s, self.read_timeout_s + wait_s)
        idempotent = method in IDEMPOTENT or retry_post
        attempt = 0
        while True:
            last = attempt >= self.retries
            try:
                response = self._session.request(method, url, params=params, data=data, headers=headers,
                                                 timeout=timeout)
            except requests.RequestException as e:
                if last or not (idempotent or _never_sent(e)):
                    raise _unreachable(method, url, e) from e
                log.debug("%s %s failed (%s); retrying", method, url, _reason(e))
            else:
                if last or not _worth_retrying(response.status_code, idempotent):
                    return response
                log.debug("%s %s answered %s; retrying", method, url, response.status_code)
            time.sleep(min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt) * random.uniform(0.5, 1.0))
            attempt += 1


def _unreachable(method: str, url: str, error: requests.RequestException) -> ServerError:
    unreachable = ServerError(f"{method} {url} failed: {_reason(error)}")
    unreachable.retryable = True
    return unreachable


def _worth_retrying(status: int, idempotent: bool) -> bool:
    return status == 503 or (idempotent and status in (502, 504))


def _never_sent(error: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (so even a POST may be sent again)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _reason(error: requests.RequestException) -> str:
    """A one-line cause, without urllib3's nested reprs."""
    if isinstance(error, requests.Timeout):
        return "timed out"
    if _never_sent(error):
        return "cannot connect"
    if isinstance(error, requests.ConnectionError):
        return "connection lost"
    return type(error).__name__
