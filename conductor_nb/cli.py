"""The `conductor-nb` command: look into the embedded engine's database from a shell, or serve it over REST."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from . import __version__
from .clients import MetadataClient, WorkflowClient
from .config import Configuration, resolve_db_path
from .errors import ConductorError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conductor-nb", description=__doc__)
    parser.add_argument("--version", action="version", version=f"conductor-nb {__version__}")
    parser.add_argument("--db", help="the SQLite file (default: $CONDUCTOR_NB_DB or ~/.conductor_nb/conductor.db)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("defs", help="list the registered workflow definitions")
    get = commands.add_parser("get", help="print a workflow execution as JSON")
    get.add_argument("workflow_id")
    _add_server_command(commands)
    args = parser.parse_args(argv)

    if args.command == "server":
        return _serve(args)
    configuration = Configuration(db_path=args.db)
    try:
        if args.command == "defs":
            for d in MetadataClient(configuration).get_all_workflow_defs():
                print(f"{d.name}\tv{d.version}\t{len(d.tasks or [])} tasks\t{d.description or ''}")
        elif args.command == "get":
            print(json.dumps(WorkflowClient(configuration).get_workflow(args.workflow_id).to_dict(), indent=2))
    except ConductorError as e:
        print(f"conductor-nb: {e}", file=sys.stderr)
        return 1
    return 0


def _add_server_command(commands) -> None:
    from .server.app import DEFAULT_TOKEN_TTL_S

    server = commands.add_parser(
        "server", help="serve the embedded engine over Conductor's REST API (stop with Ctrl-C or SIGTERM)",
        description="Serve the embedded engine under /api with Conductor's REST API, for curl, the official "
                    "SDKs and workers on other machines.")
    server.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: everywhere)")
    server.add_argument("--port", type=int, default=8080, help="the port (default 8080; 0 picks a free one)")
    server.add_argument("--db", default=argparse.SUPPRESS,
                        help="the SQLite file (default: $CONDUCTOR_NB_DB or ~/.conductor_nb/conductor.db)")
    server.add_argument("--auth", action="append", type=_key_pair, metavar="KEY:SECRET",
                        help="require Orkes-style tokens from POST /api/token for this key id and secret "
                             "(repeat for more keys); without it, no auth")
    server.add_argument("--token-ttl", type=float, default=DEFAULT_TOKEN_TTL_S, metavar="SECONDS",
                        help=f"how long a token stays valid (default {DEFAULT_TOKEN_TTL_S:g})")


def _key_pair(text: str) -> tuple[str, str]:
    key_id, _, secret = text.partition(":")
    if not key_id or not secret:
        raise argparse.ArgumentTypeError("expected KEY:SECRET")  # never echo the value: it holds a secret
    return key_id, secret


def _serve(args: argparse.Namespace) -> int:
    from .engine import Engine
    from .server.app import ConductorServer
    from .server.run import serve_until_signalled

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    db_path = resolve_db_path(args.db)
    engine = Engine(db_path)
    try:
        server = ConductorServer(engine, args.host, args.port, credentials=dict(args.auth or []),
                                 token_ttl_s=args.token_ttl)
    except OSError as e:
        engine.close()
        print(f"conductor-nb: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 1
    try:
        serve_until_signalled(server, db_path)
    finally:
        engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
