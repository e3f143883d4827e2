"""Tests for conductor_nb.engine.expressions: Conductor's ${...} templates and Jayway-style JSON paths.

Every expected value in the TEMPLATE_CASES and PATH_CASES tables was checked against the real thing: ParametersUtils'
replaceVariables algorithm run with Jayway JsonPath 2.4.0 on the same document (Jackson-style maps and lists).
"""

from collections.abc import Mapping

import pytest

from conductor_nb.engine.expressions import read_path, resolve

CTX = {
    "workflow": {
        "input": {
            "name": "Ann",
            "n": 1,
            "d": 1.5,
            "d1": 1.0,
            "big": 1e20,
            "small": 1e-4,
            "mid": 12345678.9,
            "milli": 0.001,
            "neg": -2.5,
            "t": True,
            "f": False,
            "nul": None,
            "m": {"a": 1, "b": "x", "c": [1, 2.0, "s", None, {"z": False}]},
            "l": [1, 2, 3],
            "fl": [1.5, -2.5, 3.0],
            "negs": [-1, -2],
            "empty": [],
            "em": {},
            "key": "n",
            "ref": "t1",
            "idx": 1,
            "dash-key": "dk",
            "with space": "ws",
            "esc": "$${x}",
            "tmpl": "${workflow.input.name}",
            "s": 'say "hi"/bye',
            "items": [
                {"id": 1, "x": "a", "tags": ["p", "q"], "price": 10.5},
                {"id": 2, "x": "b", "tags": [], "price": 3},
                {"id": 3, "x": "a", "sub": {"id": 30}},
            ],
        },
        "output": {},
        "status": "RUNNING",
        "workflowId": "wf-1",
        "parentWorkflowId": None,
        "version": 2,
        "variables": {"v": 1},
    },
    "t1": {
        "input": {"a": 1},
        "output": {"y": "yy", "nested": {"deep": {"x": 42}}, "arr": [[1, 2], [3, 4]]},
        "taskType": "SIMPLE",
        "status": "COMPLETED",
        "retryCount": 0,
    },
}

