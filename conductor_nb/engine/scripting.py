"""JavaScript for INLINE, LAMBDA, SWITCH/DECISION and DO_WHILE, evaluated as Conductor's GraalJS ScriptEvaluator does.

Scripts run in V8 (mini-racer) inside sandbox worker processes: V8 can wedge in a builtin that ignores termination
or abort on a fatal out-of-memory, and neither may take the engine down. The worker pool here also serves `jq`.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import math
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable

TIMEOUT = 4.0  # seconds, Conductor's CONDUCTOR_SCRIPT_MAX_EXECUTION_SECONDS default
MEMORY_LIMIT = 64 * 2**20  # bytes of V8 heap


class ScriptError(Exception):
    """A script failed: a JavaScript error, its time limit or its memory limit."""


class ScriptTimeout(ScriptError):
    """A script ran out of time. Conductor raises a NonTransientException for this, not the TerminateWorkflowException
    of a script error: INLINE fails retryably (FAILED) rather than with FAILED_WITH_TERMINAL_ERROR."""


def evaluate(expression: str, bindings: dict, *, timeout: float = TIMEOUT, memory_limit: int = MEMORY_LIMIT) -> Any:
    """Run `expression` as a script with `$` bound to a copy of `bindings`, and return its completion value the way
    GraalJS hands it to Conductor: null and undefined as None, an integral number that fits a Java long as int,
    arrays and typed arrays as lists, Maps and other objects as dicts (own enumerable keys; a Date is {}).
    NaN and the infinities come back as the strings "NaN", "Infinity" and "-Infinity", as INLINE outputs them and
    as SWITCH matches them."""
    megabytes = f"{memory_limit / 2**20:g} MB"
    try:
        kind, payload = _JAVASCRIPT.call((expression, json.dumps(bindings), memory_limit), timeout)
    except WorkerTimedOut:
        raise ScriptTimeout(f"script timed out after {float(timeout)} s") from None
    except WorkerDied:
        raise ScriptError(f"script exceeded its memory limit of {megabytes} (V8 aborted)") from None
    except SandboxError as e:
        raise ScriptError(str(e)) from None
    if kind == "R":
        return json.loads(payload, parse_int=_java_number)
    if kind == "M":
        raise ScriptError(f"script exceeded its memory limit of {megabytes}")
    message, line = json.loads(payload)
    raise ScriptError(f"Error evaluating the script `{message}`" + (f" at line {line}" if line else ""))


def evaluate_lambda(script_expression: str, bindings: dict, **limits: Any) -> Any:
    """LAMBDA: `script_expression` is a function body, wrapped exactly as Conductor's Lambda task wraps it."""
    return evaluate("function scriptFun(){" + script_expression + "} scriptFun();", bindings, **limits)


def truthy(value: Any) -> bool:
    """DO_WHILE's rule (ScriptEvaluator.toBoolean): a boolean as is, a number if it is > 0, anything else false."""
    if isinstance(value, bool):
        return value
    return isinstance(value, (int, float)) and value > 0


def _java_number(text: str) -> int | float:
    """An integral JS number (a double) as GraalJS gives it to Java: an int or long when it fits, else a double."""
    value = int(text)
    if abs(value) <= 2**53:
        return value
    exact = float(text)  # JS printed the double's shortest digits: recover its exact value
    return int(exact) if -(2**63) <= exact < 2**63 else exact


# ---- Sandbox worker processes -------------------------------------------------------------------------------------

STARTUP_TIMEOUT = 60.0  # seconds for a worker to import its library and get ready; no request's clock runs meanwhile

