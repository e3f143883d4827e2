"""One HTTP exchange: route the request, check its token, read its parameters and body, call the service, and
write Conductor's reply (JSON without nulls, text/plain ids, empty 200s, 204s, ErrorResponse bodies)."""

from __future__ import annotations

import json
import logging
import socket
from http.server import BaseHTTPRequestHandler
from typing import Optional
from urllib.parse import parse_qs, urlsplit

from .. import __version__
from ..errors import ConductorError, ServerError, bad_request
from ..http.endpoints import Endpoint, Reply
from ..http.wire import to_json
from . import decode
from .routes import MethodNotAllowed, Router

log = logging.getLogger("conductor_nb.server")
access_log = logging.getLogger("conductor_nb.server.access")

JSON = "application/json"
TEXT = "text/plain;charset=UTF-8"
MAX_BODY_BYTES = 64 * 1024 * 1024
IDLE_TIMEOUT_S = 300  # an idle keep-alive connection is closed after this long
INSTANCE = socket.gethostname()  # error bodies name the server, as Conductor's do
ROUTER = Router()


class Unavailable(ServerError):
    """The server is stopping and takes no new requests (503; nothing was applied, so retrying is safe)."""

    status = 503
    retryable = True


class PayloadTooLarge(ConductorError):
    status = 413


class Handler(BaseHTTPRequestHandler):
    """Serves requests on one connection (HTTP/1.1 keep-alive) for the server's `service` and `traffic`."""

    protocol_version = "HTTP/1.1"
    server_version = f"conductor-nb/{__version__}"
    sys_version = ""
    timeout = IDLE_TIMEOUT_S
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no delayed-ACK stalls

    def setup(self) -> None:
        super().setup()
        self.server.traffic.opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.traffic.closed(self.connection)

    def log_message(self, format: str, *args) -> None:
        access_log.debug("%s " + format, self.address_string(), *args)

    def _serve(self) -> None:
        traffic = self.server.traffic
        admitted = traffic.begin()
        try:
            if admitted:
                self._exchange()
            else:
                self.close_connection = True
                self._send_error(Unavailable("The server is shutting down"))
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away or stalled: there is no one to answer
        finally:
            if admitted:
                traffic.end()

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def _exchange(self) -> None:
        url = urlsplit(self.path)
        try:
            raw = self._read_body()
            route, path_args = ROUTER.match(self.command, url.path)
            service = self.server.service
            if service.tokens is not None and not route.public:
                service.tokens.check(self.headers.get("X-Authorization"))
            kwargs = self._arguments(route.endpoint, path_args, parse_qs(url.query, keep_blank_values=True), raw)
            result = getattr(service, route.endpoint.op)(**kwargs)
        except ConductorError as e:
            self._send_error(e)
            return
        except (ConnectionError, TimeoutError):
            raise
        except Exception as e:  # a bug: answer as Conductor does (500), keep serving
            log.exception("%s %s failed", self.command, url.path)
            self._send_error(ServerError(str(e) or type(e).__name__))
            return
        self._send_result(route.endpoint, result)

    def _arguments(self, endpoint: Endpoint, path_args: dict, query: dict, raw: bytes) -> dict:
        args = {p.argument: decode.param(p, [path_args[p.name]]) for p in endpoint.path_params}
        args.update({p.argument: decode.param(p, query.get(p.name)) for p in endpoint.query_params})
        if endpoint.body is not None:
            args[endpoint.body.arg] = decode.body(endpoint.body, raw, self.headers.get("Content-Type", ""))
        return args

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise bad_request("Content-Length", "must be an integer", self.headers.get("Content-Length")) from None
        self._check_size(length)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks, total = [], 0
        while True:
            try:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                raise bad_request("Transfer-Encoding", "malformed chunked body") from None
            if size == 0:
                break
            total += size
            self._check_size(total)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline().strip():
            pass  # trailer fields
        return b"".join(chunks)

    def _check_size(self, size: int) -> None:
        if size > MAX_BODY_BYTES:
            self.close_connection = True
            raise PayloadTooLarge(f"The request body is larger than {MAX_BODY_BYTES} bytes")

    def _send_result(self, endpoint: Endpoint, result) -> None:
        reply = endpoint.reply
        if reply is Reply.NO_CONTENT or (reply is Reply.JSON_OR_NO_CONTENT and (result is None or result == [])):
            self._send(204)
        elif reply is Reply.VOID or result is None:  # Spring answers a null (or an empty Mono) with an empty 200
            self._send(200)
        elif reply is Reply.TEXT:
            self._send(200, ("" if result is None else str(result)).encode(), TEXT)
        else:
            self._send(200, _json(to_json(result)), JSON)

    def _send_error(self, error: ConductorError) -> None:
        headers = {"Allow": ", ".join(error.allowed)} if isinstance(error, MethodNotAllowed) else {}
        self._send(error.status, _json(error.to_dict(INSTANCE)), JSON, headers)

    def _send(self, status: int, body: bytes = b"", content_type: str = "", headers: Optional[dict] = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
