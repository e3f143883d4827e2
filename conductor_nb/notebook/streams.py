"""Where a cell worker's prints go: each worker thread writes to its own WorkerOutput, not to whichever cell
happens to be running.

In a kernel, `sys.stdout` and `sys.stderr` belong to the cell being executed, so a background thread's print
lands in an unrelated cell. `install()` puts a thread-routed stream in front of each: writes from a thread
bound to a WorkerOutput (`bind`) go there; every other write passes through untouched. A WorkerOutput keeps the
last lines (`.text`) and shows them in a view: an ipywidgets Output displayed in the cell that defined the worker,
or, without widgets, the original stream with a `[task name]` prefix on each line.
"""

from __future__ import annotations

import collections
import sys
import threading
import time
from typing import Any, Callable, Optional

MAX_LINES = 1000  # kept per worker
SHOWN_LINES = 200  # shown in a worker's widget
REFRESH_SECONDS = 0.1  # at most this often a widget is updated

_bound = threading.local()


class WorkerOutput:
    """One worker's output: complete lines kept in order with their stream name, and shown through a view."""

    def __init__(self, name: str, view: Optional[Callable[[list[tuple[str, str]]], None]] = None,
                 refresh_seconds: float = 0.0):
        self.name = name
        self._view = view
        self._refresh_seconds = refresh_seconds  # 0: show each line as it comes
        self._lines: collections.deque[tuple[str, str]] = collections.deque(maxlen=MAX_LINES)
        self._partial = {"stdout": "", "stderr": ""}
        self._lock = threading.RLock()
        self._last_refresh = 0.0
        self._timer: Optional[threading.Timer] = None
        self._dirty = False  # lines the view has not shown yet
        self._refreshing = False  # a view that writes (a warning, say) must not call itself again

    # -- writing --------------------------------------------------------------------------------------------------
    def write(self, stream: str, text: str) -> None:
        if not text:
            return
        with self._lock:
            pending = self._partial[stream] + text
            *lines, self._partial[stream] = pending.split("\n")
            for line in lines:
                self._lines.append((stream, line))
            if lines:
                self._dirty = True
                self._refresh_soon()

    def flush(self) -> None:
        """Show every complete line now (partial lines wait for their newline)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._refresh()

    def close(self) -> None:
        """Keep and show what is left, partial lines included."""
        with self._lock:
            for stream, rest in self._partial.items():
                if rest:
                    self._lines.append((stream, rest))
                    self._partial[stream] = ""
                    self._dirty = True
            self.flush()

    # -- reading --------------------------------------------------------------------------------------------------
    @property
    def lines(self) -> list[tuple[str, str]]:
        """The kept lines as (stream name, text), oldest first."""
        with self._lock:
            return list(self._lines)

    @property
    def text(self) -> str:
        """Everything kept, stdout and stderr interleaved as written."""
        return "".join(line + "\n" for _, line in self.lines)

    def __repr__(self) -> str:
        return f"<WorkerOutput {self.name!r}: {len(self._lines)} lines>"

    # -- showing --------------------------------------------------------------------------------------------------
    def _refresh_soon(self) -> None:
        wait = self._last_refresh + self._refresh_seconds - time.monotonic()
        if wait <= 0:
            self._refresh()
        elif self._timer is None:
            self._timer = threading.Timer(wait, self.flush)
            self._timer.daemon = True
            self._timer.start()

    def _refresh(self) -> None:
        if not self._dirty or self._refreshing:
            return
        self._last_refresh = time.monotonic()
        self._dirty = False
        if self._view is None:
            return
        self._refreshing = True
        try:
            self._view(list(self._lines))
        except Exception:  # a view that cannot show (closed widget, gone kernel) must not break the worker
            self._view = None
        finally:
            self._refreshing = False


def widget_view(output_widget: Any) -> Callable[[list[tuple[str, str]]], None]:
    """Show the last lines in an ipywidgets Output, consecutive lines of one stream merged into one entry."""

    def show(lines: list[tuple[str, str]]) -> None:
        entries: list[dict] = []
        for stream, line in lines[-SHOWN_LINES:]:
            if entries and entries[-1]["name"] == stream:
                entries[-1]["text"] += line + "\n"
            else:
                entries.append({"output_type": "stream", "name": stream, "text": line + "\n"})
        output_widget.outputs = tuple(entries)

    return show


def prefixed_view(name: str, streams: dict[str, Any],
                  parent: Optional[dict] = None) -> Callable[[list[tuple[str, str]]], None]:
    """Write each new line, prefixed `[name]`, to the original stream of its kind.

    In a kernel, `parent` (the header of the cell that defined the worker) is where the lines are sent, so that
    they never land in another cell, whichever thread writes them.
    """
    last: list = [None]  # the last line shown: the deque drops old lines, so new ones are found after it

    def show(lines: list[tuple[str, str]]) -> None:
        start = 0
        for i in range(len(lines) - 1, -1, -1):
            if lines[i] is last[0]:
                start = i + 1
                break
        for stream, line in lines[start:]:
            target = streams.get(stream)
            if target is None:
                continue
            pin = getattr(target, "set_thread_parent", None) if parent is not None else None
            token = pin(parent) if pin else None
            try:
                target.write(f"[{name}] {line}\n")
                target.flush()
            finally:
                if pin:
                    target.reset_thread_parent(token)
        if lines:
            last[0] = lines[-1]

    return show


# -- routing ------------------------------------------------------------------------------------------------------

class RoutedStream:
    """Stands in for sys.stdout or sys.stderr: a bound thread's writes go to its WorkerOutput, others pass on."""

    def __init__(self, name: str, original: Any):
        self._name = name
        self._original = original

    def write(self, text: str) -> int:
        output = getattr(_bound, "output", None)
        if output is None:
            return self._original.write(text)
        output.write(self._name, text)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if getattr(_bound, "output", None) is None:
            self._original.flush()

    def __getattr__(self, attr: str) -> Any:  # encoding, fileno, isatty, set_parent (ipykernel), ...
        return getattr(self._original, attr)


def install() -> None:
    """Route sys.stdout and sys.stderr per thread (idempotent)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, RoutedStream):
            setattr(sys, name, RoutedStream(name, stream))


def uninstall() -> None:
    """Put the original streams back, if ours are still the ones in place."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, RoutedStream):
            setattr(sys, name, stream._original)


def originals() -> dict[str, Any]:
    """The streams behind the routed ones (the kernel's own, in a kernel)."""
    found = {}
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        found[name] = stream._original if isinstance(stream, RoutedStream) else stream
    return found


def bind(output: Optional[WorkerOutput]) -> None:
    """Send this thread's prints to `output` (None: back to the ordinary streams)."""
    _bound.output = output
