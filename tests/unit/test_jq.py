"""Tests for conductor_nb.engine.jq: JSON_JQ_TRANSFORM's program over the whole input, as JsonJqTransform runs it.

JsonJqTransform outputs `result` (the first result, null when there is none) and `resultList` (every result), and
an integral number as a long.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest

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


def test_modules_cannot_read_files(tmp_path, monkeypatch):
    (tmp_path / "secret.json").write_text('{"secret": 1}')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(JqError, match="module not found"):
        transform('import "secret" as $s; $s', {})


def test_threads_transform_concurrently():
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: transform(".n + 1", {"n": n}), range(200)))
    assert results == [(n + 1, [n + 1]) for n in range(200)]
