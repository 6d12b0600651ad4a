# Chokepoint: `make run` serves the dashboard, `make test` runs the suite. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# HOST=... PORT=... override CHOKEPOINT_HOST / CHOKEPOINT_PORT for `make run`.
HOST ?=
PORT ?=

.PHONY: run test serve bench init clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,serve]'
	touch $@ $(STAMP)

init: $(STAMP)
	$(PY) -m etl init

run: init
	$(PY) app.py $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

SERVE_STAMP := $(VENV)/.installed-serve
$(SERVE_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[serve]'
	touch $@ $(STAMP)

# Production: gunicorn with CHOKEPOINT_WORKERS workers (dashboard/gunicorn_conf.py); run the scheduler separately.
serve: $(SERVE_STAMP)
	$(VENV)/bin/gunicorn -c dashboard/gunicorn_conf.py

test: $(TEST_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# Performance figures as ratios against baselines measured in the same run (docs/benchmarks.md).
# BENCH_ROWS scales the 1M/10M-row databases down for a quick run, e.g. `make bench BENCH_ROWS=100000`.
bench: $(TEST_STAMP)
	$(PY) -m tests.benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
