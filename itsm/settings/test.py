"""The test suite: PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set, SQLite otherwise."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, INSTALLED_APPS, REDIS_URL, REST_FRAMEWORK, STORAGES

DEBUG = False
# A record kind that exists only here, to prove the record kernel by registration alone (tests/kernelkind).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.kernelkind"]
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Each test process keeps its own cache: a shared Redis cache would mix throttle counters.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Tasks run eagerly unless a test starts a real worker (tests/conftest.py: celery_worker).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
# Parallel test processes share the broker: give each its own queue.
CELERY_TASK_DEFAULT_QUEUE = f"itsm-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
CELERY_BEAT_SCHEDULE = {}

# seed_demo runs in many tests: a smaller desk keeps every status at a fraction of the time.
ITSM_DEMO_RECORDS = 60

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min", "tokens": "10000/min"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Threads of the test process (the Celery worker, the live server) must not keep PostgreSQL sessions
# open after their work, or the test database cannot be dropped at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0
# A "replica" alias mirroring the test database, for the read-replica tests (tests/test_replica.py); nothing
# reads from it unless a test sets ITSM_READ_REPLICA.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's default shared-cache in-memory database: in shared-cache mode SQLite locks whole
    # tables between connections and answers "database table is locked" at once (busy_timeout does not
    # apply), so a test reading while the worker or live-server thread writes failed at random. A file gets
    # WAL and the busy timeout of base.py, as `make run` does. One file per test process (xdist adds _gwN).
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"itsm-test-{os.getpid()}.sqlite3"),
    }
