"""Conductor's `${...}` input templates and the JSON paths inside them, resolved as a real server does
(ParametersUtils.java and EnvUtils.java, paths evaluated like Jayway JsonPath 2.4.0 with SUPPRESS_EXCEPTIONS)."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache

__all__ = ["resolve", "read_path", "java_string"]

_MISSING = object()
_SYSTEM_PARAMETERS = frozenset({"CPEWF_TASK_ID", "NETFLIX_ENV", "NETFLIX_STACK"})
_SECRETS_PREFIX = "workflow.secrets."
# Character.isWhitespace, which StringUtils.isBlank uses (no-break spaces are not whitespace in Java).
_JAVA_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2008\u2009\u200a\u2028\u2029\u205f\u3000"
)
_JAVA_TRIM = "".join(chr(c) for c in range(33))  # String.trim() strips every char <= ' '


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def resolve(value, context, task_id=None):
    """Return `value` (any JSON-like object) with every ${...} template in its string values resolved against `context`.

    Maps and lists are rebuilt (keys are never templated), other values are returned as they are. A string that is
    exactly one template yields the raw value (a copy when it is a dict or list); templates embedded in a longer string
    are rendered the way Java's Objects.toString does. `task_id` is what `${CPEWF_TASK_ID}` resolves to.
    """
    if isinstance(value, str):
        return _resolve_string(value, context, task_id, 0)
    if isinstance(value, Mapping):
        return {key: resolve(item, context, task_id) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve(item, context, task_id) for item in value]
    return value


def read_path(document, path):
    """Evaluate a JSONPath-like path (without the ${ }) on `document` the way Jayway JsonPath with SUPPRESS_EXCEPTIONS does: missing -> None.

    A path not starting with `$` or `@` gets `$.` put in front. Supported:
      - `a.b`, `['k']`, `["k"]`, `['a','b']` (several keys: a map of those present), keys with `-` etc. both ways;
      - `[0]`, `[-1]`, `[0,2]`, slices `[1:3]`, `[1:]`, `[:2]`, `[-2:]`;
      - wildcards `*`, `.*`, `[*]`, deep scan `..key` / `..[0]` / `..*`;
      - filters `[?(...)]`: operands `@.path`, `$.path`, 'str', "str", numbers, true, false, null, JSON arrays/objects,
        /regex/ and /regex/i; operators ==, !=, ===, !==, <, <=, >, >=, =~, in, nin, contains, size, empty,
        subsetof, all; `&&`, `||`, `!`, parentheses, and `[?(@.x)]` / `[?(!@.x)]` existence checks;
      - functions without arguments: length(), size(), min(), max(), sum(), avg(), stddev().
    A definite path yields its value or None; an indefinite one (wildcard, scan, filter, slice, index list) always
    yields a list, [] when nothing matches. A path that cannot be parsed yields None. Containers are copies.
    """
    if not isinstance(path, str):
        return None
    try:
        return _copy(_read(document, path))
    except _InvalidPath:
        return None


# ---------------------------------------------------------------------------------------------
# Templates (ParametersUtils.replaceVariables)
# ---------------------------------------------------------------------------------------------


def _resolve_string(text, context, task_id, depth):
    if "${" not in text:
        return text
    replacements = []
    for start, end, inner in _template_matches(text):
        # Nested templates resolve first, always to a string (they are never the whole string at depth > 0).
        path = _resolve_string(inner, context, task_id, depth + 1) if "${" in inner else inner
        value = _template_value(path, text[start:end], context, task_id)
        if value is not _MISSING:
            replacements.append((start, end, value))
    if depth == 0 and len(replacements) == 1 and replacements[0][:2] == (0, len(text)):
        return _copy(replacements[0][2])
    parts = []
    position = 0
    for start, end, value in replacements:
        parts.append(text[position:start])
        parts.append(java_string(value))
        position = end
    parts.append(text[position:])
    # Java unescapes `$${` over the whole result, substituted values included.
    return "".join(parts).replace("$${", "${")


def _template_value(path, literal, context, task_id):
    """What one `${path}` stands for, or _MISSING to leave its text in place."""
    if _is_blank(path):
        return ""
    if path.startswith(_SECRETS_PREFIX):
        return literal  # deferred in Conductor: substituted only when the task is handed to a worker
    if path in _SYSTEM_PARAMETERS or _getenv(path) is not None:
        value = task_id if path == "CPEWF_TASK_ID" else _getenv(path)
        return _MISSING if value is None else value
    try:
        return _read(context, path)
    except _InvalidPath:
        return None


def _getenv(name):
    try:
        return os.environ.get(name)
    except (ValueError, UnicodeError):
        return None


def _is_blank(text):
    return not text.strip(_JAVA_WHITESPACE)


@lru_cache(maxsize=4096)
def _template_matches(text):
    """The `${...}` spans ParametersUtils.PATTERN finds in `text`, as (start, end, inner text) triples."""
    spans = []
    position = 0
    while position < len(text):
        span = _find_template(text, position)
        if span is None:
            break
        spans.append((span[0], span[1], text[span[0] + 2 : span[1] - 1]))
        position = span[1]
    return tuple(spans)


# ParametersUtils.PATTERN is a balanced-brace trick built from lookaheads whose captures (a suffix after a `{`
# and a suffix after a `}`) Java never restores on backtracking, not even between start positions of one find().
# The functions below replay that regex step by step, so unbalanced input matches exactly what Java matches.


def _find_template(text, start):
    """One Matcher.find() from `start`: the (start, end) of the next match, or None."""
    groups = [None, None]  # start index of capture 1 and 2; the captured text runs to the end of `text`
    i = text.find("${", start)
    while i >= 0:
        if i == 0 or text[i - 1] != "$":
            end = _match_at(text, i, groups)
            if end is not None:
                return i, end
        i = text.find("${", i + 1)
    return None


def _match_at(text, i, groups):
    position = i
    while True:  # the lazy loop: one character per iteration, the tail tried after each
        g1 = _open_brace_suffix(text, position, groups[0], groups[1])
        if g1 is None:
            return None
        groups[0] = g1
        g2 = _close_brace_suffix(text, position, groups[1])
        if g2 is None:
            return None
        groups[1] = g2
        if position >= len(text):
            return None
        position += 1
        end = _match_tail(text, position, groups[0], groups[1])
        if end is not None:
            return end


def _occurs(text, group, start):
    """Whether a backreference to the capture starting at `group` matches anywhere from `start` on."""
    return group is not None and text.find(text[group:], start) >= 0


def _open_brace_suffix(text, position, g1, g2):
    """(?=.*?\\{(?!.*?\\1)(.*\\}(?!.*\\2).*)): the capture start after the first usable `{` at or after `position`."""
    k = text.find("{", position)
    while k >= 0:
        if not _occurs(text, g1, k + 1):
            last_close = text.rfind("}", k + 1)
            if last_close >= 0 and not _occurs(text, g2, last_close + 1):
                return k + 1
        k = text.find("{", k + 1)
    return None


def _close_brace_suffix(text, position, g2):
    """(?=.*?\\}(?!.*?\\2)(.*)): the capture start after the first usable `}` at or after `position`."""
    m = text.find("}", position)
    while m >= 0:
        if not _occurs(text, g2, m + 1):
            return m + 1
        m = text.find("}", m + 1)
    return None


def _match_tail(text, position, g1, g2):
    """.*?(?=\\1)[^{]*(?=\\2$): the match end, or None."""
    n = len(text)
    suffix1, suffix2 = text[g1:], text[g2:]
    for t in range(position, n + 1):
        if not text.startswith(suffix1, t):
            continue
        brace = text.find("{", t)
        for r in range(n if brace < 0 else brace, t - 1, -1):
            if text.startswith(suffix2, r) and _java_dollar(text, r + len(suffix2)):
                return r
    return None


def _java_dollar(text, i):
    """Java's `$` without MULTILINE: at the end, or before one final line terminator."""
    n = len(text)
    if i == n:
        return True
    if i == n - 2:
        return text[i:] == "\r\n"
    if i == n - 1:
        ch = text[i]
        if ch == "\n":
            return not (i > 0 and text[i - 1] == "\r")
        return ch in "\r\u0085\u2028\u2029"
    return False


# ---------------------------------------------------------------------------------------------
# Java renderings: Objects.toString for embedded values, json-smart for Jayway's result arrays
# ---------------------------------------------------------------------------------------------


class _JsonArray(list):
    """A list Jayway built (the result of an indefinite path): json-smart's JSONArray, whose toString is JSON."""

    __slots__ = ()


def java_string(value):
    """Java's Objects.toString of a JSON value: how Conductor renders a value inside a longer string."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, _JsonArray):
        return _json_smart(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{java_string(k)}={java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    return str(value)


def _java_double(value):
    """Double.toString (shortest digits, as JDK 19+ prints them)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    point = len(digit_tuple) + exponent - 1  # decimal exponent of the first digit
    prefix = "-" if sign else ""
    if 1e-3 <= abs(value) < 1e7:
        if point >= 0:
            whole = digits[: point + 1].ljust(point + 1, "0")
            return f"{prefix}{whole}.{digits[point + 1:] or '0'}"
        return f"{prefix}0.{'0' * (-point - 1)}{digits}"
    return f"{prefix}{digits[0]}.{digits[1:] or '0'}E{point}"


def _json_smart(value):
    """JSONValue.toJSONString with JSONStyle.NO_COMPRESS."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return '"' + _escape_4web(value) + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "null" if math.isinf(value) else _java_double(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f'"{_escape_4web(str(k))}":{_json_smart(v)}' for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json_smart(v) for v in value) + "]"
    return '"' + _escape_4web(str(value)) + '"'


_ESCAPES_4WEB = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "/": "\\/"}


def _escape_4web(text):
    out = []
    for ch in text:
        escaped = _ESCAPES_4WEB.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ch <= "\x1f" or "\x7f" <= ch <= "\x9f" or "\u2000" <= ch <= "\u20ff":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def _copy(value):
    """A deep copy of a JSON-like value (containers rebuilt, scalars shared)."""
    if isinstance(value, (str, int, float)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# JSON paths: exceptions, character cursor and compiler (Jayway's PathCompiler / FilterCompiler)
# ---------------------------------------------------------------------------------------------


class _JsonPathError(Exception):
    """JsonPathException: aborts an evaluation (suppressed by the caller)."""


class _InvalidPath(_JsonPathError):
    """InvalidPathException: a path that does not compile, or a filter that cannot apply."""


class _NotFound(_InvalidPath):
    """PathNotFoundException."""


class _OutOfRange(Exception):
    """StringIndexOutOfBoundsException while parsing: no parser fallback catches it, the path does not compile."""


class _Cursor:
    """Jayway's CharacterIndex: a position and an inclusive end over a string."""

    __slots__ = ("s", "pos", "end")

    def __init__(self, s):
        self.s = s
        self.pos = 0
        self.end = len(s) - 1

    def at(self, i):
        if 0 <= i < len(self.s):
            return self.s[i]
        raise _OutOfRange(i)

    def cur(self):
        return self.at(self.pos)

    def in_bounds(self, i=None):
        return 0 <= (self.pos if i is None else i) <= self.end

    def is_tail(self):
        return self.pos >= self.end

    def next_significant_index(self, start):
        i = start + 1
        while self.in_bounds(i) and self.s[i] == " ":
            i += 1
        return i

    def next_significant(self, start=None):
        i = self.next_significant_index(self.pos if start is None else start)
        return self.s[i] if self.in_bounds(i) else " "

    def next_significant_is(self, start, ch):
        i = self.next_significant_index(start)
        return self.in_bounds(i) and self.s[i] == ch

    def index_of_next_significant(self, start, ch):
        i = self.next_significant_index(start)
        return i if self.at(i) == ch else -1

    def next_index_of(self, start, ch):
        i = start
        while self.in_bounds(i):
            if self.s[i] == ch:
                return i
            i += 1
        return -1

    def next_index_of_unescaped(self, start, ch):
        i, escaped = start + 1, False
        while self.in_bounds(i):
            if escaped:
                escaped = False
            elif self.s[i] == "\\":
                escaped = True
            elif self.s[i] == ch:
                return i
            i += 1
        return -1

    def matching_close(self, start, open_ch, close_ch, skip_strings, skip_regex):
        if self.at(start) != open_ch:
            raise _InvalidPath(f"expected {open_ch}")
        opened, i = 1, start + 1
        while self.in_bounds(i):
            if skip_strings and self.s[i] in "'\"":
                i = self.next_index_of_unescaped(i, self.s[i])
                if i == -1:
                    raise _InvalidPath("unclosed quote")
                i += 1
            if skip_regex and self.at(i) == "/":
                i = self.next_index_of_unescaped(i, "/")
                if i == -1:
                    raise _InvalidPath("unclosed regex")
                i += 1
            ch = self.at(i)
            if ch == open_ch:
                opened += 1
            if ch == close_ch:
                opened -= 1
                if opened == 0:
                    return i
            i += 1
        return -1

    def previous_significant_index(self, start):
        i = start - 1
        while self.in_bounds(i) and self.s[i] == " ":
            i -= 1
        return i if self.in_bounds(i) else -1

    def skip_blanks(self):
        while self.in_bounds() and self.pos < self.end and self.s[self.pos] == " ":
            self.pos += 1
        return self

    def trim(self):
        self.skip_blanks()
        while self.in_bounds() and self.pos < self.end and self.at(self.end) == " ":
            self.end -= 1
        return self

    def read_significant(self, expected):
        self.skip_blanks()
        if not self.in_bounds(self.pos + len(expected) - 1) or self.s[self.pos : self.pos + len(expected)] != expected:
            raise _InvalidPath(f"expected {expected}")
        self.pos += len(expected)


# Token kinds
_ROOT, _PROP, _INDEX, _SLICE, _WILDCARD, _SCAN, _FILTER, _FUNCTION = range(8)
_SLICE_FROM, _SLICE_TO, _SLICE_BETWEEN = range(3)


class _Token:
    __slots__ = ("kind", "arg", "next", "definite", "upstream_definite")

    def __init__(self, kind, arg=None):
        self.kind = kind
        self.arg = arg
        self.next = None
        self.definite = True
        self.upstream_definite = True


class _Path:
    __slots__ = ("root", "is_root_path", "definite", "simple")

    def __init__(self, root_char, tokens):
        root = _Token(_ROOT, root_char)
        chain = [root] + tokens
        for before, after in zip(chain, chain[1:]):
            before.next = after
        upstream = True
        for token in chain:
            token.upstream_definite = upstream
            token.definite = _token_definite(token)
            upstream = upstream and token.definite
        self.root = root
        self.is_root_path = root_char == "$"
        self.definite = upstream
        # Fast path for the common `a.b[0].c`: single keys and single indexes only.
        if all((t.kind == _PROP and len(t.arg) == 1) or (t.kind == _INDEX and len(t.arg) == 1) for t in tokens):
            self.simple = tuple((t.kind == _PROP, t.arg[0]) for t in tokens)
        else:
            self.simple = None


def _token_definite(token):
    if token.kind == _PROP:
        return len(token.arg) == 1 or token.next is None
    if token.kind == _INDEX:
        return len(token.arg) == 1
    return token.kind in (_ROOT, _FUNCTION)


def _compile(path):
    """PathCompiler.compile: a _Path, or _InvalidPath."""
    compiled = _compile_or_none(path)
    if compiled is None:
        raise _InvalidPath(f"Invalid path: {path}")
    return compiled


@lru_cache(maxsize=4096)
def _compile_or_none(path):
    try:
        cursor = _Cursor(path)
        cursor.trim()
        if not path or path[0] not in "$@":
            cursor = _Cursor("$." + path)
            cursor.trim()
        if cursor.at(cursor.end) == ".":
            return None  # "Path must not end with a '.' or '..'"
        return _PathParser(cursor).parse()
    except (_JsonPathError, _OutOfRange, ValueError, re.error, RecursionError):
        return None


class _PathParser:
    def __init__(self, cursor):
        self.c = cursor
        self.tokens = []

    def parse(self):
        c = self.c
        while c.in_bounds() and c.s[c.pos] in " \t\n\r":
            c.pos += 1
        root_char = c.cur()
        if root_char not in "$@":
            raise _InvalidPath("Path must start with '$' or '@'")
        if not c.is_tail():
            c.pos += 1
            if c.cur() not in ".[":
                raise _InvalidPath("Illegal character, expected '.' or '['")
            self.read_next()
            while not c.is_tail():
                self.read_next()
        return _Path(root_char, self.tokens)

    def read_next(self):
        ch = self.c.cur()
        if ch == "[":
            ok = self.read_bracket_property() or self.read_array() or self.read_wildcard() or self.read_filter()
        elif ch == ".":
            ok = self.read_dot()
        elif ch == "*":
            ok = self.read_wildcard()
        else:
            ok = self.read_property_or_function()
        if not ok:
            raise _InvalidPath(f"Could not parse token starting at position {self.c.pos}")

    def read_dot(self):
        c = self.c
        if c.cur() == "." and c.in_bounds(c.pos + 1) and c.s[c.pos + 1] == ".":
            self.tokens.append(_Token(_SCAN))
            c.pos += 2
        elif not c.in_bounds(c.pos + 1):
            raise _InvalidPath("Path must not end with a '.")
        else:
            c.pos += 1
        if c.cur() == ".":
            raise _InvalidPath(f"Character '.' on position {c.pos} is not valid.")
        self.read_next()
        return True

    def read_property_or_function(self):
        c = self.c
        if c.cur() in "[*. ":
            return False
        start = read = c.pos
        stop = 0
        is_function = False
        while c.in_bounds(read):
            ch = c.s[read]
            if ch == " ":
                raise _InvalidPath("Use bracket notion ['my prop'] if your property contains blank characters.")
            if ch in ".[":
                stop = read
                break
            if ch == "(":
                is_function = True
                stop = read
                read += 1
                break
            read += 1
        if stop == 0:
            stop = c.end + 1
        if is_function:
            if c.in_bounds(read + 1):
                if c.s[read + 1] != ")":
                    c.pos = stop + 1
                    self.skip_function_arguments()
                else:
                    c.pos = read + 1
            else:
                c.pos = read
            self.tokens.append(_Token(_FUNCTION, c.s[start:stop]))
        else:
            c.pos = stop
            self.tokens.append(_Token(_PROP, (c.s[start:stop],)))
        return True

    def skip_function_arguments(self):
        """Functions with arguments are not supported: only an empty argument list gets through."""
        c = self.c
        depth = 1
        i = c.pos
        while c.in_bounds(i):
            ch = c.s[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        if depth or c.s[c.pos : i].strip(" \t\n\r"):
            raise _InvalidPath("function arguments are not supported")
        c.pos = i + 1

    def read_bracket_property(self):
        c = self.c
        if c.cur() != "[":
            return False
        delimiter = c.next_significant()
        if delimiter not in "'\"":
            return False
        properties = []
        start = read = c.pos + 1
        stop = 0
        in_property = in_escape = last_was_comma = False
        while c.in_bounds(read):
            ch = c.s[read]
            if in_escape:
                in_escape = False
            elif ch == "\\":
                in_escape = True
            elif ch == "]" and not in_property:
                if last_was_comma:
                    raise _InvalidPath(f"Found empty property at index {read}")
                break
            elif ch == delimiter:
                if in_property:
                    if c.next_significant(read) not in "],":
                        raise _InvalidPath("Property must be separated by comma or terminated by ']'")
                    stop = read
                    properties.append(_unescape(c.s[start:stop]))
                    in_property = False
                else:
                    start = read + 1
                    in_property = True
                    last_was_comma = False
            elif ch == ",":
                if last_was_comma:
                    raise _InvalidPath(f"Found empty property at index {read}")
                last_was_comma = True
            read += 1
        close = c.index_of_next_significant(stop, "]")
        if close < 0 or not properties:
            raise _InvalidPath("Empty properties")
        c.pos = close + 1
        self.tokens.append(_Token(_PROP, tuple(properties)))
        return True

    def read_array(self):
        c = self.c
        if c.cur() != "[":
            return False
        following = c.next_significant()
        if not (following.isdigit() and following.isascii()) and following not in "-:":
            return False
        begin = c.pos + 1
        close = c.next_index_of(begin, "]")
        if close == -1:
            return False
        expression = c.s[begin:close].strip(_JAVA_TRIM)
        if expression == "*" or any(not ("0" <= ch <= "9") and ch not in ",-: " for ch in expression):
            return False
        if ":" in expression:
            self.tokens.append(_Token(_SLICE, _parse_slice(expression)))
        else:
            self.tokens.append(_Token(_INDEX, _parse_indexes(expression)))
        c.pos = close + 1
        return True

    def read_wildcard(self):
        c = self.c
        in_bracket = c.cur() == "["
        if in_bracket and not c.next_significant_is(c.pos, "*"):
            return False
        if c.cur() != "*" and not c.in_bounds(c.pos + 1):
            return False
        if in_bracket:
            star = c.index_of_next_significant(c.pos, "*")
            if not c.next_significant_is(star, "]"):
                raise _InvalidPath("Expected wildcard token to end with ']'")
            c.pos = c.index_of_next_significant(star, "]") + 1
        else:
            c.pos += 1
        self.tokens.append(_Token(_WILDCARD))
        return True

    def read_filter(self):
        c = self.c
        if c.cur() != "[" and not c.next_significant_is(c.pos, "?"):
            return False
        open_statement = c.pos
        question = c.index_of_next_significant(c.pos, "?")
        if question == -1:
            return False
        open_paren = c.index_of_next_significant(question, "(")
        if open_paren == -1:
            return False
        close_paren = c.matching_close(open_paren, "(", ")", True, True)
        if close_paren == -1 or not c.next_significant_is(close_paren, "]"):
            return False
        close_statement = c.index_of_next_significant(close_paren, "]")
        predicate = _FilterParser(c.s[open_statement : close_statement + 1]).parse()
        c.pos = close_statement + 1
        self.tokens.append(_Token(_FILTER, predicate))
        return True


_INT_RE = re.compile(r"-?[0-9]+")


def _java_int(text):
    """Integer.parseInt for the characters the path grammar allows."""
    if not _INT_RE.fullmatch(text):
        raise _InvalidPath(f"Failed to parse integer: {text}")
    number = int(text)
    if not -(2**31) <= number < 2**31:
        raise _InvalidPath(f"Integer out of range: {text}")
    return number


def _parse_indexes(expression):
    return tuple(_java_int(token) for token in re.split(r"\s*,\s*", expression))


def _parse_slice(expression):
    if any(not ("0" <= ch <= "9") and ch not in "-:" for ch in expression):
        raise _InvalidPath(f"Failed to parse SliceOperation: {expression}")
    tokens = expression.split(":")
    while tokens and tokens[-1] == "":  # String.split drops trailing empty strings
        tokens.pop()
    start = _java_int(tokens[0]) if tokens and tokens[0] else None
    stop = _java_int(tokens[1]) if len(tokens) > 1 and tokens[1] else None
    if start is not None and stop is None:
        return (_SLICE_FROM, start, None)
    if start is not None:
        return (_SLICE_BETWEEN, start, stop)
    if stop is not None:
        return (_SLICE_TO, None, stop)
    raise _InvalidPath(f"Failed to parse SliceOperation: {expression}")


_UNESCAPES = {"\\": "\\", "'": "'", '"': '"', "r": "\r", "f": "\f", "t": "\t", "n": "\n", "b": "\b"}


def _unescape(text):
    """Jayway's Utils.unescape."""
    if "\\" not in text:
        return text
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "\\" or i + 1 >= n:
            if ch != "\\":
                out.append(ch)
            i += 1
            continue
        code = text[i + 1]
        if code == "u":
            digits = text[i + 2 : i + 6]
            if len(digits) == 4:
                try:
                    out.append(chr(int(digits, 16)))
                except ValueError as error:
                    raise _JsonPathError(f"Unable to parse unicode value: {digits}") from error
            i += 6
            continue
        out.append(_UNESCAPES.get(code, code))
        i += 2
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Filters: parsed into small expression trees of value nodes (Jayway's FilterCompiler and ValueNode)
# ---------------------------------------------------------------------------------------------

# Value node kinds
_N_STR, _N_NUM, _N_BOOL, _N_NULL, _N_JSON, _N_PATTERN, _N_PATH, _N_UNDEF = range(8)


class _Node:
    __slots__ = ("kind", "value", "extra")

    def __init__(self, kind, value=None, extra=None):
        self.kind = kind
        self.value = value  # str, Decimal, bool, JSON object/text, compiled regex, _Path
        self.extra = extra  # JSON: parsed?; PATH: (exists_check, should_exist)


_TRUE = _Node(_N_BOOL, True)
_FALSE = _Node(_N_BOOL, False)
_NULL = _Node(_N_NULL)
_UNDEF = _Node(_N_UNDEF)

_RELATIONAL_CHARS = "<>=~!"
_OPERATORS = frozenset(
    {"==", "!=", "===", "!==", "<", "<=", ">", ">=", "=~", "IN", "NIN", "CONTAINS", "SIZE", "EMPTY", "SUBSETOF", "ALL"}
)


class _FilterParser:
    """FilterCompiler: `[?(expression)]` to a tree of ('or'|'and', [..]), ('not', x) and ('rel', left, op, right)."""

    def __init__(self, text):
        f = _Cursor(text)
        f.trim()
        if f.cur() != "[" or f.at(f.end) != "]":
            raise _InvalidPath("Filter must start with '[' and end with ']'.")
        f.pos += 1
        f.end -= 1
        f.trim()
        if f.cur() != "?":
            raise _InvalidPath("Filter must start with '[?' and end with ']'.")
        f.pos += 1
        f.trim()
        if f.cur() != "(" or f.at(f.end) != ")":
            raise _InvalidPath("Filter must start with '[?(' and end with ')]'.")
        self.f = f

    def parse(self):
        expression = self.read_logical("||")
        self.f.skip_blanks()
        if self.f.in_bounds():
            raise _InvalidPath("Expected end of filter expression")
        return expression

    def read_logical(self, operator):
        read_operand = (lambda: self.read_logical("&&")) if operator == "||" else self.read_and_operand
        operands = [read_operand()]
        while True:
            savepoint = self.f.pos
            try:
                self.f.read_significant(operator)
                operands.append(read_operand())
            except _InvalidPath:
                self.f.pos = savepoint
                break
        return operands[0] if len(operands) == 1 else ("or" if operator == "||" else "and", operands)

    def read_and_operand(self):
        f = self.f
        savepoint = f.skip_blanks().pos
        if f.cur() == "!":
            f.pos += 1
            if f.skip_blanks().cur() in "$@":
                f.pos = savepoint
            else:
                return ("not", self.read_and_operand())
        if f.skip_blanks().cur() == "(":
            f.pos += 1
            expression = self.read_logical("||")
            f.skip_blanks()
            if f.cur() != ")":
                raise _InvalidPath("Expected character: )")
            f.pos += 1
            return expression
        return self.read_expression()

    def read_expression(self):
        left = self.read_value()
        savepoint = self.f.pos
        try:
            operator = self.read_operator()
            right = self.read_value()
            return ("rel", left, operator, right)
        except _InvalidPath:
            self.f.pos = savepoint
        if left.kind != _N_PATH:
            raise _InvalidPath("Expected path node")
        should_exist = left.extra[1]
        return ("rel", _Node(_N_PATH, left.value, (True, should_exist)), "EXISTS", _TRUE if should_exist else _FALSE)

    def read_operator(self):
        f = self.f
        begin = f.skip_blanks().pos
        if f.cur() in _RELATIONAL_CHARS:
            while f.in_bounds() and f.s[f.pos] in _RELATIONAL_CHARS:
                f.pos += 1
        else:
            while f.in_bounds() and f.s[f.pos] != " ":
                f.pos += 1
        operator = f.s[begin : f.pos].upper()
        if operator not in _OPERATORS:
            raise _InvalidPath(f"Filter operator {operator} is not supported!")
        return operator

    def read_value(self):
        f = self.f
        ch = f.skip_blanks().cur()
        if ch in "$@":
            return self.read_path()
        if ch == "!":
            f.pos += 1
            if f.skip_blanks().cur() in "$@":
                return self.read_path()
            raise _InvalidPath("Unexpected character: !")
        return self.read_literal()

    def read_path(self):
        f = self.f
        previous = f.previous_significant_index(f.pos)
        negated = previous != -1 and f.s[previous] == "!"
        begin = f.pos
        f.pos += 1
        while f.in_bounds():
            if f.s[f.pos] == "[":
                close = f.matching_close(f.pos, "[", "]", True, False)
                if close == -1:
                    raise _InvalidPath("Square brackets does not match in filter")
                f.pos = close + 1
            ch = f.cur()
            closing_logical = ch == ")" and not self.closes_function(begin)
            if not f.in_bounds() or ch in _RELATIONAL_CHARS or ch == " " or closing_logical:
                break
            f.pos += 1
        return _Node(_N_PATH, _compile(f.s[begin : f.pos]), (False, not negated))

    def closes_function(self, lower_bound):
        f = self.f
        i = f.previous_significant_index(f.pos)
        if i == -1 or f.s[i] != "(":
            return False
        i -= 1
        while f.in_bounds(i) and i > lower_bound:
            if f.s[i] == ".":
                return True
            i -= 1
        return False

    def read_literal(self):
        f = self.f
        ch = f.skip_blanks().cur()
        begin = f.pos
        if ch in "'\"":
            close = f.next_index_of_unescaped(f.pos, ch)
            if close == -1:
                raise _InvalidPath("String literal does not have matching quotes.")
            f.pos = close + 1
            return _string_node(f.s[begin : f.pos], True)
        if ch in "tf":
            last = f.pos + (3 if ch == "t" else 4)
            if not f.in_bounds(last) or f.s[begin : last + 1] not in ("true", "false"):
                raise _InvalidPath("Expected boolean literal")
            f.pos = last + 1
            return _TRUE if ch == "t" else _FALSE
        if ch == "n":
            if f.in_bounds(f.pos + 3) and f.s[begin : begin + 4] == "null":
                f.pos += 4
                return _NULL
            raise _InvalidPath("Expected <null> value")
        if ch in "[{":
            close = f.matching_close(f.pos, ch, "]" if ch == "[" else "}", True, False)
            if close == -1:
                raise _InvalidPath("JSON literal not closed")
            f.pos = close + 1
            return _Node(_N_JSON, f.s[begin : f.pos], False)
        if ch == "/":
            close = f.next_index_of_unescaped(f.pos, "/")
            if close == -1:
                raise _InvalidPath("Pattern not closed")
            if f.in_bounds(close + 1) and f.s[close + 1] == "i":
                close += 1
            f.pos = close + 1
            return _pattern_node(f.s[begin : f.pos])
        while f.in_bounds() and (f.s[f.pos] in "-." or ("0" <= f.s[f.pos] <= "9")):
            f.pos += 1
        literal = f.s[begin : f.pos]
        if not _BIG_DECIMAL.fullmatch(literal):
            # NumberFormatException: not an InvalidPathException, so no fallback applies
            raise _JsonPathError(f"Invalid number literal: {literal!r}")
        return _Node(_N_NUM, Decimal(literal))


def _string_node(text, escape):
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return _Node(_N_STR, _unescape(text) if escape else text)


def _pattern_node(text):
    flags = re.IGNORECASE if text.endswith("/i") else 0
    return _Node(_N_PATTERN, re.compile(text[text.index("/") + 1 : text.rindex("/")], flags))


def _number_node(value):
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _JsonPathError("NumberFormatException")  # new BigDecimal("NaN") fails in Java too
        return _Node(_N_NUM, Decimal(_java_double(value)))
    return _Node(_N_NUM, Decimal(value))


def _value_node(value):
    """ValueNode for a value a path evaluated to inside a filter."""
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    if isinstance(value, (int, float)):
        return _number_node(value)
    if isinstance(value, str):
        return _Node(_N_STR, value)
    if isinstance(value, (Mapping, list, tuple)):
        return _Node(_N_JSON, value, True)
    raise _JsonPathError(f"Could not convert {value!r} to a ValueNode")


def _list_item_node(value):
    """ValueNode.toValueNode, for the items of a JSON array literal (`in`, `nin`, ...)."""
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    if isinstance(value, (int, float)):
        return _number_node(value)
    if isinstance(value, str):
        stripped = value.strip(_JAVA_TRIM)
        if stripped[:1] in ("@", "$"):
            try:
                return _Node(_N_PATH, _compile(stripped), (False, False))
            except _InvalidPath:
                pass
        if len(stripped) > 1 and (stripped[0], stripped[-1]) in (("[", "]"), ("{", "}")):
            try:
                _parse_json_literal(stripped)
                return _Node(_N_JSON, value, False)
            except _JsonPathError:
                pass
        return _string_node(value, True)
    raise _JsonPathError("Could not determine value type")


# --- evaluation of filter expressions


def _accept(expression, item, state):
    """PredicatePathToken.accept: a filter that cannot apply (InvalidPathException) is false."""
    try:
        return _apply(expression, item, state)
    except _InvalidPath:
        return False


def _apply(expression, item, state):
    kind = expression[0]
    if kind == "rel":
        _, left, operator, right = expression
        if left.kind == _N_PATH:
            left = _eval_path_node(left, item, state)
        if right.kind == _N_PATH:
            right = _eval_path_node(right, item, state)
        return _RELATIONS[operator](left, right, state)
    if kind == "and":
        return all(_apply(operand, item, state) for operand in expression[1])
    if kind == "or":
        return any(_apply(operand, item, state) for operand in expression[1])
    return not _apply(expression[1], item, state)


def _eval_path_node(node, item, state):
    path = node.value
    exists_check, _ = node.extra
    if exists_check:
        try:
            results = _evaluate(path, item, state.root, True, state.root_paths)
        except _NotFound:
            return _FALSE
        return _TRUE if results or not path.definite else _FALSE
    try:
        if path.is_root_path:
            results = state.root_paths.get(path)
            if results is None:
                results = state.root_paths[path] = _evaluate(path, state.root, state.root, False, state.root_paths)
        else:
            results = _evaluate(path, item, state.root, False, state.root_paths)
    except _NotFound:
        return _UNDEF
    if path.definite:
        if not results:
            return _UNDEF
        return _value_node(results[-1])
    return _Node(_N_JSON, _JsonArray(results), True)


def _json_value(node):
    """JsonNode.parse."""
    if node.extra:
        return node.value
    return _parse_json_literal(node.value)


def _as_string(node):
    if node.kind == _N_STR:
        return node.value
    if node.kind == _N_NUM:
        return str(node.value)  # BigDecimal.toString and Decimal.__str__ follow the same rules
    raise _InvalidPath("Expected string node")


_BIG_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _as_number(node):
    """asNumberNode: a Decimal, or None for NumberNode.NAN (a string that is no BigDecimal)."""
    if node.kind == _N_NUM:
        return node.value
    if node.kind == _N_STR:
        return Decimal(node.value) if _BIG_DECIMAL.fullmatch(node.value) else None
    raise _InvalidPath("Expected number node")


def _node_equals(a, b):
    """ValueNode.equals (note: not symmetric between strings and numbers, as in Jayway)."""
    if a.kind == _N_STR:
        return b.kind in (_N_STR, _N_NUM) and a.value == _as_string(b)
    if a.kind == _N_NUM:
        if b.kind not in (_N_STR, _N_NUM):
            return False
        other = _as_number(b)
        return other is not None and a.value == other
    if a.kind in (_N_BOOL, _N_NULL):
        return b.kind == a.kind and a.value == b.value
    if a.kind == _N_JSON:
        return b.kind == _N_JSON and _java_equals(a.value, b.value)
    if a.kind == _N_PATTERN:
        return b.kind == _N_PATTERN and a.value is b.value
    return False  # undefined, or a path: identity only


def _java_equals(a, b):
    """Object.equals between JSON values: numbers of different kinds (1 and 1.0) differ."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_java_equals(v, b[k]) for k, v in a.items())
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_java_equals(x, y) for x, y in zip(a, b))
    if isinstance(a, (Mapping, list, tuple)) or isinstance(b, (Mapping, list, tuple)):
        return False
    return type(a) is type(b) and a == b


def _utf16(text):
    """Java compares and measures strings in UTF-16 code units."""
    return text.encode("utf-16-be")


def _compare(left, right):
    if left.kind == _N_NUM and right.kind == _N_NUM:
        return (left.value > right.value) - (left.value < right.value)
    if left.kind == _N_STR and right.kind == _N_STR:
        a, b = _utf16(left.value), _utf16(right.value)
        return (a > b) - (a < b)
    return None


def _ordered(test):
    def relation(left, right, state):
        result = _compare(left, right)
        return result is not None and test(result)

    return relation


def _value_list(node):
    """JsonNode.asValueListNode: a list of value nodes, or None when the JSON is not an array."""
    if node.kind != _N_JSON:
        raise _InvalidPath("Expected value list node")
    value = _json_value(node)
    if not isinstance(value, (list, tuple)):
        return None
    return [_list_item_node(item) for item in value]


def _in(left, right, state):
    items = _value_list(right)
    return items is not None and any(_node_equals(left, item) for item in items)


def _contains(left, right, state):
    if left.kind == _N_STR and right.kind == _N_STR:
        return right.value in left.value
    if left.kind == _N_JSON:
        items = _value_list(left)
        return items is not None and any(_node_equals(right, item) for item in items)
    return False


def _size(left, right, state):
    if right.kind != _N_NUM:
        return False
    expected = int(right.value)
    if left.kind == _N_STR:
        return len(_utf16(left.value)) // 2 == expected
    if left.kind == _N_JSON:
        value = _json_value(left)
        return (len(value) if isinstance(value, (list, tuple)) else -1) == expected
    return False


def _empty(left, right, state):
    if left.kind == _N_STR:
        is_empty = left.value == ""
    elif left.kind == _N_JSON:
        value = _json_value(left)
        is_empty = len(value) == 0 if isinstance(value, (Mapping, list, tuple, str)) else True
    else:
        return False
    if right.kind != _N_BOOL:
        raise _InvalidPath("Expected boolean node")
    return is_empty == right.value


def _subsetof(left, right, state):
    right_items = _value_list(right)  # the right operand is checked first, as in Jayway
    if right_items is None:
        return False
    left_items = _value_list(left)
    if left_items is None:
        return False
    return all(any(_node_equals(item, other) for other in right_items) for item in left_items)


def _regex(left, right, state):
    if (left.kind == _N_PATTERN) == (right.kind == _N_PATTERN):
        return False
    pattern, subject = (left, right) if left.kind == _N_PATTERN else (right, left)
    if subject.kind in (_N_STR, _N_NUM):
        text = _as_string(subject)
    elif subject.kind == _N_BOOL:
        text = "true" if subject.value else "false"
    else:
        text = ""
    return pattern.value.fullmatch(text) is not None


def _all(left, right, state):
    # AllEvaluator asks the right operand for a ValueListNode, which a filter literal never is.
    raise _InvalidPath("Expected value list node")


def _exists(left, right, state):
    return left.value == right.value


def _type_safe_equals(left, right, state):
    return left.kind == right.kind and _equals(left, right, state)


def _equals(left, right, state):
    if left.kind == _N_JSON and right.kind == _N_JSON:
        return _java_equals(left.value, _json_value(right))
    return _node_equals(left, right)


_RELATIONS = {
    "EXISTS": _exists,
    "==": _equals,
    "!=": lambda left, right, state: not _equals(left, right, state),
    "===": _type_safe_equals,
    "!==": lambda left, right, state: not _type_safe_equals(left, right, state),
    "<": _ordered(lambda r: r < 0),
    "<=": _ordered(lambda r: r <= 0),
    ">": _ordered(lambda r: r > 0),
    ">=": _ordered(lambda r: r >= 0),
    "=~": _regex,
    "IN": _in,
    "NIN": lambda left, right, state: not _in(left, right, state),
    "CONTAINS": _contains,
    "SIZE": _size,
    "EMPTY": _empty,
    "SUBSETOF": _subsetof,
    "ALL": _all,
}


# --- json-smart's permissive parser, enough for filter literals like ['a', "b", 1, 2.5, true, null]

_JSON_TOKEN = re.compile(
    r"""\s*(?:(?P<punct>[\[\]{}:,])|(?P<dq>"(?:[^"\\]|\\.)*")|(?P<sq>'(?:[^'\\]|\\.)*')|(?P<word>[^\s\[\]{}:,'"]+))""",
    re.DOTALL,
)
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?P<frac>\.[0-9]+)?(?P<exp>[eE][+-]?[0-9]+)?")


def _parse_json_literal(text):
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _JSON_TOKEN.match(text, position)
        if not match or match.end() == position:
            raise _JsonPathError(f"Invalid JSON literal: {text}")
        tokens.append(match)
        position = match.end()
    value, index = _parse_json_tokens(tokens, 0)
    if index != len(tokens):
        raise _JsonPathError(f"Invalid JSON literal: {text}")
    return value


def _parse_json_tokens(tokens, index):
    if index >= len(tokens):
        raise _JsonPathError("Unexpected end of JSON literal")
    token = tokens[index]
    punct = token.group("punct")
    if punct in ("[", "{"):
        closing = "]" if punct == "[" else "}"
        container = [] if punct == "[" else {}
        index += 1
        while index < len(tokens) and tokens[index].group("punct") != closing:
            if punct == "[":
                item, index = _parse_json_tokens(tokens, index)
                container.append(item)
            else:
                key, index = _parse_json_tokens(tokens, index)
                if index >= len(tokens) or tokens[index].group("punct") != ":":
                    raise _JsonPathError("Expected ':' in JSON literal")
                container[str(key)], index = _parse_json_tokens(tokens, index + 1)
            if index < len(tokens) and tokens[index].group("punct") == ",":
                index += 1
        if index >= len(tokens):
            raise _JsonPathError("Unclosed JSON literal")
        return container, index + 1
    if punct:
        raise _JsonPathError(f"Unexpected {punct!r} in JSON literal")
    quoted = token.group("dq") or token.group("sq")
    if quoted:
        return _unescape(quoted[1:-1]), index + 1
    word = token.group("word")
    constants = {"true": True, "false": False, "null": None}
    if word in constants:
        return constants[word], index + 1
    number = _JSON_NUMBER.fullmatch(word)
    if number:
        is_float = number.group("frac") or number.group("exp")
        return (float(word) if is_float else int(word)), index + 1
    return word, index + 1


# ---------------------------------------------------------------------------------------------
# Path evaluation (Jayway's path tokens)
# ---------------------------------------------------------------------------------------------


def _read(document, path):
    """JsonContext.read with SUPPRESS_EXCEPTIONS. A path that does not compile raises _InvalidPath."""
    compiled = _compile(path.strip(_JAVA_TRIM))
    if compiled.simple is not None:
        return _read_simple(document, compiled.simple)
    try:
        results = _evaluate(compiled, document, document, require=False)
    except (_JsonPathError, RecursionError):
        return None if compiled.definite else _JsonArray()
    if compiled.definite:
        return results[-1] if results else None
    return _JsonArray(results)


def _read_simple(model, steps):
    for is_key, key in steps:
        if is_key:
            if not _is_map(model):
                return None
            model = model.get(key)
        else:
            if not isinstance(model, (list, tuple)):
                return None
            index = len(model) + key if key < 0 else key
            if not 0 <= index < len(model):
                return None
            model = model[index]
    return model


def _is_map(value):
    return isinstance(value, (dict, Mapping))


class _State:
    __slots__ = ("results", "root", "require", "root_paths")

    def __init__(self, root, require, root_paths):
        self.results = []
        self.root = root
        # False: SUPPRESS_EXCEPTIONS (template reads); True: REQUIRE_PROPERTIES (filter existence checks).
        self.require = require
        self.root_paths = root_paths  # `$...` filter operands, evaluated once per read as in Jayway


def _evaluate(path, model, root, require, root_paths=None):
    state = _State(root, require, {} if root_paths is None else root_paths)
    _emit(path.root, model, state)
    return state.results


def _emit(token, value, state):
    """Hand `value` to the token after `token`, or collect it when `token` is the last one."""
    following = token.next
    if following is None:
        state.results.append(value)
    else:
        _EVALUATORS[following.kind](following, value, state)


def _eval_property(token, model, state):
    if not _is_map(model):
        if token.upstream_definite:
            raise _NotFound(f"Expected to find an object with property {token.arg}")
        return
    keys = token.arg
    if len(keys) == 1:
        value = model.get(keys[0], _MISSING)
        if value is _MISSING:
            if state.require:
                raise _NotFound(f"Missing property {keys[0]}")
            return
        _emit(token, value, state)
    elif token.next is None:
        merged = {}
        for key in keys:
            if key in model:
                merged[key] = model[key]
            elif state.require:
                raise _NotFound(f"Missing property {key}")
        state.results.append(merged)
    else:
        for key in keys:
            value = model.get(key, _MISSING)
            if value is not _MISSING:
                _emit(token, value, state)
            elif state.require:
                raise _NotFound(f"Missing property {key}")


def _is_array_model(token, model):
    if isinstance(model, (list, tuple)):
        return True
    if token.upstream_definite:
        raise _NotFound("Filter can only be applied to arrays")
    return False


def _emit_index(token, model, index, state):
    position = len(model) + index if index < 0 else index
    if 0 <= position < len(model):
        _emit(token, model[position], state)


def _eval_index(token, model, state):
    if _is_array_model(token, model):
        for index in token.arg:
            _emit_index(token, model, index, state)


def _eval_slice(token, model, state):
    if not _is_array_model(token, model):
        return
    operation, start, stop = token.arg
    length = len(model)
    if operation == _SLICE_FROM:
        start = max(0, length + start if start < 0 else start)
        indexes = range(start, length) if length and start < length else ()
    elif operation == _SLICE_BETWEEN:
        stop = min(length, stop)  # a negative start is not adjusted here: Jayway reads it from the end per index
        indexes = range(start, stop) if start < stop and length else ()
    else:
        stop = min(length, length + stop if stop < 0 else stop)
        indexes = range(0, stop) if length else ()
    for index in indexes:
        _emit_index(token, model, index, state)


def _eval_wildcard(token, model, state):
    if _is_map(model):
        for key in list(model.keys()):
            _emit(token, model[key], state)
    elif isinstance(model, (list, tuple)):
        for index in range(len(model)):
            try:
                _emit_index(token, model, index, state)
            except _NotFound:
                if state.require:
                    raise


def _eval_scan(token, model, state):
    target = token.next
    if target.kind == _PROP:
        keys = target.arg

        def matches(value):
            return _is_map(value) and (not target.definite or all(key in value for key in keys))

    elif target.kind in (_INDEX, _SLICE):

        def matches(value):
            return isinstance(value, (list, tuple))

    elif target.kind == _WILDCARD:

        def matches(value):
            return True

    elif target.kind == _FILTER:

        def matches(value):
            return _accept(target.arg, value, state)

    else:

        def matches(value):
            return False

    _walk(target, model, state, matches)


def _walk(target, model, state, matches):
    """ScanPathToken.walk: apply `target` wherever `matches`, depth first through maps and arrays."""
    evaluate = _EVALUATORS[target.kind]
    if _is_map(model):
        if matches(model):
            evaluate(target, model, state)
        for key in list(model.keys()):
            value = model.get(key, _MISSING)
            if value is not _MISSING:
                _walk(target, value, state, matches)
    elif isinstance(model, (list, tuple)):
        if matches(model):
            if target.next is None:
                evaluate(target, model, state)
            else:
                # Jayway hands each element to the token after the target, skipping the target itself.
                following = target.next
                for item in model:
                    _EVALUATORS[following.kind](following, item, state)
        for item in model:
            _walk(target, item, state, matches)


def _eval_filter(token, model, state):
    if _is_map(model):
        if _accept(token.arg, model, state):
            _emit(token, model, state)
    elif isinstance(model, (list, tuple)):
        for index, item in enumerate(model):
            if _accept(token.arg, item, state):
                _emit_index(token, model, index, state)
    elif token.upstream_definite:
        raise _InvalidPath("Filter can not be applied to primitives")


def _eval_function(token, model, state):
    function = _FUNCTIONS.get(token.arg)
    if function is None:
        raise _InvalidPath(f"Function with name: {token.arg} does not exist.")
    result = function(model)
    # FunctionPathToken always records its result, and also hands it on when it is not the last token.
    state.results.append(result)
    if token.next is not None:
        _EVALUATORS[token.next.kind](token.next, result, state)


def _length(model):
    if isinstance(model, (list, tuple)) or _is_map(model):
        return len(model)
    return None


def _aggregation(combine):
    def function(model):
        numbers = []
        if isinstance(model, (list, tuple)):
            numbers = [float(v) for v in model if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if not numbers:
            raise _JsonPathError("Aggregation function attempted to calculate value using empty array")
        return combine(numbers)

    return function


def _sum(numbers):
    total = 0.0
    for number in numbers:
        total += number
    return total


def _stddev(numbers):
    total, squares = _sum(numbers), _sum([n * n for n in numbers])
    count = float(len(numbers))
    variance = squares / count - total * total / count / count
    return math.sqrt(variance) if variance >= 0 else math.nan


def _max(numbers):
    result = 5e-324  # Double.MIN_VALUE: Jayway's max of negative numbers is this
    for number in numbers:
        if result < number:
            result = number
    return result


def _min(numbers):
    result = 1.7976931348623157e308  # Double.MAX_VALUE
    for number in numbers:
        if result > number:
            result = number
    return result


_FUNCTIONS = {
    "length": _length,
    "size": _length,
    "sum": _aggregation(_sum),
    "avg": _aggregation(lambda numbers: _sum(numbers) / float(len(numbers))),
    "stddev": _aggregation(_stddev),
    "min": _aggregation(_min),
    "max": _aggregation(_max),
}

_EVALUATORS = {
    _PROP: _eval_property,
    _INDEX: _eval_index,
    _SLICE: _eval_slice,
    _WILDCARD: _eval_wildcard,
    _SCAN: _eval_scan,
    _FILTER: _eval_filter,
    _FUNCTION: _eval_function,
}
