"""How a workflow definition or execution shows itself: as a diagram in Jupyter, as DOT or a file in scripts.

Each method imports `conductor_nb.notebook.diagrams` when called, so importing the models stays light.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union


class DiagramDisplay:
    """`_repr_mimebundle_` (a diagram in Jupyter, never raising), `to_dot()` and `render(path)`."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        from ..notebook.diagrams import mimebundle

        return mimebundle(self, include, exclude)

    def to_dot(self, **options: Any) -> str:
        """The diagram as Graphviz DOT; `options` as for `conductor_nb.notebook.diagrams.to_dot`."""
        from ..notebook.diagrams import to_dot

        return to_dot(self, **options)

    def render(self, path: Union[str, os.PathLike], **options: Any) -> Path:
        """Write the diagram to `path` (.svg, .png, .jpg or .dot); `options` as for `diagrams.render`."""
        from ..notebook.diagrams import render

        return render(self, path, **options)
