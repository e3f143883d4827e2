"""JavaScript for INLINE, LAMBDA, SWITCH/DECISION and DO_WHILE, evaluated as Conductor's GraalJS ScriptEvaluator does.

Scripts run in V8 (mini-racer) inside sandbox worker processes: V8 can wedge in a builtin that ignores termination
or abort on a fatal out-of-memory, and neither may take the engine down. The worker pool here also serves `jq`.
An isolate serves many evaluations, and its built-ins are frozen when it is set up, so that none sees what another
changed (see _PRELUDE), as each has a fresh context in GraalJS.
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
SHORT_BUDGET = 0.1  # seconds: a request running longer gives up its pool slot and its worker's CPU priority

# What a worker's environment holds while it starts Python: nothing secret. It is emptied once the worker is ready,
# so jq's $ENV and env are {}.
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
importlib.import_module(sys.argv[3]).serve(sys.argv[4], int(sys.argv[5]))
"""


class SandboxError(Exception):
    """A sandbox worker could not do its job."""


class WorkerTimedOut(SandboxError):
    """The worker overran its deadline and was killed."""


class WorkerDied(SandboxError):
    """The worker exited before answering: it crashed, or the pool was closed."""

    def __init__(self, message: str, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode  # as Popen has it: -N when a signal N ended the worker; None if unknown


class WorkerPool:
    """Sandbox processes that each load `handler` ("module:factory") and answer one request at a time.

    At most `size` requests run at once in their first SHORT_BUDGET seconds: most take microseconds, so a caller
    finding every slot taken waits for one rather than start a process. A request that runs longer gives up its slot
    and its worker's CPU priority, so the caller behind it gets another worker. Up to `size` + 1 workers are kept
    warm: one spare beyond those the slots can hold, so when every slot's worker runs away, the next caller finds a
    ready worker after SHORT_BUDGET rather than wait for a start-up (a second or more on a loaded machine). Taking a
    worker while fewer than that live, or taking the last idle one, starts a spare in the background (one at a time);
    a caller that finds no idle worker waits for a spare nobody else waits for, or starts its own (start-ups hold no
    slot, so several runaways' replacements start side by side). At most `limit` workers live at once. A worker is
    closed after a request that overran, crashed or ran past SHORT_BUDGET, or when `size` + 1 workers are idle.
    """

    def __init__(self, handler: str, size: int = min(8, max(2, os.cpu_count() or 2)),
                 limit: int | None = None) -> None:
        self._handler = handler
        self._size = size
        self._warm = size + 1  # workers kept: one for each slot, and a spare
        self._limit = max(self._warm, max(8, 4 * size) if limit is None else limit)
        self._directory: str | None = None
        self._forget()
        atexit.register(self.close)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        """Start with no workers and fresh locks (also in a forked child: its parent's workers are not its own, and
        it must not hold their lifelines open)."""
        for worker in getattr(self, "_live", ()):
            worker.let_go()
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()
        self._starting = 0  # workers being started, each for a caller holding a slot
        self._spares = 0  # workers being started in the background, for the idle list
        self._claims = 0  # callers waiting for one of those spares
        self._running = 0  # slots held: requests in their first SHORT_BUDGET seconds
        self._generation = 0  # one more at each close(): a spare started before it is not kept
        self._changed = threading.Condition()

    def call(self, request: Any, timeout: float) -> Any:
        """Send `request` to a worker and return its reply; raise WorkerTimedOut after `timeout` seconds."""
        lease = self._acquire()
        _WATCHDOG.schedule(lease, SHORT_BUDGET, lambda: self._demote(lease))
        reusable = False
        try:
            reply, reusable = lease.worker.exchange(request, timeout)
        finally:
            _WATCHDOG.cancel(lease)  # from here on, the demotion has happened or never will
            self._release(lease, reusable)
        return reply

    def close(self) -> None:
        """Stop every worker."""
        with self._changed:
            workers, self._idle, self._live = list(self._live), [], set()
            self._generation += 1
            self._changed.notify_all()
        for worker in workers:
            worker.close()
        if self._directory is not None:
            with contextlib.suppress(OSError):
                os.rmdir(self._directory)
            self._directory = None

    def _acquire(self) -> _Lease:
        """A slot, and an idle worker, a spare being started or a new one."""
        with self._changed:
            claimed = False
            try:
                while True:
                    if claimed:  # decided afresh at each wake-up
                        self._claims -= 1
                        claimed = False
                    if self._running < self._size:
                        while self._idle:
                            worker = self._idle.pop()
                            if worker.process.poll() is None:
                                self._running += 1
                                if not self._idle or len(self._live) + self._starting < self._warm:
                                    self._start_spare()
                                return _Lease(worker)
                            self._live.discard(worker)
                            worker.close()
                        if self._spares > self._claims:
                            self._claims += 1
                            claimed = True
                        elif len(self._live) + self._starting + self._spares < self._limit:
                            break
                    self._changed.wait()
            finally:
                if claimed:
                    self._claims -= 1
            self._starting += 1  # (a start-up holds no slot: runaways' replacements start side by side)
            directory = self._workspace()
        try:
            worker = _Worker(self._handler, directory)
        except BaseException:
            with self._changed:
                self._starting -= 1
                self._changed.notify_all()
            raise
        with self._changed:
            self._starting -= 1
            self._running += 1
            self._live.add(worker)
        return _Lease(worker)

    def _workspace(self) -> str:
        """The workers' empty working directory (with the lock held)."""
        if self._directory is None:
            self._directory = tempfile.mkdtemp(prefix="conductor-nb-sandbox-")
        return self._directory

    def _start_spare(self) -> None:
        """With the lock held: start a worker in the background, unless one is being started or `limit` live."""
        if self._spares or len(self._live) + self._starting + self._spares >= self._limit:
            return
        self._spares += 1
        generation, directory = self._generation, self._workspace()

        def start() -> None:
            worker = None
            try:
                worker = _Worker(self._handler, directory)
            except Exception:  # a caller starting its own worker will see why
                pass
            with self._changed:
                self._spares -= 1  # whatever happened: callers wait for a spare only while this is > 0
                if worker is not None and generation == self._generation and len(self._idle) < self._warm:
                    self._live.add(worker)
                    self._idle.append(worker)
                    worker = None
                self._changed.notify_all()
            if worker is not None:
                worker.close()

        try:
            threading.Thread(target=start, name="conductor-nb-sandbox-spare", daemon=True).start()
        except RuntimeError:  # no new threads at interpreter shutdown
            self._spares -= 1

    def _demote(self, lease: _Lease) -> None:
        """The request has run SHORT_BUDGET seconds (on the watchdog's thread): free its slot for another worker and
        lower its worker's CPU priority, so a runaway spinning there leaves the cores to the engine and the others."""
        with self._changed:
            if not lease.running:
                return
            lease.running = False
            self._running -= 1
            self._changed.notify_all()
        lease.worker.deprioritize()

    def _release(self, lease: _Lease, reusable: bool) -> None:
        worker = lease.worker
        with self._changed:
            if lease.running:
                lease.running = False
                self._running -= 1
            else:
                reusable = False  # demoted: its priority cannot be raised again
            if reusable and not worker.timed_out and worker in self._live and len(self._idle) < self._warm:
                self._idle.append(worker)  # (the watchdog may have struck just after the reply: timed_out)
                worker = None
            else:
                self._live.discard(worker)
            self._changed.notify_all()
        if worker is not None:
            worker.close()


class _Lease:
    """One request's hold on a worker, and on a pool slot while `running` (in its first SHORT_BUDGET seconds)."""

    __slots__ = ("worker", "running")

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker
        self.running = True


class _Worker:
    """One sandbox process, spoken to in length-prefixed pickles over its stdin and stdout. It also holds the read end
    of a lifeline pipe whose only write end is in this process: when this process ends, however it ends, the kernel
    closes that write end and the worker dies (see _tie_to_engine)."""

    def __init__(self, handler: str, directory: str) -> None:
        self.timed_out = False
        self._lifeline = -1
        environment = {name: value for name, value in os.environ.items() if name in _ENVIRONMENT}
        arguments = [json.dumps([str(entry) for entry in sys.path]), json.dumps(_PACKAGES), __name__, handler]
        reader = -1
        try:
            if os.name == "posix":
                reader, self._lifeline = os.pipe()  # not inheritable: no other child of this process gets the end
            # An empty working directory: jq resolves `import "name"` against it.
            self.process = subprocess.Popen([sys.executable, "-I", "-c", _BOOT, *arguments, str(reader)],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=directory,
                                            env=environment, pass_fds=(reader,) if reader >= 0 else ())
        except OSError as e:
            self.let_go()
            raise SandboxError(f"could not start a sandbox worker: {e}") from None
        finally:
            if reader >= 0:
                os.close(reader)
        try:
            self.exchange(None, STARTUP_TIMEOUT)  # the worker says it is ready
        except SandboxError:
            self.close()
            raise SandboxError(f"a sandbox worker for {handler} failed to start (see its error output)") from None

    def exchange(self, request: Any, timeout: float) -> Any:
        """Send `request` (None: only read) and read the reply; the watchdog kills the worker at the deadline."""
        _WATCHDOG.schedule(self, timeout, self.expire)
        try:
            if request is not None:
                _send(self.process.stdin, request)
            reply = _receive(self.process.stdout)
        except OSError:
            reply = None
        finally:
            _WATCHDOG.cancel(self)
        if reply is None:
            if self.timed_out:
                raise WorkerTimedOut()
            returncode = None
            with contextlib.suppress(subprocess.TimeoutExpired):
                returncode = self.process.wait(1)
            raise WorkerDied("the sandbox worker exited before answering", returncode)
        return reply[0]

    def expire(self) -> None:
        self.timed_out = True
        self.process.kill()

    def deprioritize(self) -> None:
        """Lower the worker's CPU priority to the least (for good: raising it again takes privileges)."""
        if self.process.returncode is None:  # not reaped: the pid is still the worker's
            with contextlib.suppress(OSError, AttributeError):
                os.setpriority(os.PRIO_PROCESS, self.process.pid, 19)

    def let_go(self) -> None:
        """Close this process's end of the lifeline (the worker dies of it)."""
        lifeline, self._lifeline = self._lifeline, -1
        if lifeline >= 0:
            with contextlib.suppress(OSError):
                os.close(lifeline)

    def close(self) -> None:
        with self.process:  # closes the pipes and reaps the process
            self.process.kill()
        self.let_go()


class _Watchdog:
    """One thread that acts at deadlines: it kills workers overrunning theirs (the only way to stop jq, which holds
    its worker's GIL, or a V8 wedged in a builtin) and demotes requests running past SHORT_BUDGET. Actions run under
    the watchdog's lock: once cancel() returns, the action has run or never will."""

    def __init__(self) -> None:
        self._forget()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._wakeup = threading.Condition()
        self._due: dict[object, tuple[float, Callable[[], None]]] = {}
        self._next = math.inf  # when the thread wakes next: a later deadline needs no notify
        self._thread: threading.Thread | None = None

    def schedule(self, key: object, seconds: float, action: Callable[[], None]) -> None:
        """Run `action` in `seconds` unless `key` is cancelled first (a key has one action at a time)."""
        deadline = time.monotonic() + seconds
        with self._wakeup:
            self._due[key] = (deadline, action)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="conductor-nb-sandbox-watchdog", daemon=True)
                self._thread.start()
            elif deadline < self._next:
                self._wakeup.notify()

    def cancel(self, key: object) -> None:
        with self._wakeup:
            self._due.pop(key, None)

    def _run(self) -> None:
        with self._wakeup:
            while True:
                now = time.monotonic()
                for key, (deadline, action) in list(self._due.items()):
                    if deadline <= now:
                        del self._due[key]
                        with contextlib.suppress(Exception):  # (a process already gone)
                            action()
                self._next = min((deadline for deadline, _ in self._due.values()), default=math.inf)
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


