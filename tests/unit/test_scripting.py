"""Tests for conductor_nb.engine.scripting: JavaScript as Conductor's GraalJS ScriptEvaluator evaluates it.

Expected conversions follow ScriptEvaluator.getObject: null/undefined → null, boolean, string, a number as an Integer
or Long when it fits (so 3.0 is 3) else a Double, arrays → List, Map entries or member keys → Map.
"""

import contextlib
import json
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conductor_nb.engine import scripting
from conductor_nb.engine.scripting import ScriptError, ScriptTimeout, evaluate, evaluate_lambda, truthy

MB = 2**20

RESULTS = [
    ("$.a + 1", {"a": 1}, 2),
    ("$.value > 1", {"value": 2}, True),
    ("$.value > 1", {"value": 0}, False),
    ("function e() { return $.a + 1 } e();", {"a": 41}, 42),
    ("const x = $.items.length; x * 2", {"items": [1, 2, 3]}, 6),
    ("3.0", {}, 3),
    ("7 / 2", {}, 3.5),
    ("2 ** 53 + 2", {}, 2**53 + 2),
    ("2 ** 62", {}, 2**62),  # exact, although JS prints 4611686018427388000
    ("2 ** 63", {}, 2.0**63),  # beyond a Java long: a double
    ("1e21", {}, 1e21),
    ("10n", {}, 10),
    ("NaN", {}, "NaN"),  # Conductor's INLINE output and SWITCH case have Java's text for these
    ("[1 / 0, -1 / 0]", {}, ["Infinity", "-Infinity"]),
    ("'s' + $.n", {"n": 1}, "s1"),
    ("null", {}, None),
    ("undefined", {}, None),
    ("var x = 5;", {}, None),
    ("[1, 'a', null, , true]", {}, [1, "a", None, None, True]),
    ("({a: {b: [1, 2.5, {c: 'd'}]}, u: undefined})", {}, {"a": {"b": [1, 2.5, {"c": "d"}]}, "u": None}),
    ("$", {"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}),
    ("$.a.map((x) => x * 2)", {"a": [1, 2]}, [2, 4]),
    ("`${$.name}!`", {"name": "Ann"}, "Ann!"),
    ("new Map([['k', 1], [2, 'two']])", {}, {"k": 1, "2": "two"}),
    ("new Uint8Array([1, 2])", {}, [1, 2]),
    ("new Date(0)", {}, {}),  # GraalJS: a Date has no member keys
    ("({f() { return 1 }, s: Symbol('x')})", {}, {"f": {}, "s": {}}),
    ("const o = {}; [o, o]", {}, [{}, {}]),  # shared, not cyclic
    ("if ($.n > 1) { 'big' } else { 'small' }", {"n": 2}, "big"),
    ("this === globalThis", {}, True),
]


@pytest.mark.parametrize("expression, bindings, expected", RESULTS)
def test_results_convert_as_graaljs_hands_them_to_conductor(expression, bindings, expected):
    result = evaluate(expression, bindings)
    assert result == expected
    assert type(result) is type(expected)


ERRORS = [
    ("x.y", "Error evaluating the script `ReferenceError: x is not defined` at line 1"),
    ("const a = 1;\n\nfoo()", "Error evaluating the script `ReferenceError: foo is not defined` at line 3"),
    ("function f() {\n  return null.x\n}\nf()",  # the line where it was thrown, inside f
     "Error evaluating the script `TypeError: Cannot read properties of null (reading 'x')` at line 2"),
    ("1 +* 2", "Error evaluating the script `SyntaxError: Unexpected token '*'`"),
    ("return 1", "Error evaluating the script `SyntaxError: Illegal return statement`"),
    ("throw 'boom'", "Error evaluating the script `boom`"),
    ("throw new RangeError('too far')", "Error evaluating the script `RangeError: too far` at line 1"),
    ("const a = {}; a.self = a; a", "Error evaluating the script `TypeError: the result contains itself`"),
]


@pytest.mark.parametrize("expression, message", ERRORS)
def test_errors_carry_the_javascript_message(expression, message):
    with pytest.raises(ScriptError) as raised:
        evaluate(expression, {})
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("name", ["require", "process", "fetch", "XMLHttpRequest", "std", "os", "Deno", "Bun",
                                  "setTimeout", "Java", "Packages", "importScripts"])
def test_no_host_access_is_exposed(name):
    assert evaluate(f"typeof {name}", {}) == "undefined"


def test_bindings_are_a_copy():
    bindings = {"a": {"b": 1}}
    assert evaluate("$.a.b = 2; $.a.c = 3; $.a", bindings) == {"b": 2, "c": 3}
    assert bindings == {"a": {"b": 1}}


ISOLATION = [
    ("const x = 1; x", "const x = 2; x", 2),  # each evaluation has a fresh top-level scope
    ("var v = 1; function f() {} v", "typeof v + typeof f", "undefinedundefined"),
    ("leaked = 1", "typeof leaked", "undefined"),  # an implicit global does not outlive its script
    ("Array.prototype.extra = 1", "[].extra", None),
    ("JSON = null; 5", "JSON.stringify([1])", "[1]"),
    # Built-ins are frozen once per isolate (a lockdown), so every evaluation starts from pristine ones.
    ("Array.prototype.map = () => 42; 1", "[1, 2].map((x) => x * 2)", [2, 4]),
    ("JSON.parse.x = 1; 1", "typeof JSON.parse.x", "undefined"),
    ("Object.prototype.polluted = 1; 1", "({}).polluted", None),
    ("Object.prototype.toString = () => 'hacked'; 1", "String({})", "[object Object]"),
    ("Math.random = () => 4; 1", "Math.random() < 1", True),
    ("String.prototype.trim = () => 'x'; 1", "' a '.trim()", "a"),
    ("delete Array.prototype.map; 1", "typeof [].map", "function"),
    ("Object.setPrototypeOf(Array.prototype, {x: 1})", "[].x", None),
    ("Function.prototype.call = null; 1", "typeof Function.prototype.call", "function"),
    ("Object.getPrototypeOf([][Symbol.iterator]()).next = () => ({done: true}); 1", "[...[1, 2]]", [1, 2]),
    ("Object.getPrototypeOf(function* () {}).prototype.next = () => 5; 1", "[...(function* () { yield 1 })()]",
     [1]),
    ("globalThis.undefinedThing = 1", "typeof undefinedThing", "undefined"),
    ("this.x = 1", "typeof x", "undefined"),
    ("for (i = 0; i < 3; i++) {} i", "typeof i", "undefined"),
    ("Object.defineProperty(globalThis, 'fixed', {value: 1}); 1", "typeof fixed", "undefined"),
    ("Promise.resolve().then(() => { globalThis.late = 1 }); 1", "typeof late", "undefined"),  # a job runs later
    ("Promise.resolve().then(() => Object.defineProperty(globalThis, 'later', {value: 1})); 1", "typeof later",
     "undefined"),
    ("globalThis.__conductor_nb_run = null; 1", "1 + 1", 2),
    ("/se(cret)/.exec('secret'); 1", "RegExp.$1 + RegExp.lastMatch", ""),  # another workflow's data
]


@pytest.mark.parametrize("first, second, expected", ISOLATION)
def test_nothing_a_script_does_leaks_into_the_next(first, second, expected):
    with contextlib.suppress(ScriptError):  # (a script assigning to a built-in's setter gets a TypeError)
        evaluate(first, {})
    assert evaluate(second, {}) == expected


FROZEN = [  # what a script may still do with the frozen built-ins: the same as in a fresh GraalJS context
    ("var o = {}; o.toString = () => 'o!'; o.constructor = 1; o.hasOwnProperty = 2; [String(o), o.constructor]",
     ["o!", 1]),
    ("'use strict'; const counts = {}; for (const w of ['toString', 'valueOf']) counts[w] = 1; counts",
     {"toString": 1, "valueOf": 1}),
    ("'use strict'; class Oops extends Error { constructor(m) { super(m); this.name = 'Oops' } }; `${new Oops('m')}`",
     "Oops: m"),
    ("'use strict'; function F() {} F.prototype.toString = function () { return 'F!' }; `${new F()}`", "F!"),
    ("const a = [3, 1, 2]; a.sort(); a.extra = 1; [a, a.extra, Object.isFrozen(Array.prototype)]",
     [[1, 2, 3], 1, True]),
    ("function e() { var r = []; for (var k in $) r.push(k); return r.join() } e();", "a"),
]


@pytest.mark.parametrize("expression, expected", FROZEN)
def test_scripts_work_with_the_frozen_builtins(expression, expected):
    assert evaluate(expression, {"a": 1}) == expected


MODIFYING = [  # strict code gets a TypeError, as on any frozen object (sloppy code's assignment does nothing)
    ("'use strict'; Array.prototype.map = 1", "TypeError: Cannot assign to read only property 'map'"),
    ("'use strict'; Object.prototype.polluted = 1", "TypeError: Cannot add property polluted"),
    ("'use strict'; Math.random = () => 4", "TypeError: Cannot assign to read only property 'random'"),
    ("Object.prototype.toString = 1", "TypeError: Cannot assign to read only property 'toString' of a built-in"),
]


@pytest.mark.parametrize("expression, message", MODIFYING)
def test_a_script_modifying_a_builtin_gets_a_type_error(expression, message):
    with pytest.raises(ScriptError, match=re.escape(message)):
        evaluate(expression, {})


def test_lambda_wraps_the_body_as_conductor_does():
    body = "if ($.a == 1) { return {testvalue: true} } else { return {testvalue: false} }"
    assert evaluate_lambda(body, {"a": 1}) == {"testvalue": True}
    assert evaluate_lambda(body, {"a": 2}) == {"testvalue": False}
    with pytest.raises(ScriptError, match="SyntaxError"):  # `function scriptFun(){` + body + `}`: no newline
        evaluate_lambda("return 1 // the closing brace is in this comment", {})


LIMITS = [
    ("while (true) {}", {"timeout": 0.2}, "script timed out after 0.2 s"),
    ("for (;;) { try { while (true) {} } catch (e) {} }", {"timeout": 0.2}, "script timed out after 0.2 s"),
    ("const a = []; while (true) a.push(new Array(1e6).fill(1))", {"memory_limit": 16 * MB, "timeout": 60},
     "script exceeded its memory limit of 16 MB"),
    ("'x'.repeat(2 ** 25)", {"memory_limit": 16 * MB, "timeout": 60}, "script exceeded its memory limit of 16 MB"),
]


@pytest.mark.parametrize("expression, limits, message", LIMITS)
def test_a_runaway_script_is_stopped_and_the_next_one_runs(expression, limits, message):
    with pytest.raises(ScriptError) as raised:
        evaluate(expression, {}, **limits)
    assert str(raised.value) == message
    assert isinstance(raised.value, ScriptTimeout) == ("timed out" in message)
    assert evaluate("$.n + 1", {"n": 1}) == 2


def test_a_builtin_that_ignores_termination_cannot_wedge_the_engine():
    # V8 runs this fill in C++ without checking for termination, then aborts the process out of memory.
    with pytest.raises(ScriptError):
        evaluate("new Array(1e9).fill(0).length", {}, timeout=0.5)
    assert evaluate("1 + 1", {}) == 2


def test_threads_evaluate_concurrently_while_one_runs_away():
    def runaway():
        with pytest.raises(ScriptError, match="timed out"):
            evaluate("while (true) {}", {}, timeout=1)

    with ThreadPoolExecutor(8) as pool:
        stuck = pool.submit(runaway)
        results = list(pool.map(lambda n: evaluate("$.n * 2", {"n": n}), range(100)))
        stuck.result()
    assert results == [n * 2 for n in range(100)]


def test_workers_are_reused_and_only_size_are_kept():
    pool = scripting._JAVASCRIPT
    evaluate("1", {})
    with ThreadPoolExecutor(8) as threads:
        assert list(threads.map(lambda n: evaluate("$.n", {"n": n}), range(200))) == list(range(200))
    for n in range(5):  # the pool grows to its warm number (the slots and a spare) when used
        evaluate("$.n", {"n": n})
    _settle(pool)
    pids = {worker.process.pid for worker in pool._live}
    assert 1 <= len(pids) <= pool._warm == pool._size + 1
    for n in range(20):
        evaluate("$.n", {"n": n})
    assert {worker.process.pid for worker in pool._live} <= pids  # no worker started for quick scripts


def _settle(pool, seconds=30):
    """Wait until no spare is being started."""
    deadline = time.monotonic() + seconds
    while pool._spares and time.monotonic() < deadline:
        time.sleep(0.01)


def test_runaway_scripts_filling_the_pool_hold_up_others_well_under_a_second():
    size = scripting._JAVASCRIPT._size
    evaluate("1", {})
    runaways = [threading.Thread(target=lambda: pytest.raises(ScriptTimeout, evaluate, "while (true) {}", {},
                                                              timeout=2.5)) for _ in range(size + 1)]
    for runaway in runaways:
        runaway.start()
    time.sleep(0.05)
    waits = []
    while any(runaway.is_alive() for runaway in runaways):
        began = time.monotonic()
        assert evaluate("$.n + 1", {"n": 1}) == 2
        waits.append(time.monotonic() - began)
    for runaway in runaways:
        runaway.join()
    assert len(waits) > 10 and max(waits) < 1.0, max(waits)
    assert len(scripting._JAVASCRIPT._live) <= size + 1  # the runaways' workers were closed


def test_a_spare_sandbox_is_warm_while_runaways_hold_every_slot():
    # Before, the warm workers were `size`: runaways holding them all made the next script wait for a start-up
    # (over a second on a loaded machine). Now a spare is kept beyond them.
    pool = scripting._JAVASCRIPT
    for n in range(5):
        evaluate("$.n", {"n": n})
    _settle(pool)
    runaways = [threading.Thread(target=lambda: pytest.raises(ScriptTimeout, evaluate, "while (true) {}", {},
                                                              timeout=2)) for _ in range(pool._size)]
    for runaway in runaways:
        runaway.start()
    time.sleep(0.3)  # the runaways have run past SHORT_BUDGET and given up their slots
    _settle(pool)
    try:
        with pool._changed:
            spares = {worker.process.pid for worker in pool._idle}
            busy = len(pool._live) - len(pool._idle)
        assert busy >= pool._size and spares  # every slot's worker runs away, and a spare is ready
        began = time.monotonic()
        assert evaluate("$.n + 1", {"n": 1}) == 2
        assert time.monotonic() - began < 0.5  # no start-up waited for
    finally:
        for runaway in runaways:
            runaway.join()


@pytest.mark.skipif(os.name != "posix", reason="the lifeline is a pipe")
def test_a_sandbox_dies_with_its_lifeline_even_while_a_script_spins():
    worker = scripting._Worker(f"{scripting.__name__}:_javascript", os.getcwd())
    try:
        scripting._send(worker.process.stdin, ("while (true) {}", "{}", scripting.MEMORY_LIMIT))
        time.sleep(0.3)
        assert worker.process.poll() is None
        worker.let_go()  # as when the engine's process ends, however it ends
        assert worker.process.wait(5) == -9
    finally:
        worker.close()


TRUTHY = [
    (True, True), (False, False),
    (1, True), (0.5, True), (0, False), (-1, False), (float("nan"), False),
    ("true", False), ("1", False), ([1], False), ({"a": 1}, False), (None, False),
]


@pytest.mark.parametrize("value, expected", TRUTHY)
def test_truthy_follows_do_while(value, expected):
    assert truthy(value) is expected


# ---- Memory over many evaluations ---------------------------------------------------------------------------------
# An evaluation used to compile its inputs into the source V8 ran, so every evaluation left a compiled script behind:
# with ~20 KB of inputs a trivial script failed near the 1,600th evaluation of a worker ("script exceeded its memory
# limit"), and a DO_WHILE's INLINE task failed its loop after a thousand-odd iterations.


@pytest.fixture
def worker():
    """One JavaScript sandbox of its own, so a test knows that every request reaches the same isolate."""
    worker = scripting._Worker(f"{scripting.__name__}:_javascript", os.getcwd())
    yield lambda source, bindings="{}", limit=scripting.MEMORY_LIMIT: worker.exchange((source, bindings, limit), 30)
    worker.close()


def test_thousands_of_evaluations_with_large_inputs_do_not_fill_the_isolate(worker):
    pad = "x" * 20_000
    began = time.monotonic()
    for n in range(3_000):
        assert worker("$.a + 1", json.dumps({"a": n, "pad": pad})) == (("R", str(n + 1)), True)
    assert time.monotonic() - began < 20


    for n in range(500):  # distinct sources: V8's cache of what eval compiled lets them go
        assert worker(f"$.a + {n}", json.dumps({"a": 1, "pad": pad})) == (("R", str(n + 1)), True)
    assert time.monotonic() - began < 20


def test_an_isolate_left_crowded_is_replaced(worker):
    # The built-ins are frozen, but the symbol registry holds what a script registers: 40 MB crowd the heap.
    assert worker("Symbol.for('x'.repeat(4e7)); 1") == (("R", "1"), True)
    assert worker("new Array(3e6).fill(1.5).length", limit=48 * MB) == (("R", "3000000"), True)


def test_a_script_out_of_memory_on_an_isolate_that_served_is_retried_on_a_fresh_one(worker):
    assert worker("Symbol.for('x'.repeat(4e7)); 1", limit=256 * MB) == (("R", "1"), True)
    # 40 MB held, and 16 MB more needed: too much for 48 MB, but not on a fresh isolate
    assert worker("new Array(2e6).fill(1.5).length", limit=48 * MB) == (("R", "2000000"), True)
    runaway = "const a = []; while (true) a.push(new Array(1e6).fill(1.5))"
    assert worker(runaway, limit=48 * MB) == (("M", ""), False)  # too much anywhere
