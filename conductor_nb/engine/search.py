"""Conductor's search query grammar (`/workflow/search`, `/tasks/search`) compiled to parameterised SQLite SQL.

The grammar is the one the Elasticsearch backend parses (conductor-oss `es7-persistence/.../query/parser`):

    query      := expression | "" | "*"
    expression := primary [ ("AND" | "OR") expression ]        -- right-recursive, AND and OR bind equally:
                                                                 a AND b OR c  ==  a AND (b OR c)
    primary    := "(" expression ")" | field op
    op         := ("=" | "!=" | ">" | "<" | "STARTS_WITH") value
                | "IN" "(" item ("," item)* ")"
                | "BETWEEN" value "AND" value                  -- inclusive at both ends
                | "IS" ("NULL" | "NOT" "NULL")                 -- NULL / NOT NULL in any case
    value      := 'text' | "text" (a backslash takes the next character literally) | bare word or number
                  (ES reads only numbers bare; bare words are accepted as Orkes documents them)
    item       := a quoted value, or the raw text up to the next "," or ")", trimmed

Keywords (AND, OR, IN, IS, BETWEEN, STARTS_WITH) are upper-case, as in the source. Values are bound as `?`
parameters, typed by their field (text, integer, or a time in epoch ms / ISO-8601); user input never reaches the
SQL text. Anything malformed raises SearchQueryError naming the parameter, the position (0-based) and what was
expected.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping, Optional, Sequence, Union

MAX_SIZE = 5000  # WorkflowService.searchWorkflows: @Max(5_000) "Cannot return more than 5000 workflows..."
MAX_QUERY_LENGTH = 65536
MAX_CLAUSES = 256
MAX_DEPTH = 32  # nested parentheses in the query text
MAX_NESTING = 20  # nested AND/OR levels in the SQL: SQLite < 3.46 has a fixed parser stack (about 28 levels)
MAX_PARAMS = 900  # under SQLite's historical 999-variable limit, with room for freeText and paging

_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_SPACE = " \t\r\n"
_STOP = _SPACE + "()'\",=<>!"  # ends a field name or a bare value
_LIKE_ESCAPE = "\\"
_KIND_NAMES = {"text": "text", "int": "an integer", "time": "a time"}


class SearchQueryError(ValueError):
    """A search request that cannot be compiled: `param` is query/freeText/sort/start/size, `position` is 0-based.

    The message reads `<param>: <problem> at position <n>, found <text>; <hint>`, each part present when known.
    """

    def __init__(self, param: str, detail: str, position: Optional[int] = None, found: Optional[str] = None,
                 hint: Optional[str] = None):
        message = f"{param}: {detail}"
        if position is not None:
            message += f" at position {position}"
        if found is not None:
            message += f", found {found}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)
        self.param = param
        self.detail = detail
        self.position = position


@dataclass(frozen=True)
class SearchSpec:
    """What one searchable table looks like: Conductor field names mapped to SQL column expressions.

    `types` gives each field's kind ("text" by default, "int", or "time" = epoch ms where 0 means unset), which
    decides how values are parsed and what counts as null. Everything here is trusted SQL text, never user input.
    """

    table: str
    fields: Mapping[str, str]
    json_column: str
    default_sort: str
    types: Mapping[str, str] = dataclasses.field(default_factory=dict)
    max_size: int = MAX_SIZE

    def kind(self, name: str) -> str:
        return self.types.get(name, "text")


def _spec(table: str, default_sort: str, columns: Sequence[tuple[str, str, str]]) -> SearchSpec:
    """A SearchSpec from one table of (Conductor field, SQL expression, kind) rows."""
    return SearchSpec(
        table=table,
        fields={name: sql for name, sql, _ in columns},
        json_column="json",
        default_sort=default_sort,
        types={name: kind for name, _, kind in columns if kind != "text"},
    )


def _json(key: str) -> str:
    return f"json_extract(json, '$.{key}')"


# The engine's store (conductor_nb/engine/store.py). Fields without a column of their own read the row's JSON.
WORKFLOW_SEARCH = _spec("workflow", "create_time DESC, workflow_id ASC", [
    ("workflowType", "name", "text"),
    ("version", "version", "int"),
    ("status", "status", "text"),
    ("correlationId", "correlation_id", "text"),
    ("workflowId", "workflow_id", "text"),
    ("parentWorkflowId", "parent_workflow_id", "text"),
    ("startTime", "create_time", "time"),
    ("updateTime", "update_time", "time"),
    ("endTime", "end_time", "time"),
    ("idempotencyKey", _json("idempotencyKey"), "text"),
    ("reasonForIncompletion", _json("reasonForIncompletion"), "text"),
])

TASK_SEARCH = _spec("task", f"{_json('scheduledTime')} DESC, task_id ASC", [
    ("taskType", "task_type", "text"),
    ("taskDefName", _json("taskDefName"), "text"),
    ("taskId", "task_id", "text"),
    ("workflowId", "workflow_id", "text"),
    ("status", "status", "text"),
    ("taskRefName", "ref", "text"),
    ("referenceTaskName", "ref", "text"),
    ("workerId", _json("workerId"), "text"),
    ("domain", _json("domain"), "text"),
    ("scheduledTime", _json("scheduledTime"), "time"),
    ("startTime", _json("startTime"), "time"),
    ("endTime", _json("endTime"), "time"),
    ("updateTime", _json("updateTime"), "time"),
    ("workflowType", _json("workflowType"), "text"),
    ("correlationId", _json("correlationId"), "text"),
    ("reasonForIncompletion", _json("reasonForIncompletion"), "text"),
])


# ---------------------------------------------------------------------------------------------------------------
# Parse tree


@dataclass(frozen=True)
class Compare:
    """`field op values`: op is one of = != > < IN BETWEEN STARTS_WITH IS_NULL IS_NOT_NULL; pos is where it starts."""

    field: str
    op: str
    values: tuple = ()
    pos: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True)
class BoolOp:
    op: str  # "AND" | "OR"
    left: Union["BoolOp", Compare]
    right: Union["BoolOp", Compare]


Node = Union[BoolOp, Compare]


# ---------------------------------------------------------------------------------------------------------------
# Parser: recursive descent over characters (values are context dependent: IN items are raw text up to "," or ")")


class _Parser:
    def __init__(self, spec: SearchSpec, text: str):
        self.spec = spec
        self.s = text
        self.i = 0
        self.clauses = 0

    # helpers
    def fail(self, detail: str, pos: Optional[int] = None, found: bool = False, hint: str = "") -> SearchQueryError:
        """An error at `pos` (default: the cursor); `found` quotes the text there."""
        pos = self.i if pos is None else pos
        return SearchQueryError("query", detail, pos, self.found(pos) if found else None, hint)

    def found(self, pos: Optional[int] = None) -> str:
        pos = self.i if pos is None else pos
        if pos >= len(self.s):
            return "end of query"
        rest = self.s[pos:pos + 20]
        return repr(rest + ("..." if len(self.s) - pos > 20 else ""))

    def skip_ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in _SPACE:
            self.i += 1

    def peek_word(self) -> str:
        """The run of letters and underscores at the cursor (not consumed)."""
        j = self.i
        while j < len(self.s) and (self.s[j].isalpha() or self.s[j] == "_"):
            j += 1
        return self.s[self.i:j]

    def at_keyword(self, word: str) -> bool:
        """Whether the upper-case keyword `word` starts here and ends at a word boundary."""
        end = self.i + len(word)
        if not self.s.startswith(word, self.i):
            return False
        return end == len(self.s) or not (self.s[end].isalnum() or self.s[end] == "_")

    # grammar
    def parse(self) -> Node:
        node = self.expression(0)
        if self.i < len(self.s):
            if self.s[self.i] == ")":
                raise self.fail("unexpected ')' with no matching '('")
            raise self.fail("expected AND, OR or end of query", found=True)
        depth, pos = _nesting(node)
        if depth > MAX_NESTING:
            raise self.fail(f"conditions nested deeper than {MAX_NESTING} levels", pos,
                            hint="each change between AND and OR nests one level (a AND b OR c is a AND (b OR c))")
        return node

    def expression(self, depth: int) -> Node:
        operands = [self.primary(depth)]
        ops = []
        while True:
            self.skip_ws()
            op = self.bool_op()
            if op is None:
                break
            ops.append(op)
            operands.append(self.primary(depth))
        # Expression.java: `lhs op rhs` where rhs is itself an Expression, so the chain folds to the right.
        node = operands[-1]
        for op, left in zip(reversed(ops), reversed(operands[:-1])):
            node = BoolOp(op, left, node)
        return node

    def bool_op(self) -> Optional[str]:
        for word in ("AND", "OR"):
            if self.at_keyword(word):
                self.i += len(word)
                return word
        if self.peek_word().upper() in ("AND", "OR"):
            raise self.fail("expected AND or OR", found=True, hint="boolean operators are upper-case")
        return None

    def primary(self, depth: int) -> Node:
        self.skip_ws()
        if self.i < len(self.s) and self.s[self.i] == "(":
            if depth >= MAX_DEPTH:
                raise self.fail(f"parentheses nested deeper than {MAX_DEPTH}")
            opened = self.i
            self.i += 1
            node = self.expression(depth + 1)
            self.skip_ws()
            if self.i >= len(self.s):
                raise self.fail("expected ')'", found=True, hint=f"the '(' at position {opened} is not closed")
            if self.s[self.i] != ")":
                raise self.fail("expected AND, OR or ')'", found=True)
            self.i += 1
            return node
        return self.comparison()

    def comparison(self) -> Compare:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise self.fail(f"more than {MAX_CLAUSES} conditions")
        start = self.i
        while self.i < len(self.s) and self.s[self.i] not in _STOP:
            self.i += 1
        name = self.s[start:self.i]
        if not name:
            raise self.fail("expected a field name or '('", found=True)
        if name not in self.spec.fields:
            raise self.fail(f"unknown field {name!r}", start, hint=_known(self.spec))
        self.skip_ws()
        op_pos = self.i
        op = self.operator()
        kind = self.spec.kind(name)
        if op == "IN":
            values = tuple(self.coerce(name, raw, pos) for raw, pos in self.items())
            return Compare(name, op, values, start)
        if op == "BETWEEN":
            low = self.coerce(name, *self.value())
            self.skip_ws()
            if not self.at_keyword("AND"):
                raise self.fail("expected AND between the BETWEEN bounds", found=True)
            self.i += 3
            high = self.coerce(name, *self.value())
            return Compare(name, op, (low, high), start)
        if op == "IS":
            return Compare(name, self.null_check(), (), start)
        if op == "STARTS_WITH" and kind != "text":
            raise self.fail(f"STARTS_WITH needs a text field, and {name!r} is {_KIND_NAMES[kind]}", op_pos)
        return Compare(name, op, (self.coerce(name, *self.value()),), start)

    def operator(self) -> str:
        s, i = self.s, self.i
        two = s[i:i + 2]
        if two in (">=", "<="):
            raise self.fail(f"operator {two!r} is not supported", hint=f"use '{two[0]}' or BETWEEN ... AND ...")
        if two == "!=":
            self.i += 2
            return "!="
        if i < len(s) and s[i] in "=<>":
            self.i += 1
            return s[i]
        for word in ("STARTS_WITH", "BETWEEN", "IN", "IS"):
            if self.at_keyword(word):
                self.i += len(word)
                return word
        upper = self.peek_word().upper() in ("STARTS_WITH", "BETWEEN", "IN", "IS")
        raise self.fail("expected an operator (=, !=, >, <, IN, BETWEEN, STARTS_WITH, IS)", found=True,
                        hint="operators are upper-case" if upper else "")

    def null_check(self) -> str:
        self.skip_ws()
        word = self.peek_word()
        if word.upper() == "NULL":
            self.i += len(word)
            return "IS_NULL"
        if word.upper() == "NOT":
            self.i += len(word)
            self.skip_ws()
            word = self.peek_word()
            if word.upper() == "NULL":
                self.i += len(word)
                return "IS_NOT_NULL"
        raise self.fail("expected NULL or NOT NULL after IS", found=True)

    def value(self) -> tuple[str, int]:
        """(text, position) of one value: a quoted string, or a bare word or number up to a space or operator."""
        self.skip_ws()
        pos = self.i
        if pos < len(self.s) and self.s[pos] in "'\"":
            return self.string(), pos
        while self.i < len(self.s) and self.s[self.i] not in _STOP:
            self.i += 1
        raw = self.s[pos:self.i]
        if not raw or raw in ("AND", "OR"):
            self.i = pos
            raise self.fail("expected a value (a quoted string or a number)", found=True)
        return raw, pos

    def string(self) -> str:
        """A '...' or "..." string; a backslash takes the next character literally (ConstValue.readString)."""
        start = self.i
        delim = self.s[start]
        self.i += 1
        out = []
        while self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            if c == delim:
                return "".join(out)
            if c == "\\":
                if self.i >= len(self.s):
                    break
                c = self.s[self.i]
                self.i += 1
            out.append(c)
        raise self.fail("unterminated string", start, hint=f"no closing {delim}")

    def items(self) -> list[tuple[str, int]]:
        """The `(a, 'b', c)` of IN: quoted strings, or raw text up to ',' or ')' (ListConst.readList)."""
        self.skip_ws()
        if self.i >= len(self.s) or self.s[self.i] != "(":
            raise self.fail("expected '(' to open the IN list", found=True)
        opened = self.i
        self.i += 1
        items = []
        while True:
            self.skip_ws()
            pos = self.i
            if pos < len(self.s) and self.s[pos] in "'\"":
                items.append((self.string(), pos))
            else:
                while self.i < len(self.s) and self.s[self.i] not in ",)":
                    self.i += 1
                raw = self.s[pos:self.i].rstrip(_SPACE)
                if not raw:
                    if self.i >= len(self.s):
                        raise self.fail("expected a value or ')'", found=True,
                                        hint=f"the IN list at position {opened} is not closed")
                    raise self.fail("empty item in IN list", pos, found=True)
                items.append((raw, pos))
            self.skip_ws()
            if self.i >= len(self.s):
                raise self.fail("expected ',' or ')'", found=True,
                                hint=f"the IN list at position {opened} is not closed")
            if self.s[self.i] == ")":
                self.i += 1
                return items
            if self.s[self.i] != ",":
                raise self.fail("expected ',' or ')' in the IN list", found=True)
            self.i += 1

    # values, typed by their field
    def coerce(self, name: str, raw: str, pos: int):
        """The value to bind for `raw` in field `name`: text as is, integers and times (epoch ms) as int."""
        kind = self.spec.kind(name)
        if kind == "text":
            return raw
        text = raw.strip()
        if _INTEGER.fullmatch(text):
            number = int(text)
            if not _INT64_MIN <= number <= _INT64_MAX:
                raise self.fail(f"number {raw!r} for {name!r} is out of range", pos, hint="at most 64 bits")
            return number
        if kind == "time":
            millis = _iso_millis(text)
            if millis is not None:
                return millis
            raise self.fail(f"{name!r} takes epoch milliseconds or an ISO-8601 date-time", pos, found=True)
        raise self.fail(f"{name!r} takes an integer", pos, found=True)


def _iso_millis(text: str) -> Optional[int]:
    """Epoch ms of an ISO-8601 date or date-time (UTC unless it has an offset), or None if it is not one."""
    if not text[:4].isdigit():
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def parse_query(spec: SearchSpec, query: Optional[str]) -> Optional[Node]:
    """The parse tree of a query string, or None when it selects everything ('', whitespace or '*')."""
    if query is None:
        return None
    _check_text("query", query)
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchQueryError("query", f"longer than {MAX_QUERY_LENGTH} characters", found=str(len(query)))
    if query.strip() in ("", "*"):
        return None
    return _Parser(spec, query).parse()


def _operands(node: BoolOp) -> list[Node]:
    """The operands of a chain of one operator, in order: AND and OR are associative, so (a AND b AND c) is flat."""
    out, stack = [], [node.right, node.left]
    while stack:
        item = stack.pop()
        if isinstance(item, BoolOp) and item.op == node.op:
            stack += [item.right, item.left]
        else:
            out.append(item)
    return out


def _nesting(node: Node) -> tuple[int, int]:
    """(levels of nested parentheses the SQL will have, position of the most deeply nested condition)."""
    if isinstance(node, Compare):
        return 0, node.pos
    depth, pos = max((_nesting(item) for item in _operands(node)), key=lambda dp: dp[0])
    return depth + 1, pos


# ---------------------------------------------------------------------------------------------------------------
# SQL generation


def _where(spec: SearchSpec, node: Node, params: list) -> str:
    if isinstance(node, BoolOp):
        return "(" + f" {node.op} ".join(_where(spec, item, params) for item in _operands(node)) + ")"
    column = spec.fields[node.field]
    kind = spec.kind(node.field)
    if kind == "time":
        column = f"NULLIF({column}, 0)"  # Conductor writes 0 for "not yet": ES indexes no value for it
    op, values = node.op, node.values
    if op == "IS_NULL":
        return f"NULLIF({column}, '') IS NULL" if kind == "text" else f"{column} IS NULL"
    if op == "IS_NOT_NULL":
        return f"NULLIF({column}, '') IS NOT NULL" if kind == "text" else f"{column} IS NOT NULL"
    if op == "STARTS_WITH":
        params += [len(values[0]), values[0]]
        return f"substr({column}, 1, ?) = ?"  # case-sensitive like ES' prefix query, and no LIKE escaping
    params += values
    if op == "IN":
        return f"{column} IN ({', '.join('?' * len(values))})"
    if op == "BETWEEN":
        return f"{column} BETWEEN ? AND ?"
    if op == "!=":
        return f"{column} IS NOT ?"  # ES' `NOT field:value` also matches documents without the field
    return f"{column} {op} ?"


def _like_pattern(text: str) -> str:
    """`%text%` with %, _ and the escape character escaped, and `*` as a wildcard (as the SQL backends do)."""
    pieces = []
    for piece in text.split("*"):
        for c in (_LIKE_ESCAPE, "%", "_"):
            piece = piece.replace(c, _LIKE_ESCAPE + c)
        pieces.append(piece)
    return "%" + "%".join(pieces) + "%"


def _free_text_patterns(text: str) -> list[str]:
    """LIKE patterns for a free-text search over the stored JSON.

    The text is looked for as typed (so `"status":"FAILED"` works) and as it appears inside a JSON string
    (quotes and backslashes escaped, non-ASCII as \\uXXXX, which is how the store writes it). LIKE folds ASCII case
    only, so for non-ASCII text the lower- and upper-case escaped forms are tried too.
    """
    forms = [text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]]
    if not text.isascii():
        forms += [json.dumps(text.lower())[1:-1], json.dumps(text.upper())[1:-1]]
    patterns = []
    for form in forms:
        pattern = _like_pattern(form)
        # SQLite's LIKE reads its pattern up to a NUL, so the raw form would match everything; JSON escapes NUL.
        if "\x00" not in pattern and pattern not in patterns:
            patterns.append(pattern)
    return patterns


def _order_by(spec: SearchSpec, sort: Union[str, Sequence[str], None]) -> str:
    """`field[:ASC|DESC]` keys joined by `|` (Utils.convertStringToList), then the spec's default as tie-break."""
    if isinstance(sort, (list, tuple)) and all(isinstance(item, str) for item in sort):
        sort = "|".join(sort)  # sort=a&sort=b, as older servers took it
    keys = []
    if sort is not None:
        _check_text("sort", sort)
    if sort is not None and sort.strip():
        pos = 0
        for item in sort.split("|"):
            name, colon, order = item.partition(":")
            name_pos = pos + len(name) - len(name.lstrip())
            name = name.strip()
            if not name:
                raise SearchQueryError("sort", "expected a field name", pos, repr(item),
                                       "sort is field[:ASC|DESC], several joined by '|'")
            if name not in spec.fields:
                raise SearchQueryError("sort", f"unknown field {name!r}", name_pos, hint=_known(spec))
            direction = order.strip().upper() if colon else "ASC"
            if direction not in ("ASC", "DESC"):
                raise SearchQueryError("sort", f"expected ASC or DESC after {name + ':'!r}",
                                       pos + len(item) - len(order), repr(order.strip()))
            column = spec.fields[name]
            if spec.kind(name) == "time":
                column = f"NULLIF({column}, 0)"
            keys.append(f"{column} {direction} NULLS LAST")  # ES sorts documents without the field last
            pos += len(item) + 1
    keys.append(spec.default_sort)
    return ", ".join(keys)