def serve(handler: str, lifeline: int = -1) -> None:
    """A worker's main loop (in the sandbox process): tie its life to the engine's, build the handler, say ready,
    answer requests until stdin closes. A handler maps a request to (reply, whether this worker may serve again).
    The process never runs interpreter teardown, where a library's threads (V8's) could hang it: it leaves by
    os._exit, on an error at start-up too."""
    try:
        import signal

        _tie_to_engine(lifeline)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C (or a kernel interrupt) is for the engine's process
        with contextlib.suppress(ImportError, OSError, ValueError):
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a sandbox aborting out of memory dumps no core
        replies = os.fdopen(os.dup(1), "wb")
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # stray prints must not corrupt the replies
        module, factory = handler.split(":")
        handle: Callable[[Any], tuple[Any, bool]] = getattr(importlib.import_module(module), factory)()
        os.environ.clear()  # (unsetenv: jq's $ENV and env read the C environment)
        _send(replies, None)
        while (request := _receive(sys.stdin.buffer)) is not None:
            _send(replies, handle(request[0]))
    except BaseException:
        with contextlib.suppress(BaseException):
            import traceback

            traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _tie_to_engine(lifeline: int) -> None:
    """Die with the engine. The engine holds the only write end of the `lifeline` pipe, and the kernel closes it
    however the engine ends (SIGKILL and the OOM killer included). On Linux the kernel then sends this process
    SIGKILL (O_ASYNC with F_SETSIG), which works even while jq holds the GIL or V8 spins; elsewhere a thread waits
    for the end of the pipe. (PR_SET_PDEATHSIG would not do: it fires when the engine *thread* that started the
    worker ends, and that is whichever thread first needed a worker.)"""
    if lifeline < 0:
        return
    import fcntl
    import select
    import signal

    try:
        fcntl.fcntl(lifeline, fcntl.F_SETOWN, os.getpid())
        fcntl.fcntl(lifeline, fcntl.F_SETSIG, signal.SIGKILL)
        fcntl.fcntl(lifeline, fcntl.F_SETFL, fcntl.fcntl(lifeline, fcntl.F_GETFL) | os.O_ASYNC)
    except (AttributeError, OSError):  # not Linux

        def wait_for_the_end() -> None:
            with contextlib.suppress(OSError):
                os.read(lifeline, 1)  # nobody writes: it returns when the engine is gone
            os._exit(1)

        threading.Thread(target=wait_for_the_end, name="conductor-nb-lifeline", daemon=True).start()
        return
    if select.select([lifeline], [], [], 0)[0]:  # readable means ended: the engine went before the signal was set
        os._exit(1)


