"""jq for JSON_JQ_TRANSFORM, run as Conductor's JsonJqTransform runs it: the program over the whole task input.

libjq holds the GIL while it runs and cannot be interrupted, so in-process a runaway program would freeze every
thread of the engine: programs run in the sandbox worker processes, where the time limit kills the worker and, on
Linux, a memory limit (RLIMIT_DATA) stops one that allocates without bound. macOS does not enforce RLIMIT_DATA (it
limits only sbrk, which malloc does not use) and Windows has no rlimits (nor the `resource` module): there a program
is held to its time limit only, and a worker that grew much during a request is replaced after it.

A jq program cannot read files. Conductor's jackson-jq has no modules; libjq's `import` and `include` read `.jq` and
`.json` files from any directory a program names (`import "name" as $s {search: "/dir"}`), and `modulemeta` reads a
module's file. Three layers keep files out of reach: a program using them is refused before it is sent (with a
clear reason); the jq sandbox runs under Landlock (Linux 5.13+), which denies its process every file open, whatever
libjq tries; and it runs in an empty directory, with an empty environment ($ENV and env are {}).
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from typing import Any, Callable

from .scripting import SandboxError, WorkerDied, WorkerPool, WorkerTimedOut, forbid_file_access

TIMEOUT = 10.0  # seconds
MEMORY_LIMIT = 256 * 2**20  # bytes a program may allocate, besides what holding its input and results takes
INPUT_ALLOWANCE = 64  # bytes per byte of the input's JSON text: libjq's values take 20 to 60 times as much


class JqError(Exception):
    """A jq program failed to compile or to run, was refused, or ran out of time or memory."""


def transform(query: str, input: dict, *, timeout: float = TIMEOUT,
              memory_limit: int = MEMORY_LIMIT) -> tuple[Any, list]:
    """Run the jq program `query` over `input`; return (the first result or None, every result).

    Numbers come back as int when integral and within a Java long, as Conductor's task output has them."""
    refused = _refused(query)
    if refused:
        raise JqError(f"jq program refused: `{refused}` is not allowed (jq programs cannot load modules or read files)")
    megabytes = f"{memory_limit / 2**20:g} MB"
    try:
        kind, payload = _JQ.call((query, json.dumps(input), memory_limit), timeout)
    except WorkerTimedOut:
        raise JqError(f"jq program timed out after {float(timeout)} s") from None
    except WorkerDied as e:
        if e.returncode is not None and e.returncode < 0:  # libjq aborts when an allocation fails
            raise JqError(f"jq program exceeded its memory limit of {megabytes} (jq aborted)") from None
        raise JqError(f"jq failed: {e}") from None
    except SandboxError as e:
        raise JqError(f"jq failed: {e}") from None
    if kind == "M":
        raise JqError(f"jq program exceeded its memory limit of {megabytes}")
    if kind == "E":
        raise JqError(payload)
    # libjq prints one result per line; strings escape their newlines (but not U+2028: no splitlines()).
    results = [json.loads(line, parse_int=_java_long) for line in payload.split("\n")] if payload else []
    return (results[0] if results else None), results


def _java_long(text: str) -> int | float:
    value = int(text)
    return value if -(2**63) <= value < 2**63 else float(value)


# ---- Refusing what reads files ------------------------------------------------------------------------------------

# `import` and `include` are directives that load a module file; the others are builtins that read a module file or
# tell where modules are looked for. jackson-jq (Conductor's jq) has none of them.
_REFUSED = frozenset({"import", "include", "modulemeta", "get_search_list", "get_prog_origin", "get_jq_origin"})

# jq's lexer (src/lexer.l), as far as telling code from strings and comments goes: a number, `..`, a field (`.name`),
# a variable (`$name`), a format (`@name`) and an identifier (with `::` namespaces) are single tokens.
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"(?:[a-zA-Z_][a-zA-Z_0-9]*::)*[a-zA-Z_][a-zA-Z_0-9]*")
_TOKEN = re.compile(r"\.\.|\.[a-zA-Z_][a-zA-Z_0-9]*|\$" + _NAME.pattern + r"|@[a-zA-Z0-9_]+")
_KEY_FOLLOWS = re.compile(r"[ \t\n\r]*[:,}]")  # `{import: 1}`, `{include}`: a key, never a directive or a call


@functools.lru_cache(maxsize=1000)
def _refused(program: str) -> str | None:
    """The first word of `program` that could load a module or read a file, or None.

    The scan follows jq's lexer through strings (with their `\\(...)` interpolations, nested to any depth) and
    comments, so "include" in a string or a comment, `.import` (a field), `$include` (a variable) and the keys of
    `{import: 1}` and `{include}` pass. Where it could differ from jq's lexer it errs towards refusing: a comment ends
    at the first line break (jq may continue one past a backslash or a lone CR), and a lexical error of jq's fails
    the compilation anyway."""
    stack: list[str] = []  # the brackets open in the code; "\\(" for an interpolation, whose ")" resumes its string
    previous = ""  # the last character of the code's last token (comments and blanks are no tokens)
    i, n, in_string = 0, len(program), False
    while i < n:
        c = program[i]
        if in_string:
            if c == "\\":
                if program.startswith("\\(", i):
                    stack.append("\\(")
                    in_string, previous = False, "("
                i += 2
            else:
                if c == '"':
                    in_string, previous = False, '"'
                i += 1
            continue
        if c in " \t\n\r":
            i += 1
            continue
        if c == "#":
            ends = [end for end in (program.find("\n", i), program.find("\r", i)) if end >= 0]
            i = min(ends) if ends else n
            continue
        before = previous
        if c == '"':
            in_string = True
            i += 1
        elif c in "([{":
            stack.append(c)
            i += 1
        elif c in ")]}":
            if stack and stack.pop() == "\\(":
                in_string = True
            i += 1
        elif number := _NUMBER.match(program, i):
            i = number.end()
        elif token := _TOKEN.match(program, i):
            i = token.end()
        elif word := _NAME.match(program, i):
            i = word.end()
            if word.group() in _REFUSED and not _is_key(program, i, stack, before):
                return word.group()
        else:
            i += 1
        previous = program[i - 1]
    return None


