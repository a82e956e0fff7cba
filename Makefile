# ldn — the two set-up commands are `make run` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run tour test lint format bench docs install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

DEMO_DIR ?= $(CURDIR)/.ldn-demo

run: install  ## the web app and API on SQLite with the demo clinic (logins printed)
	LDN_DATA_DIR=$(DEMO_DIR) $(BIN)/ldn serve --demo

tour: install  ## every capability on the shipped example patients, in the terminal
	$(BIN)/ldn demo

lint: install  ## ruff, mypy --strict on src/, import-linter layer contracts
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: lint  ## lint, then the whole test suite with warnings as errors
	$(BIN)/pytest -q

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: install  ## every benchmark in benchmarks/ (figures go to docs/benchmarks.md)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@set -e; for f in benchmarks/[!_]*.py; do echo "== $$f"; LDN_BENCH_WRITE_DOCS=1 $(BIN)/python $$f; done

docs: install  ## regenerate the generated docs
	$(BIN)/ldn facts --markdown > docs/facts.md
	$(BIN)/ldn safety-rules --markdown > docs/safety.md
	$(BIN)/ldn evidence outlook --json > src/ldn/domain/data/evidence/outlook.json
	$(BIN)/ldn meds compile > src/ldn/domain/data/medicines/compiled.json

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache .ldn-demo
