"""Running the server in the foreground: serve until SIGTERM or Ctrl-C, then stop cleanly.

It logs one line when it starts (address, database, auth on or off) and one when it has stopped; never a secret
or a token.
"""

from __future__ import annotations

import logging
import signal
import threading

from .app import ConductorServer

log = logging.getLogger("conductor_nb.server")


def serve_until_signalled(server: ConductorServer, db_path: str) -> None:
    """Serve `server` (bound already) until SIGTERM or SIGINT; must run on the main thread."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    tokens = server.tokens
    auth = f"auth on ({tokens.key_count} key{'s' if tokens.key_count > 1 else ''}, tokens valid {tokens.ttl_s:g} s)" \
        if tokens else "auth off"
    log.info("conductor-nb server: serving %s (db %s, %s)", server.url, db_path, auth)
    stop.wait()
    server.stop()
    log.info("conductor-nb server: stopped")
