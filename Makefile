# The two commands: `make run` (full refresh + publish) and `make test`. Both bootstrap .venv.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: run test bench bench-spark bench-scale bench-similar-areas bench-api bench-dashboards serve lint dagster-dev dashboards dashboards-check rollback releases lock clean

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing pinned dependencies into $(VENV) (first run only, ~1-2 min)..."
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@echo "Building the dbt manifest (so that loading the Dagster definitions never runs dbt)..."
	$(BIN)/levelup sync-dbt
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/levelup run

# Both cores (pytest-xdist); tests that share a module fixture or a sandbox run on one worker (xdist_group).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python scripts/check_imports.py
	@scripts/ensure_chromium.sh
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Refresh costs: cold, nothing changed (<= 10 s, no release), one feed, forced full refresh, the framework floor.
bench: $(STAMP)
	$(BIN)/python scripts/bench_refresh.py

# A national small-area feed (default 50M rows; ROWS=...) through the production path, against its peers.
ROWS ?= 50000000
bench-scale: $(STAMP)
	$(BIN)/python scripts/bench_scale.py --rows $(ROWS)

# The small-area feed through staging -> harmonise -> roll-up on DuckDB and on local Spark (SPARK_ROWS=...).
SPARK_ROWS ?= 2000000 8000000
bench-spark: $(STAMP)
	$(BIN)/python scripts/bench_spark.py --rows $(SPARK_ROWS)

bench-similar-areas: $(STAMP)
	$(BIN)/python scripts/bench_similar_areas.py

# The data API load benchmark: 8 clients on loopback while a real publish + promote runs (~90 s; needs `make run`).
bench-api: $(STAMP)
	$(BIN)/python scripts/bench_api.py

# The data API on 127.0.0.1:8000 (LEVELUP_API_HOST / LEVELUP_API_PORT); docs at /docs.
serve: $(STAMP)
	$(BIN)/levelup serve

bench-dashboards: $(STAMP)
	$(BIN)/python scripts/bench_dashboards.py

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

dagster-dev: $(STAMP)
	$(BIN)/levelup dagster-dev

dashboards: $(STAMP)
	$(BIN)/levelup dashboards $(if $(PORT),--port $(PORT))

dashboards-check: $(STAMP)
	$(BIN)/levelup dashboards --check

releases: $(STAMP)
	$(BIN)/levelup releases

rollback: $(STAMP)
	$(BIN)/levelup rollback $(RELEASE)

lock:
	rm -rf /tmp/levelup-lock && $(PYTHON) -m venv /tmp/levelup-lock && /tmp/levelup-lock/bin/pip install -q '.[dev]' \
	  && { head -2 requirements.lock; /tmp/levelup-lock/bin/pip freeze --exclude levelup-platform; } > requirements.lock.new \
	  && mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
