# Keyclient — the verbs a newcomer needs. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
UV_VENV := .venv-uv
UV := $(UV_VENV)/bin/uv
PY := $(VENV)/bin/python
KC := $(VENV)/bin/keyclient
VAR := $(or $(KEYCLIENT_VAR_DIR),var)
LAKE := $(or $(KEYCLIENT_LAKE_DIR),$(VAR)/lake)
DEMO_CUSTOMERS ?= 20000
DEMO_SEED ?= 7
DEMO_AS_OF ?= 2026-10-31
DEMO_MONTHS ?= 12
DEMO_DIR ?= $(VAR)/demo/extracts
# The first day of the generated window: DEMO_MONTHS calendar months ending with DEMO_AS_OF's month.
DEMO_FROM = $(shell date -d "$$(date -d $(DEMO_AS_OF) +%Y-%m-01) -$$(( $(DEMO_MONTHS) - 1 )) months" +%F)
HOST ?= 127.0.0.1
PORT ?= 8000
PG_SETTINGS := keyclient.config.settings_test_pg
# Two pytest-xdist workers (the machines have two cores); `make test PYTEST_ARGS=` runs serially.
PYTEST_ARGS ?= -n 2
# mypy's scope (docs/development/typing.md): who may do what and its record, and every app's write verbs.
TYPED_PACKAGES := keyclient/security keyclient/audit keyclient/customers
TYPED_PATHS = $(TYPED_PACKAGES) keyclient/valuation/entitlement.py keyclient/valuation/service_grants.py keyclient/org/staff.py keyclient/org/hr.py $(filter-out $(addsuffix /%,$(TYPED_PACKAGES)),$(wildcard keyclient/*/services.py))

.PHONY: setup demo demo-reset serve dev test test-sqlite test-postgres lint typecheck format schema messages bench clean

$(UV):
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install -q --disable-pip-version-check uv==0.13.9

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra dev --extra spark --python $(PYTHON) --no-python-downloads
	touch $@

setup: $(VENV)/.installed ## create the virtual environment and install the locked dependencies

demo: setup ## build the demo bank (about 20,000 clients) through intake and pipeline, print logins, serve through gunicorn (with a job worker)
	$(KC) migrate --no-input -v 0
	mkdir -p $(VAR)/static
	@if $(KC) demo loaded --quiet; then echo "The demo bank is loaded already (\`make demo-reset\` starts over)."; else \
		set -ex; \
		[ -f $(DEMO_DIR)/customers.parquet ] || $(KC) demo generate --customers $(DEMO_CUSTOMERS) \
			--seed $(DEMO_SEED) --as-of $(DEMO_AS_OF) --months $(DEMO_MONTHS) --out $(DEMO_DIR); \
		$(KC) demo org $(DEMO_DIR); \
		$(KC) intake load $(DEMO_DIR) --date $(DEMO_AS_OF) --history; \
		$(KC) pipeline backfill --from $(DEMO_FROM) --to $(DEMO_AS_OF) --month-ends; \
		[ "$$(date -d '$(DEMO_AS_OF) +1 day' +%d)" = 01 ] || $(KC) pipeline run --date $(DEMO_AS_OF); \
		$(KC) demo sponsors; \
	fi
	$(KC) demo logins
	@echo "Open http://$(HOST):$(PORT)/ (the login page is /login/); Ctrl-C stops the server."
	@# A job worker beside the web server; stopping `make demo` (Ctrl-C) stops both.
	@$(KC) worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
		$(KC) serve --bind $(HOST):$(PORT)

demo-reset: ## forget the demo database, lake and extracts (the next `make demo` builds them again)
	rm -rf $(VAR)/keyclient.sqlite3 $(VAR)/keyclient.sqlite3-wal $(VAR)/keyclient.sqlite3-shm $(VAR)/demo $(LAKE)

serve: setup ## serve what is already loaded (gunicorn, the production server; `make dev` for runserver)
	$(KC) migrate --no-input -v 0
	$(KC) serve --bind $(HOST):$(PORT)

dev: setup ## Django's development server (auto-reload, static files from the apps)
	$(KC) runserver $(HOST):$(PORT)

test: setup ## the whole suite: SQLite, then a throwaway PostgreSQL; browser tests in Debian's chromium
	scripts/ensure-chromium
	$(MAKE) test-sqlite test-postgres

# Each run keeps its temporary files under var/pytest/ so that parallel runs never clean up each other's.
test-sqlite: setup
	mkdir -p var/pytest
	$(PY) -m pytest --basetemp=var/pytest/sqlite $(PYTEST_ARGS)

test-postgres: setup
	mkdir -p var/pytest
	DJANGO_SETTINGS_MODULE=$(PG_SETTINGS) $(PY) -m pytest --basetemp=var/pytest/postgres $(PYTEST_ARGS)

lint: setup ## ruff, import layers, mypy, migrations and the committed API schema
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(MAKE) typecheck
	$(KC) makemigrations --check --dry-run
	$(KC) lintmigrations
	$(KC) spectacular --lang en --file /tmp/keyclient-schema.yaml --validate --fail-on-warn && diff -u schema/openapi.yaml /tmp/keyclient-schema.yaml

typecheck: setup ## mypy with django-stubs over security, audit, customers and every services.py
	$(VENV)/bin/mypy $(TYPED_PATHS)

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: setup ## regenerate the committed OpenAPI schema
	$(KC) spectacular --lang en --file schema/openapi.yaml --validate --fail-on-warn

messages: setup ## refresh and compile translations
	cd keyclient && ../$(KC) makemessages -l zh_Hans --no-obsolete --no-location && ../$(KC) compilemessages -l zh_Hans

bench: setup ## benchmarks (see bench/README.md)
	$(PY) bench/client_list.py

clean:
	rm -rf $(VENV) $(UV_VENV) var
