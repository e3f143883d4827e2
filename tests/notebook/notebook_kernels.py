"""A real Jupyter kernel (ipykernel through nbclient) that tests feed cells to one at a time."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

OUTPUT_TEXT_TYPES = ("text/plain", "text/html")


class Kernel:
    """A notebook being executed cell by cell on one kernel; `run(code)` returns the cell's outputs."""

    def __init__(self, workdir: Path, db: Path):
        self.db = db
        self.nb = nbformat.v4.new_notebook()
        self.nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        self.client = NotebookClient(self.nb, timeout=60, kernel_name="python3", allow_errors=False,
                                     resources={"metadata": {"path": str(workdir)}})
        self.env = {**os.environ, "CONDUCTOR_NB_DB": str(db), "PYTHONUNBUFFERED": "1"}
        self.env.pop("CONDUCTOR_SERVER_URL", None)
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Kernel:
        self._stack.enter_context(self.client.setup_kernel(env=self.env))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def run(self, code: str) -> list:
        cell = nbformat.v4.new_code_cell(code)
        self.nb.cells.append(cell)
        self.client.execute_cell(cell, len(self.nb.cells) - 1)
        return cell.outputs

    def shutdown(self) -> None:
        """Shut the kernel down the way a front-end does (a shutdown request, then wait for the process)."""
        self._stack.close()


def text(outputs: list) -> str:
    """Everything a reader sees in these outputs as text: streams, and text/plain of displays and results (a line
    each)."""
    parts = []
    for output in outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("display_data", "execute_result"):
            parts.append(str(output.data.get("text/plain", "")).rstrip("\n") + "\n")
        elif output.output_type == "error":
            parts.append("\n".join(output.traceback))
    return "".join(parts)


def mimetypes(outputs: list) -> set[str]:
    return {m for o in outputs if o.output_type in ("display_data", "execute_result") for m in o.data}
