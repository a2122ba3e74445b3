# The two commands of the README: `make demo` and `make test`, from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit venv clean bench lock wheelhouse image image-test

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

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache data

# -- The container image (README "Deploy") ---------------------------------------------
# requirements.lock pins every runtime dependency, with hashes, for the image; pyproject.toml
# keeps lower bounds for library users. `make lock` keeps the pins it finds; to move them
# all: make lock LOCK_FLAGS=--upgrade (or --upgrade-package NAME).
LOCK_FLAGS ?=
IMAGE ?= syncd:latest
BASE_IMAGE ?= python:3.11-slim
# The image's Python: the host builds the wheels, so its venv must be the same version.
IMAGE_PYTHON ?= 3.11
# Debian's docker.io client (/usr/bin/docker) when there is one: it talks to the daemon's
# built-in BuildKit without the buildx plugin that other clients need.
DOCKER ?= $(firstword $(wildcard /usr/bin/docker) docker)

lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes \
	  --python-version $(IMAGE_PYTHON) --python-platform linux \
	  --custom-compile-command 'make lock' $(LOCK_FLAGS) -o requirements.lock
