# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv when it is missing and installs what it needs; the stamps make reruns quick.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_OUT ?= planner-demo

.PHONY: demo test install install-test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/planner demo --out $(DEMO_OUT)

test: install-test
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/ruff check planner api tests bench
	$(BIN)/mypy planner api

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
