# Two entry points for a fresh Linux machine with Python 3.10+: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__LOAD_EXAMPLES ?= False

.PHONY: setup system lint format typecheck unit deployment compat test demo bench lock clean

# Debian packages (PostgreSQL, Redis, Chromium) and Azurite (npm) for the deployment, storage and browser tests.
system:
	bash scripts/setup-system.sh

$(VENV)/.installed: pyproject.toml requirements-dev.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is required"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(PY) -m pip install -q "uv==$(UV_VERSION)"
	$(UV) pip install -q --python $(PY) -r requirements-dev.lock -e .
	touch $@

setup: system $(VENV)/.installed

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: setup
	$(VENV)/bin/mypy

# Everything but the real deployments, in 4 processes (most tests wait on emulated jobs, not the CPU).
unit: setup
	$(VENV)/bin/pytest -n 4 --ignore=tests/deployment

# Real Airflow deployments (SQLite + LocalExecutor; PostgreSQL + Celery), one at a time.
deployment: setup
	$(VENV)/bin/pytest tests/deployment

# The compatibility suite on the latest patch of Airflow 3.0, 3.1 and 3.2: one uv venv per line under
# .compat/, built from compat/locks/ (reused while its lock is unchanged).
compat: setup
	$(PY) scripts/compat_matrix.py

test: lint typecheck unit deployment compat

demo: setup
	$(PY) scripts/demo.py --output demo-output

bench: setup
	$(PY) benchmarks/run_all.py

lock: setup
	$(UV) pip compile pyproject.toml --extra dev --universal --python-version 3.10 -o requirements-dev.lock

clean:
	rm -rf $(VENV) .compat .tools .airflow demo-output .mypy_cache .ruff_cache
