"""Tests for conductor_nb.engine.jq: JSON_JQ_TRANSFORM's program over the whole input, as JsonJqTransform runs it.

JsonJqTransform outputs `result` (the first result, null when there is none) and `resultList` (every result), and
an integral number as a long.
"""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from conductor_nb.engine import jq as jq_module
from conductor_nb.engine import scripting
from conductor_nb.engine.jq import JqError, transform

DOCUMENT = {
    "inputJson": {"key": ["VALUE"]},
    "items": [{"name": "a", "n": 1}, {"name": "b", "n": 2.5}],
    "data": [],
    "f": 2.5,
}

RESULTS = [
    (".inputJson.key[0]", "VALUE", ["VALUE"]),
    (".items | map(.name)", ["a", "b"], [["a", "b"]]),
    (".items[].name", "a", ["a", "b"]),
    ("if (.data | length > 0) then \"EXISTS\" else \"CREATE\" end", "CREATE", ["CREATE"]),
    ("{first: .items[0].name, total: ([.items[].n] | add)}", {"first": "a", "total": 3.5},
     [{"first": "a", "total": 3.5}]),
    (".f * 2", 5, [5]),
    (".f / 5", 0.5, [0.5]),
    ("[range(3)]", [0, 1, 2], [[0, 1, 2]]),
    ("pow(2; 64)", 2.0**64, [2.0**64]),  # beyond a long
    ("null", None, [None]),
    ("empty", None, []),
    (".missing", None, [None]),
    ("\"a\\nb\", \"\\u2028\"", "a\nb", ["a\nb", "\u2028"]),
    ("keys", ["data", "f", "inputJson", "items"], [["data", "f", "inputJson", "items"]]),
]


@pytest.mark.parametrize("query, result, result_list", RESULTS)
def test_result_and_result_list(query, result, result_list):
    first, results = transform(query, DOCUMENT)
    assert (first, results) == (result, result_list)
    assert type(first) is type(result)


ERRORS = [
    ("{", "syntax error"),
    (".f.x", "Cannot index number with"),
    ("error(\"boom\")", "boom"),
    ("nosuchfunction(1)", "nosuchfunction/1 is not defined"),
]


@pytest.mark.parametrize("query, message", ERRORS)
def test_errors_carry_jq_s_message(query, message):
    with pytest.raises(JqError, match=message):
        transform(query, DOCUMENT)


@pytest.mark.parametrize("query", ["repeat(1)", "[range(1e12)] | length", "def f: f; f"])
def test_a_runaway_program_is_stopped_and_the_next_one_runs(query):
    with pytest.raises(JqError, match=r"^jq program timed out after 0.2 s$"):
        transform(query, {}, timeout=0.2)
    assert transform(".a", {"a": 1}) == (1, [1])


def test_the_environment_is_not_visible(monkeypatch):
    monkeypatch.setenv("CONDUCTOR_NB_TEST_SECRET", "s3cret")
    assert transform("$ENV.CONDUCTOR_NB_TEST_SECRET, env.CONDUCTOR_NB_TEST_SECRET", {}) == (None, [None, None])
    assert transform("$ENV, env", {}) == ({}, [{}, {}])


REFUSED = [
    ('import "secret" as $s; $s', "import"),
    ('import "secret" as $s {search: "/tmp"}; $s', "import"),
    ('import "secret" as s {search: ["/tmp"]}; s::f', "import"),
    ('include "secret"; .', "include"),
    ('module {a: 1};\ninclude "secret" {search: "/tmp"}; .', "include"),
    ('# a comment\r include "secret"; .', "include"),  # jq runs a comment on past a lone CR: refused anyway
    ('"\\(import "secret" as $s; $s)"', "import"),
    ('"secret" | modulemeta', "modulemeta"),
    ("get_search_list", "get_search_list"),
    ("[get_prog_origin, get_jq_origin]", "get_prog_origin"),
    ('{a: "secret" | modulemeta}', "modulemeta"),
    ('{a: "secret" | # ,\n modulemeta}', "modulemeta"),  # the comma of a comment does not make a key
    ("1.import", "import"),
    ("..include", "include"),
]


@pytest.mark.parametrize("query, word", REFUSED)
def test_programs_that_could_load_modules_or_read_files_are_refused(query, word):
    with pytest.raises(JqError, match=f"^jq program refused: `{word}` is not allowed "
                                      r"\(jq programs cannot load modules or read files\)$"):
        transform(query, {})


LOOK_ALIKES = [
    ('"please include the import"', "please include the import"),
    (".import", "i"),
    ('{include: .include} | .include', 1),
    ("{import, include} | keys", ["import", "include"]),
    ("{a: 1, # a comment\n include} | .include", 1),
    ('. as {$import} | $import', "i"),
    ('"\\(.import) # include"', "i # include"),
    ("# import \"x\" as $x;\n.include", 1),
    ('@text "import"', "import"),
]


@pytest.mark.parametrize("query, result", LOOK_ALIKES)
def test_the_words_in_strings_fields_keys_variables_and_comments_are_fine(query, result):
    assert transform(query, {"import": "i", "include": 1})[0] == result


