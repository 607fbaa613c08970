# The two commands: `make run` and `make test`. Both can be run again and again.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
ASSETS := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint install assets migrate demo bench fuzz clean worker beat

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-installs only when pyproject.toml changes.
$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Bootstrap, Bootstrap Icons and htmx from the npm registry into node_modules/ (ignored).
$(ASSETS): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(INSTALLED) $(ASSETS)

assets: $(ASSETS)

migrate: install
	DEBUG=true $(PY) manage.py migrate --noinput

# Loads the demo store the first time, then only prints its login and keys.
demo: migrate
	DEBUG=true SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py seed_demo

run: demo
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

# Background jobs with a broker (CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0): the worker
# sends messages; beat starts the periodic jobs (one beat per deployment). Without a broker
# neither is needed: jobs run in the web process after the commit.
worker: install
	DEBUG=true $(PY) -m celery -A config worker -l info

beat: install
	DEBUG=true $(PY) -m celery -A config beat -l info --schedule var/celerybeat-schedule

test: install
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

# No model change without its migration; Django's deployment checks pass, warnings included,
# with what production sets (a random key here) and the security defaults of config/settings.py.
.PHONY: checks
checks: install
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	DEBUG=false SECURE_COOKIES=true ALLOWED_HOSTS=storefront.example.com \
	SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
		$(PY) manage.py check --deploy --fail-level WARNING

# The scale table of the README (demo/management/commands/bench.py), printed as markdown: the
# seed time, search times on the console, the management API and the admin, and throughput under
# gunicorn + wrk (`apt-get install wrk`), each beside its goal. It runs on PostgreSQL, a database
# of its own ("bench", created if missing) unless DATABASE_URL says otherwise. The first run loads
# 1,000,000 customers (BENCH_CUSTOMERS) with seed_demo and keeps the time it took in
# var/bench-seed-<database>.json. BENCH_ARGS passes options: --no-load (the store as it is),
# --no-load-test, --runs N, --duration 10s.
# (A target-specific `DATABASE_URL ?=` would stop make passing an exported DATABASE_URL to
# every other recipe, `make test` included: the default is the shell's instead.)
BENCH_DB := $${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench}
bench: install
	[ -n "$$DATABASE_URL" ] || createdb -h 127.0.0.1 -U postgres bench 2>/dev/null || true
	DATABASE_URL=$(BENCH_DB) DEBUG=true $(PY) manage.py migrate --noinput
	DATABASE_URL=$(BENCH_DB) DEBUG=false \
	SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
		$(PY) manage.py bench $(BENCH_ARGS)

# schemathesis over both APIs, every check, against a live server on a throwaway database
# (var/fuzz/): FUZZ_EXAMPLES (100) cases per operation; prints cases and failures per operation.
fuzz: install
	demo/fuzz.sh

clean:
	rm -rf var/test.sqlite3* .pytest_cache .ruff_cache
