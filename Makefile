# The front door. `make run` sets everything up and serves the portal with demo data;
# `make test` runs the whole test suite. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: help install install-dev system-deps migrate messages seed run worker test test-fast interop-deps ob2-validator lint typecheck format migrations-check ci clean

help:
	@echo "make run      set up and serve the portal with demo data on http://127.0.0.1:$(PORT)"
	@echo "make test     run the whole test suite"
	@echo "make worker   run a Celery worker (with beat) on its own"
	@echo "make test-fast  the tests without browser, interop and services"
	@echo "make lint     ruff, import contracts, mypy";  echo "make ci       what CI runs"

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian packages the portal needs on a machine: a Japanese font for badge images and gettext.
# Installs only what is missing; needs root (or sudo) the first time.
system-deps:
	@bash scripts/system-deps.sh

migrate: install
	$(PY) manage.py migrate --noinput

messages: install
	$(PY) manage.py compilemessages --ignore=.venv -v0

seed: migrate
	$(PY) manage.py seed_demo

run: system-deps install messages seed
	@echo "Serving on http://127.0.0.1:$(PORT)/ with a worker (Ctrl+C stops both)."
	@trap 'kill 0' EXIT INT TERM; \
	$(PY) -m celery -A hachioji_portal worker --beat --pool=solo --loglevel=INFO & \
	$(PY) manage.py demo_accounts --wait-for http://127.0.0.1:$(PORT)/health & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: install
	$(PY) -m celery -A hachioji_portal worker --beat --loglevel=INFO

# Node packages for the interop tests (DCC verifier-core, pinned in interop/package-lock.json);
# reinstalled only when node_modules is missing or older than the lock file.
interop-deps: interop/node_modules/.installed

interop/node_modules/.installed: interop/package-lock.json interop/package.json | system-deps
	npm ci --prefix interop --no-audit --no-fund --ignore-scripts
	touch $@

# 1EdTech's Open Badges 2.0 validator (validator-core, pinned in interop/requirements-ob2.txt)
# in its own venv: it installs only on Python 3.7 (pyenv's 3.7.16 here, or any python3.7).
OB2_PYTHON ?= $(shell test -x /root/.pyenv/versions/3.7.16/bin/python && echo /root/.pyenv/versions/3.7.16/bin/python || command -v python3.7)
ob2-validator: interop/.venv-ob2/.installed

interop/.venv-ob2/.installed: interop/requirements-ob2.txt
	@if [ -z "$(OB2_PYTHON)" ]; then \
	  echo "ob2-validator: no Python 3.7 found (set OB2_PYTHON); the OB 2.0 validator test will be skipped"; \
	  if [ "$$CI" = "true" ]; then exit 1; else exit 0; fi; \
	fi
	@if [ -n "$(OB2_PYTHON)" ]; then \
	  test -x interop/.venv-ob2/bin/python || $(OB2_PYTHON) -m venv interop/.venv-ob2; \
	  interop/.venv-ob2/bin/python -m pip install --quiet --disable-pip-version-check -r interop/requirements-ob2.txt \
	    && touch $@; \
	fi

# The tests also need Node (interop), Python 3.7 (the OB 2.0 validator) and Chromium (browser journeys).
test interop-deps: export WITH_TEST_TOOLS := 1
# In TEST_WORKERS processes (pytest-xdist; 2 = this machine's cores; TEST_WORKERS=0 runs in one):
# each worker has its own test database, Redis database and var directory (tests/conftest.py).
# Tests marked `alone` (they restart PostgreSQL) run first, with nothing beside them.
TEST_WORKERS ?= 2
test: system-deps install-dev messages interop-deps ob2-validator
	$(PY) -m pytest -m alone
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not alone"

# The suite without the browser journeys, the third-party verifier and the tests that need a
# service (PostgreSQL locking, Redis, a real worker): seconds to minutes, no Node or Chromium.
test-fast: install-dev messages
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not browser and not interop and not postgres and not redis and not worker and not alone"

# ruff; the import contracts (layers, the pure core) and the types, both in pyproject.toml.
lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

typecheck: install-dev
	$(PY) -m mypy

format: install-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

ci: lint migrations-check test

clean:
	rm -rf $(VENV) var staticfiles interop/.venv-ob2