# (template, expected) with task_id="TASK-1" and no special environment variables.
TEMPLATE_CASES = [
    # A whole-string template gives the raw value, of any type.
    ("${workflow.input}", CTX["workflow"]["input"]),
    ("${workflow.input.name}", "Ann"),
    ("${workflow.input.n}", 1),
    ("${workflow.input.d1}", 1.0),
    ("${workflow.input.t}", True),
    ("${workflow.input.nul}", None),
    ("${workflow.input.missing}", None),
    ("${workflow.input.m}", {"a": 1, "b": "x", "c": [1, 2.0, "s", None, {"z": False}]}),
    ("${workflow.input.l}", [1, 2, 3]),
    ("${workflow.status}", "RUNNING"),
    ("${workflow.parentWorkflowId}", None),
    ("${t1.output.y}", "yy"),
    ("${t1.taskType}", "SIMPLE"),
    ("${nope.output.y}", None),
    ("${$.workflow.input.name}", "Ann"),
    ("${ workflow.input.name }", "Ann"),  # Jayway trims the path
    # Embedded templates are stitched with Java's Objects.toString.
    ("Hello ${workflow.input.name}!", "Hello Ann!"),
    ("${workflow.input.name}${workflow.input.n}", "Ann1"),
    ("x${workflow.input.n}", "x1"),
    ("x${workflow.input.nul}", "xnull"),
    ("x${workflow.input.missing}", "xnull"),
    ("x${workflow.input.t}/${workflow.input.f}", "xtrue/false"),
    ("x${workflow.input.m}", "x{a=1, b=x, c=[1, 2.0, s, null, {z=false}]}"),
    ("x${workflow.input.l}", "x[1, 2, 3]"),
    ("x${workflow.input.empty}${workflow.input.em}", "x[]{}"),
    ("x${workflow.input.d}", "x1.5"),
    ("x${workflow.input.d1}", "x1.0"),
    ("x${workflow.input.big}", "x1.0E20"),
    ("x${workflow.input.small}", "x1.0E-4"),
    ("x${workflow.input.mid}", "x1.23456789E7"),
    ("x${workflow.input.milli}", "x0.001"),
    ("x${workflow.input.neg}", "x-2.5"),
    ("x${workflow.input.fl}", "x[1.5, -2.5, 3.0]"),
    # Results of indefinite paths are json-smart arrays: their toString is compact JSON, with '/' escaped.
    ("x${workflow.input.items[*].id}", "x[1,2,3]"),
    ("x${workflow.input.items[*].x}", 'x["a","b","a"]'),
    ("x${workflow.input.items[?(@.id == 2)]}", 'x[{"id":2,"x":"b","tags":[],"price":3}]'),
    ("x${$..s}", 'x["say \\"hi\\"\\/bye"]'),
    ("x${workflow.input.fl[0:2]}", "x[1.5,-2.5]"),
    ("x${workflow.input.missing[*]}", "x[]"),
    # $${ escapes a template; the unescaping runs over the whole result, substituted values included.
    ("$${workflow.input.name}", "${workflow.input.name}"),
    ("a $${workflow.input.name} b", "a ${workflow.input.name} b"),
    ("$${workflow.input.name} ${workflow.input.name}", "${workflow.input.name} Ann"),
    ("$$${workflow.input.name}", "$${workflow.input.name}"),
    ("${workflow.input.esc}", "$${x}"),
    ("x${workflow.input.esc}", "x${x}"),
    ("$${a ${workflow.input.name}", "${a Ann"),
    ("price: $5", "price: $5"),
    # Values are not resolved again.
    ("${workflow.input.tmpl}", "${workflow.input.name}"),
    ("x${workflow.input.tmpl}", "x${workflow.input.name}"),
    # Blank templates become "" (Java whitespace only: a no-break space is a path, which is missing).
    ("${}", ""),
    ("${   }", ""),
    ("${\t}", ""),
    ("a${}b", "ab"),
    ("${\u00a0}", None),
    # System parameters and secrets.
    ("${CPEWF_TASK_ID}", "TASK-1"),
    ("id=${CPEWF_TASK_ID}", "id=TASK-1"),
    ("${NETFLIX_ENV}", "${NETFLIX_ENV}"),
    ("${NETFLIX_STACK}-x", "${NETFLIX_STACK}-x"),
    ("${workflow.secrets.api_key}", "${workflow.secrets.api_key}"),
    ("key=${workflow.secrets.api_key}", "key=${workflow.secrets.api_key}"),
    ("${workflow.secrets.${workflow.input.key}}", "${workflow.secrets.${workflow.input.key}}"),
    ("${workflow.env.X}", None),
    # Nested templates resolve inside out; an inner value is rendered as a string.
    ("${workflow.input.${workflow.input.key}}", 1),
    ("${${workflow.input.ref}.output.y}", "yy"),
    ("${workflow.input.l[${workflow.input.idx}]}", 2),
    ("${t1.output.nested.${workflow.input.missing}}", None),  # the path becomes "t1.output.nested.null"
    ("x${workflow.input.${workflow.input.key}}y", "x1y"),
    # Unbalanced braces: exactly what Conductor's regular expression matches.
    ("${workflow.input.name", "${workflow.input.name"),
    ("${workflow.input.name}}", "Ann}"),
    ("{${workflow.input.name}}", "{Ann}"),
    ("${a}${", "null${"),
    ("${${workflow.input.name}", "${${workflow.input.name}"),
    ("${a${}", "${a${}"),
    ("}${${\n}", "}${${\n}"),
    # Paths: brackets, dashes, filters, functions.
    ("${workflow.input['dash-key']}", "dk"),
    ('${workflow.input["dash-key"]}', "dk"),
    ("${workflow.input.dash-key}", "dk"),
    ("${workflow.input['with space']}", "ws"),
    ("${workflow.input.l[-1]}", 3),
    ("${workflow.input.l[5]}", None),
    ("${workflow.input.name[0]}", None),
    ("${workflow.input.m[0]}", None),
    ("${workflow.input.items[*].id}", [1, 2, 3]),
    ("${workflow.input.missing[*].id}", []),
    ("${workflow.input.items[?(@.x == 'a')].id}", [1, 3]),
    ("${workflow.input.l.length()}", 3),
    ("${workflow.input.m.length()}", 3),
    ("${workflow.input.name.length()}", None),
    ("${..x}", None),  # "$...x" does not compile
    ("${t1..x}", [42]),
    ("${workflow.input.l[1:3]}", [2, 3]),
    ("${workflow.input['name','n']}", {"name": "Ann", "n": 1}),
]

