"""ConductorServer: Conductor's REST API for a ConductorAPI (usually an Engine), on the standard library's
threading HTTP server (a thread per connection, so long polls never hold up other requests)."""

from __future__ import annotations

import socket
import threading
from http.server import ThreadingHTTPServer
from typing import Optional

from ..api import ConductorAPI
from . import openapi
from .auth import TokenIssuer
from .handler import Handler
from .routes import ROUTES
from .service import Service

DEFAULT_TOKEN_TTL_S = 3600.0
DEFAULT_GRACE_S = 15.0
SHUTDOWN_POLL_S = 0.05  # how often the accept loop looks for a stop request


class Traffic:
    """Open connections and requests in flight, so that stopping lets requests finish and then hangs up."""

    def __init__(self):
        self._changed = threading.Condition()
        self._connections: set[socket.socket] = set()
        self._in_flight = 0
        self._closing = False

    def opened(self, connection: socket.socket) -> None:
        with self._changed:
            self._connections.add(connection)

    def closed(self, connection: socket.socket) -> None:
        with self._changed:
            self._connections.discard(connection)

    def begin(self) -> bool:
        """Count a request in; False once closing (the request must be refused)."""
        with self._changed:
            if self._closing:
                return False
            self._in_flight += 1
            return True

    def end(self) -> None:
        with self._changed:
            self._in_flight -= 1
            self._changed.notify_all()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def close(self, grace_s: float) -> None:
        """Refuse new requests, wait up to `grace_s` for those in flight, then hang up every connection."""
        with self._changed:
            self._closing = True
            self._changed.wait_for(lambda: self._in_flight == 0, grace_s)
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already gone


class _HTTPServer(ThreadingHTTPServer):
    """The listening socket and connection threads, carrying what the handlers use."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address, service: Service, traffic: Traffic):
        self.service = service
        self.traffic = traffic
        super().__init__(address, Handler)


class ConductorServer:
    """Serves `api` under /api at http://host:port (port 0: any free port); `credentials` (key id -> secret)
    turn on Orkes-style token auth. Bound on construction; `start()` serves on a background thread."""

    def __init__(self, api: ConductorAPI, host: str = "127.0.0.1", port: int = 8080,
                 credentials: Optional[dict[str, str]] = None, token_ttl_s: float = DEFAULT_TOKEN_TTL_S):
        self._stopping = threading.Event()
        tokens = TokenIssuer(credentials, token_ttl_s) if credentials else None
        service = Service(api, self._stopping, tokens, lambda: openapi.document(ROUTES, secured=tokens is not None))
        self._traffic = Traffic()
        self._httpd = _HTTPServer((host, port), service, self._traffic)
        self._thread: Optional[threading.Thread] = None

    @property
    def host(self) -> str:
        return self._httpd.server_address[0]

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The API's base URL, e.g. `http://127.0.0.1:8080/api` (what CONDUCTOR_SERVER_URL should be)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/api"

    @property
    def in_flight(self) -> int:
        """How many requests are being served right now."""
        return self._traffic.in_flight

    @property
    def tokens(self) -> Optional[TokenIssuer]:
        """The token issuer when auth is on, else None."""
        return self._httpd.service.tokens

    def start(self) -> "ConductorServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(SHUTDOWN_POLL_S,),
                                        name="conductor-nb-server", daemon=True)
        self._thread.start()
        return self

    def stop(self, grace_s: float = DEFAULT_GRACE_S) -> None:
        """Stop accepting, end long polls early, let requests in flight finish (up to `grace_s`), close."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._traffic.close(grace_s)
        self._httpd.server_close()

    def __enter__(self) -> "ConductorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