def test_the_sandbox_cannot_open_files_even_if_a_program_got_through(tmp_path):
    """The second layer: under Landlock, libjq cannot open the file an import names (the refusal is bypassed here)."""
    (tmp_path / "secret.json").write_text('{"secret": 1}')
    program = f'import "secret" as $s {{search: "{tmp_path}"}}; $s'
    kind, payload = jq_module._JQ.call((program, "{}", jq_module.MEMORY_LIMIT), 5)
    if kind == "R" and not _landlock():
        pytest.skip("no Landlock on this kernel: only the refusal protects files")
    assert (kind, "secret" in payload) == ("E", True) and "Permission denied" in payload


def _landlock() -> bool:
    code = "import sys; from conductor_nb.engine.scripting import forbid_file_access; print(forbid_file_access())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "True"


def test_a_program_is_held_to_its_memory_limit_and_the_next_one_runs():
    with pytest.raises(JqError, match=r"^jq program exceeded its memory limit of 16 MB"):
        transform('reduce range(30) as $i ("x"; . + .) | length', {}, memory_limit=16 * 2**20)
    with pytest.raises(JqError, match=r"^jq program exceeded its memory limit of 16 MB"):
        transform("[range(1e8)] | length", {}, memory_limit=16 * 2**20)
    assert transform('reduce range(20) as $i ("x"; . + .) | length', {}, memory_limit=16 * 2**20) == (2**20, [2**20])


def test_the_memory_limit_leaves_room_for_the_input():
    document = {"items": [{"name": f"item{i}", "n": i, "tags": ["a", "b"]} for i in range(50_000)]}  # 2.5 MB
    first, _ = transform(".items | map(.n) | add", document, memory_limit=8 * 2**20)
    assert first == sum(range(50_000))
    assert transform(".", document, memory_limit=8 * 2**20)[0] == document


def test_threads_transform_concurrently():
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: transform(".n + 1", {"n": n}), range(200)))
    assert results == [(n + 1, [n + 1]) for n in range(200)]


# ---- Other platforms ----------------------------------------------------------------------------------------------
# Windows has no `resource` module and neither it nor macOS has /proc: there jq runs without RLIMIT_DATA, and a worker
# tells whether it grew by a portable reading of its memory (ru_maxrss; GetProcessMemoryInfo on Windows).


@pytest.fixture(params=["jq_as_on_windows", "jq_as_on_macos"])
def foreign_worker(request, tmp_path):
    worker = scripting._Worker(f"sandbox_platforms:{request.param}", str(tmp_path))
    yield lambda query, document="{}": worker.exchange((query, document, 16 * 2**20), 30)
    worker.close()


def test_jq_runs_without_resource_or_proc(foreign_worker):
    assert foreign_worker(".a + 1", '{"a": 1}') == (("R", "2"), True)
    assert foreign_worker('error("boom")') == (("E", "boom"), True)
    # no RLIMIT_DATA there: 64 MB is more than the 16 MB limit (on Linux this fails), the time limit holds a program
    reply, _ = foreign_worker('reduce range(26) as $i ("x"; . + .) | length')
    assert reply == ("R", str(2**26))


def test_a_worker_that_grew_much_is_replaced_where_it_reads_ru_maxrss(tmp_path):
    # ru_maxrss is a peak, and on Linux a process starts with its parent's: the worker is started from a small process
    code = f"""if True:
        import os, sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from conductor_nb.engine import scripting
        worker = scripting._Worker("sandbox_platforms:jq_as_on_macos", {str(tmp_path)!r})
        print(worker.exchange((".", "1", 0), 30))
        print(worker.exchange(('reduce range(27) as $i ("x"; . + .) | length', "{{}}", 0), 30))
        worker.close()
        """
    replies = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert replies.splitlines() == [str((("R", "1"), True)), str((("R", str(2**27)), False))]


class FakeResource:
    RUSAGE_SELF = 0

    @staticmethod
    def getrusage(who):
        return type("rusage", (), {"ru_maxrss": 1000})


@pytest.mark.parametrize("platform, size", [("darwin", 1000), ("linux", 1000 * 1024), ("freebsd14", 1000 * 1024)])
def test_ru_maxrss_is_read_in_bytes_on_macos_and_kilobytes_elsewhere(platform, size):
    assert jq_module._memory_gauge(FakeResource, platform)() == size


def test_without_proc_or_resource_there_is_no_gauge_but_on_windows(monkeypatch):
    monkeypatch.setattr(jq_module, "STATM", "/nonexistent/statm")
    assert jq_module._data_size_gauge() is None
    assert jq_module._memory_gauge(None, "linux") is None
    monkeypatch.setattr(jq_module, "_windows_private_bytes", lambda: (lambda: 42))
    assert jq_module._memory_gauge(None, "win32")() == 42


def test_without_the_resource_module_it_is_none(monkeypatch):
    monkeypatch.setitem(sys.modules, "resource", None)
    assert jq_module._resource() is None