# (path, expected) for read_path on CTX.
PATH_CASES = [
    ("workflow.input.name", "Ann"),
    ("$.workflow.input.name", "Ann"),
    ("$['workflow']['input']['name']", "Ann"),
    ('$["workflow"]["input"]["name"]', "Ann"),
    ("workflow['input'].name", "Ann"),
    ("workflow.input['dash-key']", "dk"),
    ("workflow.input.dash-key", "dk"),
    ("workflow.input.missing", None),
    ("workflow.input.missing.deeper", None),
    ("workflow.input.name.deeper", None),
    ("workflow.parentWorkflowId", None),
    ("workflow.parentWorkflowId.x", None),
    ("t1.output.nested.deep.x", 42),
    ("$", CTX),
    # Indexes and slices
    ("workflow.input.l[0]", 1),
    ("workflow.input.l[-1]", 3),
    ("workflow.input.l[-3]", 1),
    ("workflow.input.l[3]", None),
    ("workflow.input.l[-4]", None),
    ("workflow.input.m[0]", None),
    ("workflow.input.name[0]", None),
    ("workflow.input.l[ 1 ]", 2),
    ("workflow.input.l[0,2]", [1, 3]),
    ("workflow.input.l[0,7]", [1]),
    ("workflow.input.l[1:3]", [2, 3]),
    ("workflow.input.l[1:]", [2, 3]),
    ("workflow.input.l[:2]", [1, 2]),
    ("workflow.input.l[-2:]", [2, 3]),
    ("workflow.input.l[:-1]", [1, 2]),
    ("workflow.input.l[5:]", []),
    ("workflow.input.l[2:1]", []),
    ("workflow.input.name[1:2]", []),
    ("t1.output.arr[1][0]", 3),
    ("t1.output.arr[*][0]", [1, 3]),
    # Wildcards and deep scan
    ("workflow.input.l[*]", [1, 2, 3]),
    ("workflow.input.l.*", [1, 2, 3]),
    ("workflow.input.m.*", [1, "x", [1, 2.0, "s", None, {"z": False}]]),
    ("workflow.input.m[*]", [1, "x", [1, 2.0, "s", None, {"z": False}]]),
    ("workflow.input.items[*].id", [1, 2, 3]),
    ("workflow.input.items[*].sub.id", [30]),
    ("workflow.input.name[*]", []),
    ("workflow.input.missing[*]", []),
    ("$..x", ["a", "b", "a", 42]),
    ("$..id", [1, 2, 3, 30]),
    ("workflow.input..tags", [["p", "q"], []]),
    ("t1..deep", [{"x": 42}]),
    ("t1..nothing", []),
    ("workflow.input..tags[0]", ["p"]),
    # Several keys: a map of those present (definite when last), else one result per key
    ("workflow.input['name','n']", {"name": "Ann", "n": 1}),
    ("workflow.input['name','zz']", {"name": "Ann"}),
    ("workflow['input','output'].name", ["Ann"]),
    # Functions
    ("workflow.input.l.length()", 3),
    ("workflow.input.l.size()", 3),
    ("workflow.input.m.length()", 3),
    ("workflow.input.empty.length()", 0),
    ("workflow.input.name.length()", None),
    ("workflow.input.missing.length()", None),
    ("workflow.input.items[*].tags.length()", [2, 0]),
    ("workflow.input.l.sum()", 6.0),
    ("workflow.input.l.avg()", 2.0),
    ("workflow.input.l.min()", 1.0),
    ("workflow.input.l.max()", 3.0),
    ("workflow.input.fl.stddev()", 2.321398046197353),
    ("workflow.input.negs.max()", 5e-324),  # Jayway 2.4.0 starts max at Double.MIN_VALUE
    ("workflow.input.empty.sum()", None),
    ("workflow.input.l.nosuchfunction()", None),
    # Filters
    ("workflow.input.items[?(@.id > 1)].id", [2, 3]),
    ("workflow.input.items[?(@.id >= 2 && @.x == 'a')].id", [3]),
    ("workflow.input.items[?(@.id == 1 || @.x == 'b')].id", [1, 2]),
    ("workflow.input.items[?(@.x != 'a')].id", [2]),
    ("workflow.input.items[?(@.price < 5)].id", [2]),
    ("workflow.input.items[?(@.price <= 10.5)].id", [1, 2]),
    ('workflow.input.items[?(@.x == "b")].id', [2]),
    ("workflow.input.items[?(@.id == '2')].id", [2]),  # a number equals a string holding it
    ("workflow.input.items[?(@.sub)].id", [3]),
    ("workflow.input.items[?(!@.sub)].id", [1, 2]),
    ("workflow.input.items[?(!(@.id > 1))].id", [1]),
    ("workflow.input.items[?(@.sub.id == 30)].id", [3]),
    ("workflow.input.items[?(@.x in ['b','c'])].id", [2]),
    ("workflow.input.items[?(@.x nin ['a'])].id", [2]),
    ("workflow.input.items[?(@.id in [1, 3])].id", [1, 3]),
    ("workflow.input.items[?(@.tags contains 'p')].id", [1]),
    ("workflow.input.items[?(@.tags size 2)].id", [1]),
    ("workflow.input.items[?(@.tags empty true)].id", [2]),
    ("workflow.input.items[?(@.tags subsetof ['p','q','r'])].id", [1, 2]),
    ("workflow.input.items[?(@.x =~ /A/i)].id", [1, 3]),
    ("workflow.input.items[?(@.x =~ /b/)].id", [2]),
    ("workflow.input.items[?(@.x === 'a')].id", [1, 3]),
    ("workflow.input.items[?(@.id == $.workflow.input.n)].x", ["a"]),
    ("workflow.input.items[?(@.tags == ['p','q'])].id", [1]),
    ("workflow.input.items[?(@.missing == 1)]", []),
    ("workflow.input.items[?(@.missing != 1)].id", [1, 2, 3]),
    ("workflow.input.l[?(@ > 1)]", [2, 3]),
    ("workflow.input.m[?(@.a == 1)].b", ["x"]),
    ("workflow.input.name[?(@ == 'Ann')]", []),
    ("workflow.input.items[?(@.id all [1])]", []),
    ("$..items[?(@.price > 3)].id", [1]),
    # Paths that do not compile
    ("workflow.input.", None),
    ("workflow..", None),
    ("workflow.input.a b", None),
    ("workflow.input[x", None),
    ("workflow.input.name[", "Ann"),  # Jayway stops parsing when one character is left
    ("workflow.input.items[?(@.id = 1)]", None),
    ("workflow.input.l.sum(1)", 6.0),  # ... so a one-character argument list reads as sum()
    ("", None),
]


