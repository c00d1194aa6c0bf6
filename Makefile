# Entry points for a fresh machine (only python3 >= 3.11 with venv, and make, needed): `make demo` and `make test`.
#
#   make demo       .venv with robofuel[all], MediaPipe's venv for hand pose (tools/handpose-venv, about a minute
#                   the first time; the demo runs without it if it cannot be built), then `robofuel demo`
#   make test       .venv with robofuel[dev], system packages (scripts/ensure-system-deps.sh), lint, typecheck, pytest
#   make lint       ruff check src tests
#   make typecheck  mypy (files and settings in pyproject.toml)
#   make clean      remove .venv, caches and demo output
#
# The install into .venv is redone only when pyproject.toml is newer than its stamp file in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --no-input

.PHONY: demo test lint typecheck system-deps clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "robofuel needs Python >= 3.11; $(PYTHON) is $$($(PYTHON) -V 2>&1). Try: make PYTHON=python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed-all: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e '.[all]'
	touch $@

# [dev] includes [all], so it stamps both.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-all

demo: $(VENV)/.installed-all
	tools/handpose-venv .tmp/handpose-venv || echo "MediaPipe's venv could not be built: the demo runs without hand pose"
	$(BIN)/robofuel demo

system-deps:
	bash scripts/ensure-system-deps.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Sequential on purpose (also under make -j): the first failure stops the run with a non-zero status.
test: $(VENV)/.installed-dev
	bash scripts/ensure-system-deps.sh
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) robofuel-demo robofuel-lake build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
	find src tests benchmarks -name __pycache__ -type d -prune -exec rm -rf {} +