def _is_key(program: str, end: int, stack: list[str], before: str) -> bool:
    """Whether the word ending at `end` is an object's key: right after its `{` or a `,` in it (`before` ends the
    token before the word), and followed by `:`, `,` or `}` (`{import: 1}`, `{a: 1, include}`): there neither a
    directive nor a call can be."""
    return bool(stack) and stack[-1] == "{" and before in ("{", ",") and bool(_KEY_FOLLOWS.match(program, end))


# ---- The jq worker ------------------------------------------------------------------------------------------------

_RECYCLE = 64 * 2**20  # bytes a worker may have grown by after a request (its heap kept what it freed) and serve on
STATM = "/proc/self/statm"


def _jq() -> Callable[[tuple], tuple[tuple, bool]]:
    """The jq worker's handler: compiled programs are cached, as compiling takes about a millisecond. Where the
    worker can read its data size (Linux), each program runs under RLIMIT_DATA: that size, plus the memory limit,
    plus INPUT_ALLOWANCE times its input's size. Once the handler is built the process can open no file
    (forbid_file_access)."""
    import jq as libjq

    compiled = functools.lru_cache(maxsize=1000)(libjq.compile)  # Conductor caches 1000 compiled queries too
    # Warm up while files can still be read: what libjq and Python load on first use (glibc reads the time zone).
    compiled('now | localtime | mktime | strftime("%Y") | test("[0-9]")').input_text("null").text()
    try:
        compiled("error(\"x\")").input_text("null").text()
    except ValueError:
        pass
    resource = _resource()
    data_size = _data_size_gauge()
    size = data_size or _memory_gauge(resource)  # what tells whether the worker grew
    limited = resource is not None and data_size is not None
    if limited:
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    forbid_file_access()

    def handle(request: tuple) -> tuple[tuple, bool]:
        query, document, memory_limit = request
        before = size() if size else None
        if limited:
            limit = before + memory_limit + INPUT_ALLOWANCE * len(document)
            resource.setrlimit(resource.RLIMIT_DATA, (limit if hard == resource.RLIM_INFINITY else min(limit, hard),
                                                      hard))
        try:
            reply = "R", compiled(query).input_text(document).text()
        except ValueError as e:
            reply = "E", str(e)
        except MemoryError:
            return ("M", ""), False
        finally:
            if limited:
                resource.setrlimit(resource.RLIMIT_DATA, (hard, hard))
        return reply, before is None or size() - before < _RECYCLE

    return handle


def _resource():
    """The `resource` module, or None where there is none (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    return resource


def _data_size_gauge() -> Callable[[], int] | None:
    """Linux: a function giving the bytes of this process's data and stack mappings (what RLIMIT_DATA counts, and a
    little more), read from /proc/self/statm opened now (an open file stays readable under Landlock); else None."""
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        statm = os.open(STATM, os.O_RDONLY)
    except (OSError, ValueError, AttributeError):
        return None
    return lambda: int(os.pread(statm, 256, 0).split()[5]) * page


def _memory_gauge(resource, platform: str = sys.platform) -> Callable[[], int] | None:
    """Where there is no /proc: a function giving this process's memory in bytes, or None where none can be read.
    With `resource` (macOS, the BSDs) the peak resident size, ru_maxrss: bytes on macOS, kilobytes elsewhere. A peak
    never shrinks (on Linux a process even starts with its parent's), but growth beyond it shows. On Windows, the
    private bytes (GetProcessMemoryInfo)."""
    if resource is not None:
        unit = 1 if platform == "darwin" else 1024
        return lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
    if platform == "win32":
        return _windows_private_bytes()
    return None


def _windows_private_bytes() -> Callable[[], int] | None:
    """A function giving this process's private bytes on Windows, or None if kernel32 does not offer them."""
    import ctypes
    from ctypes import wintypes

    class Counters(ctypes.Structure):  # PROCESS_MEMORY_COUNTERS_EX
        _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD)] + [
            (name, ctypes.c_size_t) for name in (
                "PeakWorkingSetSize", "WorkingSetSize", "QuotaPeakPagedPoolUsage", "QuotaPagedPoolUsage",
                "QuotaPeakNonPagedPoolUsage", "QuotaNonPagedPoolUsage", "PagefileUsage", "PeakPagefileUsage",
                "PrivateUsage")]

    try:
        kernel32 = ctypes.WinDLL("kernel32")
        process = kernel32.GetCurrentProcess
        process.restype = wintypes.HANDLE
        query = kernel32.K32GetProcessMemoryInfo
        query.argtypes = [wintypes.HANDLE, ctypes.POINTER(Counters), wintypes.DWORD]
    except (AttributeError, OSError):
        return None

    def private_bytes() -> int:
        counters = Counters()
        counters.cb = ctypes.sizeof(Counters)
        return counters.PrivateUsage if query(process(), ctypes.byref(counters), counters.cb) else 0

    return private_bytes


_JQ = WorkerPool(f"{__name__}:_jq")