@pytest.mark.parametrize(("template", "expected"), TEMPLATE_CASES)
def test_template(template, expected, monkeypatch):
    for name in ("NETFLIX_ENV", "NETFLIX_STACK"):
        monkeypatch.delenv(name, raising=False)
    assert _typed(resolve(template, CTX, "TASK-1")) == _typed(expected)


@pytest.mark.parametrize(("path", "expected"), PATH_CASES)
def test_read_path(path, expected):
    assert _typed(read_path(CTX, path)) == _typed(expected)


def _typed(value):
    """`value` with every scalar tagged by its type, so that 1 != 1.0 != True in comparisons."""
    if isinstance(value, Mapping):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


# --- structures


def test_maps_and_lists_are_resolved_recursively_and_keys_are_never_templated():
    value = {
        "${workflow.input.name}": "${workflow.input.name}",
        "list": [
            "${workflow.input.n}",
            {"inner": ["${t1.output.y}", "lit ${workflow.input.n}", 7, None, True, 2.5]},
            ["${workflow.input.l}", ("${workflow.input.d1}",)],
        ],
        "num": 3,
        "none": None,
    }
    assert resolve(value, CTX) == {
        "${workflow.input.name}": "Ann",
        "list": [1, {"inner": ["yy", "lit 1", 7, None, True, 2.5]}, [[1, 2, 3], [1.0]]],
        "num": 3,
        "none": None,
    }


