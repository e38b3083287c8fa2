# Two commands for a fresh machine:  `make run`  (set up + run the bot)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run demo test lint bench clean

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

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/import_bench.py

clean:
	rm -rf $(VENV) duban.db duban.db-wal duban.db-shm demo-out
