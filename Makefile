# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv when it is missing and installs what it needs; the stamps make reruns quick.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_OUT ?= planner-demo

.PHONY: demo test install install-test lint bench clean chromium

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

test: install-test chromium
	$(BIN)/python -m pytest

# Headless Chromium for tests/test_report_browser.py: Debian's package, installed with apt when it is
# missing and we are root; when it cannot be installed the browser test skips and says why.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium) \
		|| echo "chromium could not be installed: the browser test will skip"; \
	fi

lint: install-test
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/ruff check planner api tests bench
	$(BIN)/mypy planner api

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