@pytest.mark.parametrize("value", [None, 3, 2.5, True, "plain", "", "$5 {}"])
def test_values_without_templates_come_back_unchanged(value):
    assert _typed(resolve(value, CTX)) == _typed(value)


def test_resolve_does_not_mutate_its_input():
    value = {"a": ["${workflow.input.l}"], "b": {"c": "${workflow.input.name}"}}
    resolve(value, CTX)
    assert value == {"a": ["${workflow.input.l}"], "b": {"c": "${workflow.input.name}"}}


@pytest.mark.parametrize(
    "get",
    [
        lambda ctx: resolve("${workflow.input.m}", ctx),
        lambda ctx: resolve({"k": ["${workflow.input.m}"]}, ctx)["k"][0],
        lambda ctx: read_path(ctx, "workflow.input.m"),
        lambda ctx: read_path(ctx, "workflow.input.items[?(@.id == 1)]")[0]["tags"],
        lambda ctx: resolve("${workflow.input.items[*]}", ctx)[0],
        lambda ctx: read_path(ctx, "$..m")[0],
    ],
)
def test_results_are_copies_of_the_context(get):
    ctx = {"workflow": {"input": {"m": {"a": [1]}, "items": [{"id": 1, "tags": ["p"]}]}}}
    result = get(ctx)
    if isinstance(result, dict):
        result.clear()
    else:
        result.append("mutated")
    assert ctx == {"workflow": {"input": {"m": {"a": [1]}, "items": [{"id": 1, "tags": ["p"]}]}}}


def test_whole_string_list_result_is_a_plain_list():
    result = resolve("${workflow.input.items[*].id}", CTX)
    assert type(result) is list


# --- task id and environment


def test_cpewf_task_id_without_a_task_id_leaves_the_template():
    assert resolve("${CPEWF_TASK_ID}", CTX) == "${CPEWF_TASK_ID}"
    assert resolve("id=${CPEWF_TASK_ID}", CTX) == "id=${CPEWF_TASK_ID}"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${CONDUCTOR_NB_TEST_VAR}", "from-env"),
        ("v=${CONDUCTOR_NB_TEST_VAR}!", "v=from-env!"),
        ("${NETFLIX_ENV}", "prod"),
        ("${t1.output.${CONDUCTOR_NB_TEST_KEY}}", "yy"),
        # An environment variable wins over a context entry of the same name.
        ("${workflow.input.name}", "shadowed"),
    ],
)
def test_environment_variables_resolve(template, expected, monkeypatch):
    monkeypatch.setenv("CONDUCTOR_NB_TEST_VAR", "from-env")
    monkeypatch.setenv("CONDUCTOR_NB_TEST_KEY", "y")
    monkeypatch.setenv("NETFLIX_ENV", "prod")
    monkeypatch.setenv("workflow.input.name", "shadowed")
    assert resolve(template, CTX) == expected