# What a worker's environment keeps: enough to start Python, nothing secret (jq can read $ENV).
_ENVIRONMENT = ("PATH", "SYSTEMROOT", "TMP", "TEMP", "TMPDIR", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH")

# The engine package and its parents, by directory: a worker stands in empty packages for them, so importing its
# handler's module does not run their __init__ files (the whole SDK).
_ENGINE_DIRECTORY = os.path.dirname(os.path.abspath(__file__))
_PACKAGES = {__package__.rpartition(".")[0]: os.path.dirname(_ENGINE_DIRECTORY), __package__: _ENGINE_DIRECTORY}

_BOOT = """\
import importlib, json, sys, types
sys.path[:] = json.loads(sys.argv[1])
for name, path in json.loads(sys.argv[2]).items():
    sys.modules[name] = types.ModuleType(name)
    sys.modules[name].__path__ = [path]
importlib.import_module(sys.argv[3]).serve(sys.argv[4])
"""


class SandboxError(Exception):
    """A sandbox worker could not do its job."""


class WorkerTimedOut(SandboxError):
    """The worker overran its deadline and was killed."""


class WorkerDied(SandboxError):
    """The worker exited before answering: it crashed, or the pool was closed."""


class WorkerPool:
    """Sandbox processes that each load `handler` ("module:factory") and answer one request at a time.

    At most `size` run at once; a healthy worker is kept for the next request, one that overran or died is replaced.
    """

    def __init__(self, handler: str, size: int = min(8, max(2, os.cpu_count() or 2))) -> None:
        self._handler = handler
        self._size = size
        self._directory: str | None = None
        self._forget()
        atexit.register(self.close)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        """Start with no workers and fresh locks (also in a forked child: its parent's workers are not its own)."""
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()
        self._slots = threading.BoundedSemaphore(self._size)
        self._lock = threading.Lock()

    def call(self, request: Any, timeout: float) -> Any:
        """Send `request` to a worker and return its reply; raise WorkerTimedOut after `timeout` seconds."""
        with self._slots:
            worker = self._take()
            try:
                reply, reusable = worker.exchange(request, timeout)
            except BaseException:
                self._discard(worker)
                raise
            if reusable and not worker.timed_out:  # the watchdog may have struck just after the reply
                with self._lock:
                    self._idle.append(worker)
            else:
                self._discard(worker)
            return reply

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            workers, self._idle = list(self._live), []
        for worker in workers:
            self._discard(worker)
        if self._directory is not None:
            with contextlib.suppress(OSError):
                os.rmdir(self._directory)
            self._directory = None

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.poll() is None:
                    return worker
                self._live.discard(worker)
                worker.close()
            if self._directory is None:
                self._directory = tempfile.mkdtemp(prefix="conductor-nb-sandbox-")
            directory = self._directory
        worker = _Worker(self._handler, directory)
        with self._lock:
            self._live.add(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._live.discard(worker)
        worker.close()


class _Worker:
    """One sandbox process, spoken to in length-prefixed pickles over its stdin and stdout."""

    def __init__(self, handler: str, directory: str) -> None:
        self.timed_out = False
        environment = {name: value for name, value in os.environ.items() if name in _ENVIRONMENT}
        arguments = [json.dumps([str(entry) for entry in sys.path]), json.dumps(_PACKAGES), __name__, handler]
        try:
            # An empty working directory: jq resolves `import "name"` against it.
            self.process = subprocess.Popen([sys.executable, "-I", "-c", _BOOT, *arguments], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, cwd=directory, env=environment)
        except OSError as e:
            raise SandboxError(f"could not start a sandbox worker: {e}") from None
        try:
            self.exchange(None, STARTUP_TIMEOUT)  # the worker says it is ready
        except SandboxError:
            self.close()
            raise SandboxError(f"a sandbox worker for {handler} failed to start (see its error output)") from None

    def exchange(self, request: Any, timeout: float) -> Any:
        """Send `request` (None: only read) and read the reply; the watchdog kills the worker at the deadline."""
        _WATCHDOG.watch(self, timeout)
        try:
            if request is not None:
                _send(self.process.stdin, request)
            reply = _receive(self.process.stdout)
        except OSError:
            reply = None
        finally:
            _WATCHDOG.unwatch(self)
        if reply is None:
            raise WorkerTimedOut() if self.timed_out else WorkerDied("the sandbox worker exited before answering")
        return reply[0]

    def expire(self) -> None:
        self.timed_out = True
        self.process.kill()

    def close(self) -> None:
        with self.process:  # closes the pipes and reaps the process
            self.process.kill()


class _Watchdog:
    """One thread that kills workers overrunning their deadline: the only way to stop jq, which holds its worker's
    GIL, or a V8 wedged in a builtin."""

    def __init__(self) -> None:
        self._forget()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._wakeup = threading.Condition()
        self._deadlines: dict[_Worker, float] = {}
        self._next = math.inf  # when the thread wakes next: a later deadline needs no notify
        self._thread: threading.Thread | None = None

    def watch(self, worker: _Worker, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._wakeup:
            self._deadlines[worker] = deadline
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="conductor-nb-sandbox-watchdog", daemon=True)
                self._thread.start()
            elif deadline < self._next:
                self._wakeup.notify()

    def unwatch(self, worker: _Worker) -> None:
        with self._wakeup:
            self._deadlines.pop(worker, None)

    def _run(self) -> None:
        with self._wakeup:
            while True:
                now = time.monotonic()
                for worker, deadline in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[worker]
                        worker.expire()
                self._next = min(self._deadlines.values(), default=math.inf)
                self._wakeup.wait(None if self._next == math.inf else self._next - now)


_WATCHDOG = _Watchdog()


def _send(stream, message: Any) -> None:
    data = pickle.dumps((message,), pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(4, "little") + data)
    stream.flush()


def _receive(stream) -> tuple | None:
    """The next message as a 1-tuple, or None if the stream ends first."""
    header = stream.read(4)
    if len(header) < 4:
        return None
    size = int.from_bytes(header, "little")
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


def serve(handler: str) -> None:
    """A worker's main loop (in the sandbox process): build the handler, say ready, answer requests until stdin
    closes. A handler maps a request to (reply, whether this worker may serve again)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C (or a kernel interrupt) is for the engine's process
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # stray prints must not corrupt the replies
    module, factory = handler.split(":")
    handle: Callable[[Any], tuple[Any, bool]] = getattr(importlib.import_module(module), factory)()
    _send(replies, None)
    while (request := _receive(sys.stdin.buffer)) is not None:
        _send(replies, handle(request[0]))
    os._exit(0)  # skip interpreter teardown: a library's threads may be in any state


# ---- The JavaScript worker ----------------------------------------------------------------------------------------

# Runs once in each V8 isolate. `__conductor_nb_run(source, json, limit)` evaluates `source` by direct eval inside a
# function whose only parameter is `$`, so each evaluation gets a fresh scope for its var, let, const and function
# declarations, as a fresh GraalJS context would give it. It answers "<kind><clean><payload>": kind R (payload: the
# result as JSON), E (payload: [message, line]) or M (the result is larger than the memory limit); clean is "c", or
# "d" when the script changed a global or a builtin, and the isolate must be replaced. GraalJS has no timers: the
# ones mini-racer installs are removed, so nothing of a script can run after it returns.
_PRELUDE = r"""
var setTimeout = undefined, clearTimeout = undefined, __timer_manager = undefined;
const __conductor_nb_eval = ($, __conductor_nb_source) => eval(__conductor_nb_source);
var __conductor_nb_run = (() => {
  // The builtins used after a script ran, taken now: the script may have replaced them.
  const { parse, stringify } = JSON, { create, is, keys } = Object, { apply, ownKeys } = Reflect;
  const { isArray } = Array, { isView } = ArrayBuffer, { isFinite } = Number, { exec } = RegExp.prototype;
  const [SafeMap, SafeDataView, SafeError, SafeTypeError, SafeString, SafeNumber] =
    [Map, DataView, Error, TypeError, String, Number];
  const intrinsics = [Object, Array, String, Number, Boolean, Function, Date, RegExp, Promise, Map, Set, Math, JSON,
                      Symbol, BigInt, Error];
  const tracked = [...intrinsics, ...intrinsics.map((o) => o.prototype).filter(Boolean)];
  const fingerprint = () => {
    const print = [], names = ownKeys(globalThis);
    for (let i = 0; i < names.length; i++) print[print.length] = globalThis[names[i]];
    for (let i = 0; i < tracked.length; i++) print[print.length] = ownKeys(tracked[i]).length;
    return print;
  };
  let baseline;
  const clean = () => {
    const now = fingerprint();
    if (now.length !== baseline.length) return false;
    for (let i = 0; i < now.length; i++) if (!is(now[i], baseline[i])) return false;
    return true;
  };
  const open = [];  // the objects being copied, to refuse a cycle
  const plain = (value) => {
    if (value === null || value === undefined) return null;
    switch (typeof value) {
      case "boolean": case "string": return value;
      case "number": return isFinite(value) ? value : SafeString(value);  // as Java prints NaN and Infinity
      case "bigint": return SafeNumber(value);
    }
    for (let i = 0; i < open.length; i++) if (open[i] === value) throw new SafeTypeError("the result contains itself");
    open[open.length] = value;
    let copy;
    if (isArray(value) || (isView(value) && !(value instanceof SafeDataView))) {
      copy = [];
      for (let i = 0; i < value.length; i++) copy[i] = plain(value[i]);
    } else if (value instanceof SafeMap) {
      copy = create(null);
      for (const [key, item] of value) copy[SafeString(key)] = plain(item);
    } else {
      copy = create(null);
      const names = keys(value);
      for (let i = 0; i < names.length; i++) copy[names[i]] = plain(value[names[i]]);
    }
    open.length--;
    return copy;
  };
  const describe = (error) => {
    try { return SafeString(error); } catch { return "uncaught exception"; }
  };
  const lineOf = (error) => {
    const frame = error instanceof SafeError && typeof error.stack === "string"
      && apply(exec, /\(eval at __conductor_nb_eval \([^)]*\), <anonymous>:(\d+):\d+\)/, [error.stack]);
    return frame ? SafeNumber(frame[1]) : null;
  };
  return (source, input, limit) => {
    baseline ??= fingerprint();
    let kind, payload;
    try {
      open.length = 0;
      payload = stringify(plain(__conductor_nb_eval(parse(input), source))) ?? "null";
      kind = payload.length > limit ? "M" : "R";
    } catch (error) {
      kind = "E";
      payload = stringify([describe(error), lineOf(error)]);
    }
    return kind + (clean() ? "c" : "d") + payload;
  };
})();
"""


def _javascript() -> Callable[[tuple], tuple[tuple, bool]]:
    """The JavaScript worker's handler: one V8 isolate, replaced when a script leaves it changed."""
    from py_mini_racer import JSEvalException, JSOOMException, MiniRacer

    def new_isolate() -> MiniRacer:
        isolate = MiniRacer()
        isolate.eval(_PRELUDE)
        return isolate

    isolate = new_isolate()

    def handle(request: tuple) -> tuple[tuple, bool]:
        nonlocal isolate
        source, bindings, memory_limit = request
        isolate.set_hard_memory_limit(memory_limit)
        try:
            answer = isolate.eval(f"__conductor_nb_run({json.dumps(source)}, {json.dumps(bindings)}, {memory_limit})")
        except JSOOMException:
            return ("M", ""), False
        except JSEvalException as e:  # the runner itself failed: the isolate is in an unknown state
            return ("E", json.dumps([str(e), None])), False
        if answer[1] == "d":
            isolate.close()
            isolate = new_isolate()
        return (answer[0], answer[2:]), True

    return handle


_JAVASCRIPT = WorkerPool(f"{__name__}:_javascript")
