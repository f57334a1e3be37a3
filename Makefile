# Connection Planner: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint typecheck pytest bench bench-feed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: migrate an SQLite database, load the demo couple, serve on http://127.0.0.1:5000
run: $(STAMP)
	PLANNER_DEMO=1 $(BIN)/planner serve --demo

## demo: the command-line demo: plan two weeks for the sample couple in examples/
demo: $(STAMP)
	$(BIN)/planner demo

## test: lint, type-check the core, run the whole suite
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy planner integrations

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

## bench: ingestion, planning, feed and sync figures as ratios against reference runs
bench: $(STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.feed
	$(BIN)/python -m bench.sync

## bench-feed: feed requests per second against a Flask hello-world, both under gunicorn
bench-feed: $(STAMP)
	$(BIN)/python -m bench.feed
	$(BIN)/python -m bench.sync

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis instance
