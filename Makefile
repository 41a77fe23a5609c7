# `make run` sets up and starts everything on a fresh clone; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run setup test lint format migrations-check schema messages vendor-check clean bench sla-bench

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

setup: $(STAMP)
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py seed_demo

run: setup
	@echo ""
	@echo "  ITSM Service Desk: http://127.0.0.1:8000/  (admin: /admin/, API docs: /api/docs/, health: /healthz)"
	@echo ""
	$(VENV)/bin/honcho start -f Procfile

# The suite runs on every core (pytest-xdist: a test database and a Celery queue per process);
# `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

migrations-check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run

schema: $(STAMP)
	$(PY) manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml

messages: $(STAMP)
	$(PY) manage.py makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PY) manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

# The product's benchmark (README "Benchmark") on its own PostgreSQL database, created if missing and
# filled at the requested scale (1M records by default; reused when already there).
# `make bench BENCH_ARGS="--scale 100k --only floor,queue_api"`; BENCH_DATABASE_URL picks another database
# (its name must end in `bench`), BENCH_REDIS_URL the server's Redis.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/itsm_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/0
bench: $(STAMP)
	psql "$(BENCH_DATABASE_URL)" -c 'SELECT 1' >/dev/null 2>&1 || \
		createdb --maintenance-db="$(dir $(BENCH_DATABASE_URL))postgres" "$(notdir $(BENCH_DATABASE_URL))"
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) manage.py bench $(BENCH_ARGS)

# The SLA engine alone at 1,000,000 running clocks (DESIGN.md §5), on a database of its own.
SLA_BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/itsm_sla_bench
sla-bench: $(STAMP)
	psql "$(SLA_BENCH_DATABASE_URL)" -c 'SELECT 1' >/dev/null 2>&1 || \
		createdb --maintenance-db="$(dir $(SLA_BENCH_DATABASE_URL))postgres" "$(notdir $(SLA_BENCH_DATABASE_URL))"
	DATABASE_URL=$(SLA_BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(SLA_BENCH_DATABASE_URL) $(PY) manage.py sla_bench $(SLA_BENCH_ARGS)

vendor-check:
	scripts/check_vendor_assets.sh

clean:
	rm -rf var/db.sqlite3* var/broker var/celerybeat-schedule*
