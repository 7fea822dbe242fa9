# The two commands: `make run` and `make test`. Everything else is a helper.
#
#   make run    fresh machine -> .venv, install, migrate, seed demo data once, collectstatic,
#               print URLs and logins, then web + Celery worker + Celery beat + the HL7 MLLP
#               listener under honcho (Procfile). One Ctrl-C stops them all. PORT=8001 make run for another port.
#   make test   ruff check, then the whole pytest suite. PostgreSQL on 127.0.0.1:5432 is used
#               when it answers (or DATABASE_URL says so); otherwise SQLite, and the tests that
#               need PostgreSQL are reported as skipped. PYTEST_ARGS="-x -k booking" to narrow.

SHELL := /bin/bash

# Python 3.11: `python3.11` if it runs, else `python3`/`python` when that is 3.11 or newer.
# Recursive (`?=`), so the probe only runs when a recipe needs it. PYTHON=/path/to/python overrides.
PYTHON ?= $(shell for c in python3.11 python3 python; do \
	  $$c -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' >/dev/null 2>&1 \
	    && { echo $$c; exit 0; }; done; \
	for c in python3 python; do \
	  $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1 \
	    && { echo $$c; exit 0; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
VAR ?= var
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/infusion_test
PYTEST_ARGS ?=
RUFF ?= $(BIN)/ruff

.PHONY: run test install install-dev migrate seed static urls lint bench clean

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Python 3.11 is needed: neither python3.11 nor python3 (>= 3.11) was found on PATH."; \
	  echo "Install it (Debian: apt-get install python3.11 python3.11-venv) or pass PYTHON=/path/to/python3.11."; \
	  exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version 2>&1))"
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "venv creation failed: on Debian/Ubuntu install python3.11-venv (or python3-venv)."; exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip

# Runtime dependencies (make run) and dev/test extras (make test) are separate stamps, so a
# first `make run` does not download Playwright, Hypothesis, ...
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q '.[dev]'
	@touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --noinput

# Demo data is seeded once per var/ (the stamp); `rm var/.demo-seeded` or `make clean` to redo.
# seed_demo is written by another part of the project: until it exists, skip with a note.
seed: migrate
	@if [ -f $(VAR)/.demo-seeded ]; then echo "Demo data already seeded ($(VAR)/.demo-seeded)"; \
	elif $(BIN)/python manage.py help seed_demo >/dev/null 2>&1; then \
	  $(BIN)/python manage.py seed_demo && mkdir -p $(VAR) && touch $(VAR)/.demo-seeded; \
	else echo "seed_demo not available yet"; fi

static: install
	$(BIN)/python manage.py collectstatic --noinput -v0

urls: install
	@PORT=$(PORT) $(BIN)/python manage.py show_urls_and_logins

# honcho gives the first Procfile entry (web) PORT; worker and beat ignore theirs. Links in
# emails and texts follow the port: PUBLIC_BASE_URL defaults to http://127.0.0.1:$(PORT).
run: seed static urls
	PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)}" \
	  PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho -f Procfile start -p $(PORT)

# Every test. DATABASE_URL from the environment or the command line wins; else PostgreSQL on
# 127.0.0.1:5432 if it answers (database infusion_test is created; pytest-django makes its own
# test_infusion_test), else SQLite. Exit code 5 (no tests collected) fails like any other.
test: install-dev
	$(RUFF) check .
	@set -e; \
	if [ -z "$${DATABASE_URL:-}" ]; then \
	  if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1).close()" 2>/dev/null; then \
	    export DATABASE_URL="$(PG_URL)"; \
	  else \
	    echo "make test: PostgreSQL is not answering on 127.0.0.1:5432 -> running on SQLite;"; \
	    echo "           tests that need PostgreSQL are skipped (apt-get install postgresql)."; \
	  fi; \
	fi; \
	if [[ "$${DATABASE_URL:-}" == postgres* ]]; then \
	  echo "make test: PostgreSQL at $${DATABASE_URL}"; \
	  $(BIN)/python -c 'import os, sys, environ, psycopg; \
	    cfg = environ.Env.db_url_config(os.environ["DATABASE_URL"]); \
	    args = dict(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None, password=cfg["PASSWORD"] or None); \
	    conn = psycopg.connect(dbname="postgres", autocommit=True, **args); \
	    name = cfg["NAME"]; \
	    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone(); \
	    exists or conn.execute("CREATE DATABASE " + psycopg.sql.Identifier(name).as_string(conn)); \
	    exists or print("make test: created database", name)'; \
	fi; \
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: install-dev
	$(RUFF) check . && $(RUFF) format --check .

bench: install
	@for b in bench/bench_*.py; do [ -e "$$b" ] || { echo "no benchmarks in bench/"; break; }; \
	  echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VAR) $(VENV)
