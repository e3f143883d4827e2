"""The `conductor-nb` command: look into the embedded engine's database from a shell."""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .clients import MetadataClient, WorkflowClient
from .config import Configuration
from .errors import ConductorError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conductor-nb", description=__doc__)
    parser.add_argument("--version", action="version", version=f"conductor-nb {__version__}")
    parser.add_argument("--db", help="the SQLite file (default: $CONDUCTOR_NB_DB or ~/.conductor_nb/conductor.db)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("defs", help="list the registered workflow definitions")
    get = commands.add_parser("get", help="print a workflow execution as JSON")
    get.add_argument("workflow_id")
    args = parser.parse_args(argv)

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


if __name__ == "__main__":
    sys.exit(main())
