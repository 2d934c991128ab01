# Two entry points: `make demo` and `make test`. Both create/update .venv first.
PYTHON ?= python3
VENV := .venv
PIP := $(VENV)/bin/pip
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export CELLRESPONSE_DATA ?= $(abspath ../shared/data)

.PHONY: demo test lint typecheck pytest venv clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Reinstall when the dependency list changes. torch is installed first from the pin so
# nothing later resolves to the CUDA build.
$(STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) install -q -c constraints.txt torch==2.13.0
	$(PIP) install -q -c constraints.txt -e ".[all]" pytest ruff mypy hypothesis httpx playwright schemathesis
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cellresponse demo --out results/demo --overwrite

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

test: lint typecheck pytest

clean:
	rm -rf $(VENV) results
