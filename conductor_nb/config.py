"""Configuration: where the Conductor API lives. No server URL means the embedded engine on a SQLite file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

DEFAULT_DB_PATH = Path.home() / ".conductor_nb" / "conductor.db"
DB_ENV = "CONDUCTOR_NB_DB"


@dataclass(frozen=True)
class AuthenticationSettings:
    """An Orkes application's key id and secret, exchanged for a token at POST /api/token."""

    key_id: str
    key_secret: str


class Configuration:
    """Where the Conductor API is, with the official SDK's constructor.

    The server is `server_api_url`, else `base_url + "/api"`, else `$CONDUCTOR_SERVER_URL`. When none is set,
    clients use the embedded engine on the SQLite file `db_path`, else `$CONDUCTOR_NB_DB`, else
    `~/.conductor_nb/conductor.db` (`":memory:"` keeps everything in memory for this process). `clock` (embedded
    only) is the engine's time: a `FakeClock` makes hour-long WAITs, retries and timeouts testable in milliseconds.
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        debug: bool = False,
        authentication_settings: Optional[AuthenticationSettings] = None,
        server_api_url: Optional[str] = None,
        auth_token_ttl_min: int = 45,
        register_schema: Optional[bool] = None,
        log_level: Optional[str] = None,
        db_path: Optional[str | os.PathLike] = None,
        clock=None,
    ):
        if server_api_url:
            self.host: Optional[str] = server_api_url.rstrip("/")
        elif base_url:
            self.host = base_url.rstrip("/") + "/api"
        else:
            self.host = os.environ.get("CONDUCTOR_SERVER_URL", "").rstrip("/") or None
        if authentication_settings is None and os.environ.get("CONDUCTOR_AUTH_KEY"):
            authentication_settings = AuthenticationSettings(
                key_id=os.environ["CONDUCTOR_AUTH_KEY"], key_secret=os.environ.get("CONDUCTOR_AUTH_SECRET", "")
            )
        self.authentication_settings = authentication_settings
        self.debug = debug
        self.auth_token_ttl_min = auth_token_ttl_min
        self.register_schema = register_schema
        self.log_level = log_level or os.environ.get("CONDUCTOR_LOG_LEVEL")
        self.db_path = None if self.host else resolve_db_path(db_path)
        self.clock = clock  # for the embedded engine: a FakeClock lets tests move time by hand

    @property
    def embedded(self) -> bool:
        """True when calls go to the in-process engine rather than a server."""
        return self.host is None

    @property
    def ui_host(self) -> Optional[str]:
        """The Conductor UI's address: `$CONDUCTOR_UI_SERVER_URL`, else the server without `/api`."""
        env = os.environ.get("CONDUCTOR_UI_SERVER_URL")
        if env:
            return env
        if self.host is None:
            return None
        return self.host[: -len("/api")] if self.host.endswith("/api") else self.host

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Configuration):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def _identity(self) -> tuple:
        return (self.host, self.db_path, self.authentication_settings, id(self.clock) if self.clock else None)

    def __repr__(self) -> str:
        where = f"server={self.host!r}" if self.host else f"embedded db={self.db_path!r}"
        return f"Configuration({where})"


def resolve_db_path(db_path: Optional[str | os.PathLike]) -> str:
    """The embedded database's path: the argument, else $CONDUCTOR_NB_DB, else ~/.conductor_nb/conductor.db."""
    chosen = db_path if db_path is not None else os.environ.get(DB_ENV) or DEFAULT_DB_PATH
    if str(chosen) == ":memory:":
        return ":memory:"
    return str(Path(chosen).expanduser().resolve())
