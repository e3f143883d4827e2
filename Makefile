# The two commands a new user runs: `make demo` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,notebook]'
	touch $@

demo: $(VENV)/.installed
	$(PY) examples/helloworld.py

# The tutorial notebooks run under nbval in the same pytest run: every cell must run without error, and the cells
# marked `# NBVAL_CHECK_OUTPUT` must print what the saved notebook shows, after notebooks/nbval_sanitize.cfg.
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg

test: $(VENV)/.installed
	$(PY) -m pytest tests notebooks -q $(NBVAL); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

clean:
	rm -rf $(VENV) build *.egg-info

# The standard workloads side by side (not part of `make test`): prints the table, writes benchmarks/REPORT.md.
# `make bench SIZE=small` for a quicker look (see docs/benchmarks.md).
.PHONY: bench
bench: $(VENV)/.installed
	$(PY) -m benchmarks --size $(or $(SIZE),full)

# The reliability guarantees at full scale (docs/reliability.md): 10,000 workflows over HTTP with and without a
# SIGKILL of the server, 60 kills during commits, longer fuzzing. About 15 minutes; prints the figures at the end.
.PHONY: soak
soak: $(VENV)/.installed
	CONDUCTOR_NB_SOAK=1 $(PY) -m pytest tests/reliability -q
