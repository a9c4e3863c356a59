# CSP Tracker: the two commands of the quick start are `make demo` and `make test`.

VENV := .venv
PYTHON := $(VENV)/bin/python
MANAGE := $(PYTHON) manage.py
UV := python3 -m uv

.PHONY: install demo run test test-sqlite test-postgres lint

## Everything the app and its tests need: system packages, Python packages into .venv,
## the GOV.UK Design System from npm built into static/build/.
install: $(VENV)/.installed static/build/csp.css

$(VENV)/.installed: pyproject.toml uv.lock scripts/install-system-packages
	scripts/install-system-packages
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --quiet --compile-bytecode
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static/build/csp.css: node_modules/.package-lock.json scripts/build-frontend.mjs $(wildcard static/src/*.scss)
	npm run --silent build

## Install everything, load the demo partnerships and serve them at http://127.0.0.1:8000,
## with the background worker that makes long reports (stopped when runserver stops).
demo: install
	DEBUG=true $(MANAGE) migrate --no-input
	DEBUG=true $(MANAGE) load_demo
	DEBUG=true $(MANAGE) db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=true $(MANAGE) runserver 127.0.0.1:8000

## The whole test suite, on SQLite, or on the database DATABASE_URL names, on every core
## (pytest-xdist: each worker has its own test database).
test: install
	$(VENV)/bin/pytest -n auto

## The same suite on a local PostgreSQL 15 server, started if need be.
test-postgres: install
	url=$$(scripts/postgres-test-server) && DATABASE_URL=$$url $(VENV)/bin/pytest -n auto

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