def _known(spec: SearchSpec) -> str:
    return "known fields: " + ", ".join(sorted(spec.fields))


def _check_text(param: str, text: str) -> None:
    """Reject strings SQLite cannot bind (lone surrogates) with a SearchQueryError instead of an encoding error."""
    if not isinstance(text, str):
        raise SearchQueryError(param, "must be a string", found=type(text).__name__)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise SearchQueryError(param, "invalid character (a lone surrogate)", e.start) from None


def _check_int(param: str, value, low: int, high: int, detail: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SearchQueryError(param, detail, found=repr(value))
    return value


def compile_search(
    spec: SearchSpec,
    query: Optional[str],
    free_text: Optional[str],
    sort: Union[str, Sequence[str], None],
    start: int,
    size: int,
) -> tuple[str, list, str, list]:
    """(count_sql, count_params, page_sql, page_params): parameterised SELECTs of the count and of the page's rows.

    The page selects the spec's JSON column, ordered by `sort` then the spec's default order. `size` may be 0 (a
    count only) and at most `spec.max_size`.
    """
    _check_int("start", start, 0, _INT64_MAX, "must be an integer >= 0")
    _check_int("size", size, 0, _INT64_MAX, "must be an integer >= 0")
    if size > spec.max_size:  # Conductor's own message (WorkflowService.searchWorkflows)
        raise SearchQueryError("size", f"Cannot return more than {spec.max_size} {spec.table}s. Please use pagination.")

    conditions: list[str] = []
    params: list = []
    node = parse_query(spec, query)
    if node is not None:
        conditions.append(_where(spec, node, params))
    if free_text is not None:
        _check_text("freeText", free_text)
        text = free_text.strip()
        if text not in ("", "*"):
            patterns = _free_text_patterns(text)
            likes = [f"{spec.json_column} LIKE ? ESCAPE '{_LIKE_ESCAPE}'" for _ in patterns]
            conditions.append(likes[0] if len(likes) == 1 else "(" + " OR ".join(likes) + ")")
            params += patterns
    if len(params) > MAX_PARAMS:
        raise SearchQueryError("query", f"too many values (at most {MAX_PARAMS})", found=str(len(params)))

    where = " WHERE " + " AND ".join(conditions) if conditions else ""
    count_sql = f"SELECT COUNT(*) FROM {spec.table}{where}"
    page_sql = (f"SELECT {spec.json_column} FROM {spec.table}{where} ORDER BY {_order_by(spec, sort)} "
                f"LIMIT ? OFFSET ?")
    return count_sql, list(params), page_sql, params + [size, start]