def test_unset_environment_variable_is_just_a_missing_path(monkeypatch):
    monkeypatch.delenv("CONDUCTOR_NB_UNSET_VAR", raising=False)
    assert resolve("${CONDUCTOR_NB_UNSET_VAR}", CTX) is None
    assert resolve("x${CONDUCTOR_NB_UNSET_VAR}", CTX) == "xnull"


# --- the context is read lazily


class LazyContext(Mapping):
    """A mapping that builds entries on demand and refuses to be iterated."""

    def __init__(self, entries):
        self.entries = entries
        self.accessed = []

    def __getitem__(self, key):
        self.accessed.append(key)
        return self.entries[key]

    def __iter__(self):
        raise AssertionError("the context must not be iterated")

    def __len__(self):
        raise AssertionError("the context must not be measured")


@pytest.mark.parametrize(
    ("template", "expected", "accessed"),
    [
        ("${workflow.input.name}", "Ann", ["workflow"]),
        ("${t1.output.y} and ${workflow.input.n}", "yy and 1", ["t1", "workflow"]),
        ("${workflow.input.items[?(@.id > $.workflow.input.n)].id}", [2, 3], ["workflow", "workflow"]),
        ("${missing.output}", None, ["missing"]),
        ("${workflow['input','output'].name}", ["Ann"], ["workflow"]),
        ("${${workflow.input.ref}.output.y}", "yy", ["workflow", "t1"]),
    ],
)
def test_lazy_context_only_builds_the_entries_a_path_needs(template, expected, accessed):
    ctx = LazyContext(CTX)
    assert resolve({"k": template}, ctx) == {"k": expected}
    assert ctx.accessed == accessed


# --- read_path on other documents


@pytest.mark.parametrize(
    ("document", "path", "expected"),
    [
        ({"a": {"b": 1}}, "a.b", 1),
        ({"a": {"b": 1}}, "$.a", {"b": 1}),
        ([{"a": 1}, {"a": 2}], "$[1].a", 2),
        ([{"a": 1}, {"a": 2}], "$[*].a", [1, 2]),
        ([1, 2, 3], "$.length()", 3),
        ("text", "$", "text"),
        (None, "a", None),
        (None, "a[*]", []),
        ({"a": None}, "a", None),
        ({"a": None}, "a[0]", None),
        ({"a": [None]}, "a[0]", None),
        ({"a": (1, 2)}, "a[1]", 2),
        ({"k.dot": 1}, "['k.dot']", 1),
        ({"it's": 1}, "['it\\'s']", 1),
        ({"a": {"x": 1, "y": {"x": 2}}}, "$..x", [1, 2]),
        ({"a": [{"v": 2.5}, {"v": 1}]}, "a[?(@.v == 1.0)].v", [1]),
        ({"a": [{"v": "1.0"}, {"v": "1"}]}, "a[?(@.v == 1)].v", ["1"]),  # Jayway compares "1.0" to 1 as strings
        ({"a": [True, False, None]}, "a[?(@ == true)]", [True]),
        ({"a": [True, False, None]}, "a[?(@ == null)]", [None]),
    ],
)
def test_read_path_on_any_document(document, path, expected):
    assert _typed(read_path(document, path)) == _typed(expected)


def test_function_arguments_are_not_supported():
    # Jayway would compute 6 + 1 + 2 here; this module only supports functions without arguments.
    assert read_path(CTX, "workflow.input.l.sum(1, 2)") is None
    assert resolve("${workflow.input.l.sum(1, 2)}", CTX) is None


def test_read_path_rejects_non_string_paths():
    assert read_path(CTX, None) is None
    assert read_path(CTX, 3) is None
