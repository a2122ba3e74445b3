# The two commands of the README: `make demo` and `make test`, from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit venv clean bench rules-report

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/syncd demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	bash .ci/ensure-postgres
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# Precision and recall of the rules over the golden corpus (tests/rules/golden).
rules-report: $(STAMP)
	$(BIN)/python -m tests.rules.golden_report

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache data