# Landlock's system calls (the same numbers on these architectures) and its access rights
_LANDLOCK_MACHINES = ("x86_64", "amd64", "aarch64", "arm64", "riscv64", "ppc64le", "ppc64", "s390x")
_LANDLOCK_CREATE_RULESET, _LANDLOCK_RESTRICT_SELF = 444, 446
_PR_SET_NO_NEW_PRIVS = 38


def forbid_file_access() -> bool:
    """In a sandbox process, once its libraries are loaded: from now on it may open no file, list no directory and
    run no program, whatever path it names (Linux 5.13+ Landlock; the files it holds open stay usable); on ABI 4+
    it may not bind or connect TCP sockets either. Return whether the kernel applied it."""
    import platform

    if not sys.platform.startswith("linux") or platform.machine().lower() not in _LANDLOCK_MACHINES:
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(ctypes.c_long(_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return False
    filesystem = (1 << 13) - 1  # ABI 1: execute, read/write files, read directories, remove and make anything
    for version, right in ((2, 1 << 13), (3, 1 << 14), (5, 1 << 15)):  # refer, truncate, ioctl_dev
        if abi >= version:
            filesystem |= right
    attributes = (ctypes.c_uint64 * 2)(filesystem, 3 if abi >= 4 else 0)  # handled fs, handled net (bind, connect)
    size = 16 if abi >= 4 else 8
    ruleset = libc.syscall(ctypes.c_long(_LANDLOCK_CREATE_RULESET), ctypes.byref(attributes), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    try:  # no rule added: every handled access is denied
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return libc.syscall(ctypes.c_long(_LANDLOCK_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) == 0
    finally:
        os.close(ruleset)


# ---- The JavaScript worker ----------------------------------------------------------------------------------------

# Runs once in each V8 isolate, and hands back its inbox: an array only the runner can reach. The worker puts each
# request there as data, the JSON text [source, limit, bindings], then evaluates the fixed `__conductor_nb_run()`:
# the source of what V8 compiles never holds a request, so an evaluation compiles nothing new (V8 caches the fixed
# call, and the direct eval of a source it has seen), and repeated evaluations do not accumulate compiled scripts.
# The runner evaluates the request's source by direct eval inside a function whose only parameter is `$`, so each
# evaluation gets a fresh scope for its var, let, const and function declarations, as a fresh GraalJS context would
# give it. It answers "<kind><clean><payload>": kind R (payload: the result as JSON), E (payload: [message, line]),
# M (the result is larger than the memory limit) or X (nothing ran: the isolate was left changed, see below); clean
# is "c", or "d" when the isolate must be replaced. GraalJS has no timers: the ones mini-racer installs are removed,
# so nothing of a script can run after it returns.
#
# Isolation: GraalJS gives each evaluation a fresh context; here the prelude ends with a lockdown (as SES's does),
# so every evaluation starts from pristine built-ins at no cost per evaluation. Every object reachable from the
# global object and the hidden intrinsics (iterator and generator prototypes, ...), through properties, accessors
# and prototypes, is frozen, and the global object's own properties are made read-only. The global object stays
# extensible, so a sloppy script's implicit globals (`for (i = 0; ...)`) work: the runner deletes what a script
# added before and after each evaluation (before too: a promise job runs after the runner returns), and asks for
# a new isolate if it cannot. Left are the legacy RegExp statics (RegExp.$1, lastMatch), which the runner resets.
# Freezing a prototype would stop a script from assigning a property that an object inherits from it (the
# "override mistake": `counts[word] = 1` for the word "toString", `this.name = ...` in an Error subclass), so those
# properties become accessors whose setter gives the object its own property: all of Object.prototype's, and
# toString, toLocaleString, valueOf, toJSON, name and message elsewhere (not `constructor` there: V8 takes
# Array.prototype.constructor as an accessor to mean map() and its kin must look up a species, several times
# slower). Assigning to a built-in itself throws a TypeError from such a setter; elsewhere it fails as it does on
# any frozen object (a TypeError in strict code, ignored in sloppy code).
_PRELUDE = r"""
var setTimeout = undefined, clearTimeout = undefined, __timer_manager = undefined;
// Conductor hands GraalJS scripts Java Lists with host access, so scripts written for it call list.get(i) and
// list.size(): arrays answer those too (not enumerable: for-in, JSON and the results are unchanged).
Object.defineProperty(Array.prototype, "get", { value: function get(i) { return this[i]; }, writable: true,
                                                configurable: true });
Object.defineProperty(Array.prototype, "size", { value: function size() { return this.length; }, writable: true,
                                                 configurable: true });
const __conductor_nb_eval = ($, __conductor_nb_source) => eval(__conductor_nb_source);
(() => {
  "use strict";
  // The builtins the runner uses, taken before any script ran (and frozen below).
  const { parse, stringify } = JSON, { create, defineProperty, freeze, getOwnPropertyDescriptor, getPrototypeOf,
    keys } = Object, { apply, deleteProperty, ownKeys } = Reflect;
  const { isArray } = Array, { isView } = ArrayBuffer, { isFinite } = Number, { exec } = RegExp.prototype;
  const [SafeMap, SafeSet, SafeDataView, SafeError, SafeTypeError, SafeString, SafeNumber] =
    [Map, Set, DataView, Error, TypeError, String, Number];
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
  let globals, count;  // the global object's own keys after the lockdown
  const tidy = () => {  // delete the globals a script added; false if one cannot be deleted
    let names = ownKeys(globalThis);
    if (names.length === count) return true;
    for (let i = 0; i < names.length; i++) if (!globals.has(names[i])) deleteProperty(globalThis, names[i]);
    return ownKeys(globalThis).length === count;
  };
  const inbox = [];
  globalThis.__conductor_nb_run = () => {
    if (!tidy()) return "Xd";
    const request = parse(inbox[0]);
    inbox[0] = undefined;
    const source = request[0], limit = request[1];
    let kind, payload;
    try {
      open.length = 0;
      payload = stringify(plain(__conductor_nb_eval(request[2], source))) ?? "null";
      kind = payload.length > limit ? "M" : "R";
    } catch (error) {
      kind = "E";
      payload = stringify([describe(error), lineOf(error)]);
    }
    apply(exec, /(?:)/, [""]);  // RegExp.$1, lastMatch and their kin: what the script's last match found
    return kind + (tidy() ? "c" : "d") + payload;
  };

  // The lockdown: find the intrinsics, make their inherited properties overridable, freeze them.
  const hidden = [function* () {}, async function () {}, async function* () {}, [][Symbol.iterator](),
                  new Map().entries(), new Set().values(), ""[Symbol.iterator](), "a".matchAll(/a/g)];
  if (typeof Iterator === "function") hidden.push(Iterator.from({ next() {} }), [].values().map((x) => x));
  if (typeof Intl === "object" && Intl.Segmenter) {
    const segments = new Intl.Segmenter().segment("");
    hidden.push(segments, segments[Symbol.iterator]());
  }
  const found = new SafeSet(), queue = [globalThis, ...hidden.map(getPrototypeOf)];
  while (queue.length) {
    const object = queue.pop();
    if ((typeof object !== "object" && typeof object !== "function") || object === null || found.has(object)) continue;
    found.add(object);
    queue.push(getPrototypeOf(object));
    for (const key of ownKeys(object)) {
      const property = getOwnPropertyDescriptor(object, key);
      queue.push(property.value, property.get, property.set);
    }
  }
  found.delete(globalThis);
  const overridable = new SafeSet(["toString", "toLocaleString", "valueOf", "toJSON", "name", "message"]);
  const accessors = [];
  for (const home of found) {
    for (const key of ownKeys(home)) {
      const property = getOwnPropertyDescriptor(home, key);
      if (!property.writable || !property.configurable) continue;  // (an accessor has no `writable`)
      if (home !== Object.prototype && !overridable.has(key)) continue;
      const value = property.value;
      const { get, set } = {
        get() { return value; },
        set(next) {
          if (this === home) {
            throw new SafeTypeError(`Cannot assign to read only property '${SafeString(key)}' of a built-in object`);
          }
          if ((typeof this === "object" && this !== null) || typeof this === "function") {
            defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
          }
        },
      };
      defineProperty(home, key, { get, set, enumerable: property.enumerable, configurable: false });
      accessors.push(get, set);
    }
  }
  for (const accessor of accessors) freeze(accessor);
  for (const object of found) freeze(object);
  for (const key of ownKeys(globalThis)) {
    const property = getOwnPropertyDescriptor(globalThis, key);
    if ("value" in property) property.writable = false;
    property.configurable = false;
    defineProperty(globalThis, key, property);
  }
  globals = new SafeSet(ownKeys(globalThis));
  count = globals.size;
  return inbox;
})();
"""


CROWDED = 0.5  # of the memory limit: an isolate whose heap holds more than this after an evaluation is replaced
MEASURE_EVERY = 64  # evaluations: measuring a heap takes most of a millisecond, so it is measured now and then...
MEASURE_AFTER = 0.01  # seconds: ...and after an evaluation that took this long (it may have allocated much)


class _Isolate:
    """One V8 isolate (in a JavaScript worker), with the prelude run in it."""

    def __init__(self) -> None:
        from py_mini_racer import MiniRacer

        self.racer = MiniRacer()
        self.inbox = self.racer.eval(_PRELUDE)
        self.served = 0  # evaluations begun here

    def run(self, request: str, memory_limit: int) -> str | None:
        """The runner's answer to `request` (the JSON text [source, limit, bindings]), or None if the isolate ran
        out of memory. The limits are set afresh, which also clears what the last evaluation's collections found."""
        from py_mini_racer import JSEvalException, JSOOMException

        racer = self.racer
        racer.set_hard_memory_limit(memory_limit)
        racer.set_soft_memory_limit(int(memory_limit * CROWDED))
        self.served += 1
        self.inbox[0] = request
        try:
            answer = racer.eval("__conductor_nb_run()")
        except JSOOMException:
            return None
        except JSEvalException as e:  # the runner itself failed: the isolate is in an unknown state
            return None if racer.was_hard_memory_limit_reached() else "Ed" + json.dumps([str(e), None])
        if answer[0] == "E" and racer.was_hard_memory_limit_reached():  # (terminated where the runner caught it)
            return None
        return answer

    def crowded(self, memory_limit: int, seconds: float) -> bool:
        """Whether the heap is more than CROWDED full after an evaluation that took `seconds`: a collection during it
        found so, or the heap, when measured, holds that much now."""
        if self.racer.was_soft_memory_limit_reached():
            return True
        if seconds < MEASURE_AFTER and self.served % MEASURE_EVERY:
            return False
        return self.racer.heap_stats()["used_heap_size"] > memory_limit * CROWDED

    def close(self) -> None:
        self.racer.close()


def _javascript() -> Callable[[tuple], tuple[tuple, bool]]:
    """The JavaScript worker's handler: one V8 isolate, replaced when a script leaves it changed in a way the runner
    cannot undo (a global it cannot delete) or its heap crowded. A script that runs out of memory on an isolate that
    served before is run once more on a fresh isolate before it fails: what earlier evaluations left there (garbage
    not yet collected counts towards the limit) must not fail it. After an out-of-memory the worker is not reused."""
    isolate = _Isolate()

    def handle(request: tuple) -> tuple[tuple, bool]:
        nonlocal isolate
        source, bindings, memory_limit = request
        text = f"[{json.dumps(source)},{int(memory_limit)},{bindings}]"
        began = time.perf_counter()
        answer = isolate.run(text, memory_limit)
        if (answer is None and isolate.served > 1) or (answer is not None and answer[0] == "X"):
            isolate.close()  # (X: a promise job of the last script left a global that cannot be deleted)
            isolate = _Isolate()
            answer = isolate.run(text, memory_limit)
        if answer is None:
            return ("M", ""), False
        if answer[0] == "X":  # (never on a fresh isolate)
            return ("E", json.dumps(["the script's isolate could not be reset", None])), False
        if answer[1] == "d" or isolate.crowded(memory_limit, time.perf_counter() - began):
            isolate.close()
            isolate = _Isolate()
        return (answer[0], answer[2:]), True

    return handle


_JAVASCRIPT = WorkerPool(f"{__name__}:_javascript")
