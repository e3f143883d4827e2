"""One Conductor server over urllib3: pooled keep-alive connections, timeouts, retries with backoff, auth.

urllib3 directly, not requests: requests spends about half a millisecond of CPU per call on sessions, proxies
from the environment and hooks, several times the cost of the call itself on a local server.

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
from urllib.parse import urlencode

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as TimedOut

from ..config import AuthenticationSettings
from ..errors import ServerError
from .auth import TokenAuth
from .errors import error_from
from .response import Response
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
        self._pool = urllib3.PoolManager(num_pools=4, maxsize=pool_size, retries=False,
                                         headers={"Accept": "application/json, text/plain, */*"})
        self.auth = TokenAuth(authentication_settings, token_ttl_s, self._request_token)

    def close(self) -> None:
        self._pool.clear()

    def request(self, method: str, path: str, *, params: Optional[list] = None, json_body: Any = None,
                text_body: Optional[str] = None, wait_s: float = 0.0) -> Response:
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

    def _request_token(self, body: dict) -> Response:
        return self._send("POST", "/token", None, json.dumps(body).encode(), {"Content-Type": "application/json"},
                          0.0, retry_post=True)

    def _send(self, method: str, path: str, params: Optional[list], data: Optional[bytes], headers: dict,
              wait_s: float, retry_post: bool = False) -> Response:
        url = self.server_api_url + path + ("?" + urlencode(params) if params else "")
        timeout = urllib3.Timeout(connect=self.connect_timeout_s, read=self.read_timeout_s + wait_s)
        idempotent = method in IDEMPOTENT or retry_post
        attempt = 0
        while True:
            last = attempt >= self.retries
            try:
                answer = self._pool.request(method, url, body=data, headers=headers, timeout=timeout,
                                            redirect=False)
            except HTTPError as e:
                if last or not (idempotent or _never_sent(e)):
                    raise _unreachable(method, url, e) from e
                log.debug("%s %s failed (%s); retrying", method, url, _reason(e))
            else:
                response = Response(answer.status, answer.reason or "", answer.data)
                if last or not _worth_retrying(response.status_code, idempotent):
                    return response
                log.debug("%s %s answered %s; retrying", method, url, response.status_code)
            time.sleep(min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt) * random.uniform(0.5, 1.0))
            attempt += 1


def _unreachable(method: str, url: str, error: HTTPError) -> ServerError:
    unreachable = ServerError(f"{method} {url} failed: {_reason(error)}")
    unreachable.retryable = True
    return unreachable


def _worth_retrying(status: int, idempotent: bool) -> bool:
    return status == 503 or (idempotent and status in (502, 504))


def _never_sent(error: HTTPError) -> bool:
    """True when the request cannot have reached the server (so even a POST may be sent again)."""
    return isinstance(error, (NewConnectionError, ConnectTimeoutError))


def _reason(error: HTTPError) -> str:
    """A one-line cause, without urllib3's nested reprs."""
    if _never_sent(error):
        return "cannot connect"
    if isinstance(error, TimedOut):
        return "timed out"
    return "connection lost"
