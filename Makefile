# Two commands for a fresh machine:  `make run`  (set up + run the bot)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run demo test test-pg lint bench bench-all clean

$(BIN)/duban: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(BIN)/duban

setup: $(BIN)/duban

run: setup
	$(BIN)/duban init
	$(BIN)/duban run

demo: setup
	$(BIN)/duban demo --out demo-out

# pytest on every core (pytest-xdist, `-n auto`: 2 workers on CI's 2-core machine); `--dist loadgroup`
# keeps each group named in tests/conftest.py (each module whose `duban init` runs once) on one worker.
# The process tests that measure Telegram's rates (marked `rates`) run afterwards, alone.
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n auto --dist loadgroup -m "not rates"
	$(BIN)/python -m pytest -q -m rates

# The same on SQLite and on a throw-away PostgreSQL server (Debian's package postgresql; README, Tests).
test-pg: setup
	bash .ci/with-pg $(MAKE) test

# Benchmarks print figures (docs/benchmarks.md); they are not tests. `bench`: the quick ones (about
# 4 minutes); `bench-all`: every figure of docs/benchmarks.md (15-20 minutes; figures move with the load).
bench: setup
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/replies.py
	$(BIN)/python bench/latency.py --scenarios a

bench-all: bench
	$(BIN)/python bench/latency.py --scenarios bd
	$(BIN)/python bench/latency.py --scenarios c
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/summary.py

clean:
	rm -rf $(VENV) duban.db duban.db-wal duban.db-shm demo-out
