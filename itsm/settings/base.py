"""Settings shared by every environment; what varies by deployment comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
import structlog
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from servicedesk.sso import config as sso_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

# GENERAL
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE = env("TIME_ZONE", default="UTC")
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Our English formats (itsm/formats/en): day, month name, year and a 24-hour clock; Chinese keeps Django's.
FORMAT_MODULE_PATH = ["itsm.formats"]
ROOT_URLCONF = "itsm.urls"
WSGI_APPLICATION = "itsm.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# DATABASES
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web server and the worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"),
    }
    # The reports' covering indexes carry columns for PostgreSQL's index-only scans; SQLite keeps the keys.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# A PostgreSQL read replica for reads that may lag a little (API lists, reports): servicedesk/replica.py.
ITSM_READ_REPLICA = ""
if env("ITSM_READ_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("ITSM_READ_REPLICA_URL"),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
    ITSM_READ_REPLICA = "replica"
DATABASE_ROUTERS = ["servicedesk.replica.PrimaryRouter"]

# REDIS: broker, cache and result backend when set; embedded fallbacks otherwise.
REDIS_URL = env("REDIS_URL", default="")

# CACHES: the API throttles' counters, the mailbox poll lock and the /healthz probe; nothing a request
# needs to be answered. A cache outage turns throttling off (servicedesk/api/throttling.py) and /healthz
# reports it; sessions and sign-in lock-outs (axes) live in the database, not here.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "itsm",
            # An unreachable Redis fails a call within a second instead of the operating system's
            # TCP timeout (minutes), so requests keep being answered while it is down.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            # Django's, with an atomic incr for the throttle counters.
            "BACKEND": "servicedesk.cache.DatabaseCache",
            "LOCATION": "itsm_cache",
        }
    }

# APPS
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_bootstrap5",
    "csp",
    "axes",
    "django_structlog",
    "simple_history",
    "servicedesk",
    "cmdb",
    "knowledge",
    "incidents",
    "problems",
    "changes",
    "releases",
    "reports",
    # The site itself: its management commands (`bench`).
    "itsm",
]

# MIDDLEWARE
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "servicedesk.middleware.RequestLogMiddleware",
    "servicedesk.middleware.CorrelationIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "servicedesk.middleware.UserPreferencesMiddleware",
    "servicedesk.middleware.NullCharacterMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "servicedesk.middleware.ApplicationErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

# TEMPLATES
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "servicedesk.context_processors.navigation",
                "servicedesk.context_processors.notification_bell",
            ],
        },
    }
]

# STATIC AND MEDIA
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# AUTHENTICATION
AUTH_USER_MODEL = "servicedesk.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Answers permission questions from one query per request; ModelBackend keeps the sign-in.
    "servicedesk.permissions.PermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Single sign-on: each does nothing until its ITSM_LDAP_* / ITSM_OIDC_* variables are set (README).
    "servicedesk.sso.ldap.DeskLDAPBackend",
    "servicedesk.sso.oidc.DeskOIDCBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# SINGLE SIGN-ON: OpenID Connect and LDAP / Active Directory from ITSM_OIDC_* and ITSM_LDAP_* (README,
# "Single sign-on"); off when not configured.
globals().update(sso_config.oidc_settings(env.ENVIRON))
globals().update(sso_config.ldap_settings(env.ENVIRON))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions in the database (Django's default, said here because it matters): signed-in users stay signed in
# through a cache outage.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# CLIENT ADDRESS: how many reverse proxies in front of the site append to X-Forwarded-For. The client is
# the address the outermost of them saw (the N-th from the right); with 0 the header is ignored. The API
# throttles (DRF's NUM_PROXIES) and the sign-in lock-out (axes) both use it. AXES_PROXY_COUNT is the
# variable's former name, still read.
ITSM_TRUSTED_PROXY_COUNT = env.int("ITSM_TRUSTED_PROXY_COUNT", default=env.int("AXES_PROXY_COUNT", default=0))

# AXES: lock out a username from an address after repeated failures (the database handler: no cache).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "servicedesk.api.throttling.client_ip"
AXES_VERBOSE = False
# Successful sign-ins are audit events already (user.logged_in).
AXES_DISABLE_ACCESS_LOG = True

# SECURITY
CSRF_FAILURE_VIEW = "itsm.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# EMAIL
vars().update(env.email("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ITSM Service Desk <servicedesk@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# CELERY
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # One machine without a Redis server: kombu's file broker under var/.
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control", "results"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{_broker_dir / 'results'}"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, so a worker killed mid-task leaves it to another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The queue every task goes to: installations (or test runs) sharing one Redis give each its own.
CELERY_TASK_DEFAULT_QUEUE = env("ITSM_CELERY_QUEUE", default="celery")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Expired sessions pile up in the database: remove them nightly.
    "servicedesk.sessions_clear_expired": {
        "task": "servicedesk.sessions_clear_expired",
        "schedule": timedelta(hours=24),
    },
    # Resolved incidents and requests the requester did not answer close after ITSM_AUTO_CLOSE_DAYS.
    "incidents.close_resolved": {
        "task": "incidents.close_resolved",
        "schedule": timedelta(hours=1),
    },
    # Deliver outbox messages that are due: retries after back-off, and those whose task never ran.
    "servicedesk.outbox_sweep": {
        "task": "servicedesk.outbox_sweep",
        "schedule": timedelta(seconds=env.int("ITSM_OUTBOX_SWEEP_SECONDS", default=30)),
    },
    # Take in new mail from every active mailbox (IMAP); a message is marked only once its record is saved.
    "servicedesk.mailboxes_poll": {
        "task": "servicedesk.mailboxes_poll",
        "schedule": timedelta(seconds=env.int("ITSM_MAILBOX_POLL_SECONDS", default=60)),
    },
    # SLA clocks that crossed a warning, their target or an escalation rule (DESIGN.md §5).
    "servicedesk.sla_sweep": {
        "task": "servicedesk.sla_sweep",
        "schedule": timedelta(seconds=env.int("ITSM_SLA_SWEEP_SECONDS", default=30)),
    },
    # CMDB imports whose task was never queued (a broker outage) or was lost: run them.
    "cmdb.imports_resume": {
        "task": "cmdb.imports_resume",
        "schedule": timedelta(minutes=1),
    },
    # Approvals pending past their reminder time or their due time: remind the approvers, or expire them.
    "servicedesk.approvals_sweep": {
        "task": "servicedesk.approvals_sweep",
        "schedule": timedelta(seconds=env.int("ITSM_APPROVAL_SWEEP_SECONDS", default=300)),
    },
    # Recurring incidents not linked to a problem become problem candidates (issue 15); daily.
    "problems.candidates_detect": {
        "task": "problems.candidates_detect",
        "schedule": timedelta(hours=24),
    },
    # Management information: the facts of the records written since the last run (servicedesk.reporting).
    "servicedesk.facts_refresh": {
        "task": "servicedesk.facts_refresh",
        "schedule": timedelta(seconds=env.int("ITSM_FACTS_REFRESH_SECONDS", default=60)),
    },
    # Scheduled reports whose time has come: e-mail the period just ended to each recipient (reports).
    "reports.schedules_send": {
        "task": "reports.schedules_send",
        "schedule": timedelta(minutes=5),
    },
    # Idempotency keys are kept for ITSM_IDEMPOTENCY_TTL_HOURS; drop the older ones hourly.
    "servicedesk.idempotency_keys_purge": {
        "task": "servicedesk.idempotency_keys_purge",
        "schedule": timedelta(hours=1),
    },
    # Read in-app notifications older than ITSM_IN_APP_NOTIFICATIONS_KEEP_DAYS go, in batches, nightly.
    "servicedesk.in_app_notifications_prune": {
        "task": "servicedesk.in_app_notifications_prune",
        "schedule": timedelta(hours=24),
    },
}

# REST FRAMEWORK
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "servicedesk.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "servicedesk.api.pagination.CursorPagination",
    # JSON only: form encodings cannot say what the schema does (a missing yes/no field reads as "no",
    # a null cannot be sent). The actions that take files add multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["servicedesk.api.parsers.JSONParser"],
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "servicedesk.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "servicedesk.api.errors.exception_handler",
    "NUM_PROXIES": ITSM_TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_CLASSES": [
        "servicedesk.api.throttling.AnonRateThrottle",
        "servicedesk.api.throttling.UserRateThrottle",
        "servicedesk.api.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="1200/min"),
        "tokens": env("API_THROTTLE_TOKENS", default="30/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ITSM Service Desk API",
    "DESCRIPTION": (
        "Service desk, incident, problem, configuration, change and release management. "
        "Authenticate with a personal API token (`Authorization: Bearer <token>`) or a session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from the public validator: the docs page must not call out of the installation.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "CIStatusEnum": "cmdb.models.ConfigurationItem.Status",
        "ImportStatusEnum": "cmdb.models.ImportJob.Status",
        "ImportKindEnum": "cmdb.models.ImportJob.Kind",
        # Which way a link points, seen from a record or a CI (record links, CI relationships).
        "LinkDirectionEnum": "servicedesk.records.links.DIRECTIONS",
        "ChangeOutcomeEnum": "changes.models.Change.Outcome",
        "ChangeCompleteOutcomeEnum": "changes.api.serializers.COMPLETE_OUTCOMES",
        "ReleaseOutcomeEnum": "releases.models.Release.Outcome",
        "ReleaseTypeEnum": "releases.models.ReleaseType",
        "ReleaseStatusEnum": "releases.models.Release.Status",
        "WaveStatusEnum": "releases.models.Wave.Status",
        "DeploymentTaskStatusEnum": "releases.models.DeploymentTask.Status",
        "ArticleStatusEnum": "knowledge.models.Article.Status",
    },
}

# LOGGING: structured logs with the request id of each request and task.
LOG_FORMAT = env("LOG_FORMAT", default="console")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processor": (
                structlog.processors.JSONRenderer()
                if LOG_FORMAT == "json"
                else structlog.dev.ConsoleRenderer(
                    colors=False, exception_formatter=structlog.dev.plain_traceback
                )
            ),
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django_structlog": {"level": env("REQUEST_LOG_LEVEL", default="WARNING")}},
}
structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.filter_by_level,
        structlog.processors.TimeStamper(fmt="iso"),
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.processors.UnicodeDecoder(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    cache_logger_on_first_use=True,
)
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# A client may send its own X-Request-ID to correlate its calls with our audit trail.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True

# ITSM
ITSM_SITE_NAME = env("ITSM_SITE_NAME", default="ITSM Service Desk")
ITSM_MAX_API_TOKENS_PER_USER = env.int("ITSM_MAX_API_TOKENS_PER_USER", default=20)
ITSM_HEALTH_WORKER_PING_TIMEOUT = env.float("ITSM_HEALTH_WORKER_PING_TIMEOUT", default=1.0)
# Password reset e-mails: at most this many requests per address and per client address in the window;
# more answer the same page but send nothing (counted in the cache, so it must be shared: Redis).
ITSM_PASSWORD_RESET_PER_ADDRESS = env.int("ITSM_PASSWORD_RESET_PER_ADDRESS", default=3)
ITSM_PASSWORD_RESET_PER_CLIENT = env.int("ITSM_PASSWORD_RESET_PER_CLIENT", default=10)
ITSM_PASSWORD_RESET_WINDOW_MINUTES = env.int("ITSM_PASSWORD_RESET_WINDOW_MINUTES", default=60)
ITSM_CMDB_IMPORT_INLINE_ROWS = env.int("ITSM_CMDB_IMPORT_INLINE_ROWS", default=1000)
# Impact analysis: the deepest walk a user may ask for, and how many CIs a walk reaches before it stops
# and says "more…" (a page and the API stay fast and readable; a baseline's scope walks without a cap).
# Lists count their records exactly up to this many, then say "1,000+" (servicedesk/pagination.py).
ITSM_LIST_COUNT_CAP = env.int("ITSM_LIST_COUNT_CAP", default=1000)
ITSM_IMPACT_MAX_DEPTH = env.int("ITSM_IMPACT_MAX_DEPTH", default=10)
ITSM_IMPACT_MAX_CIS = env.int("ITSM_IMPACT_MAX_CIS", default=500)
# Attachments live outside MEDIA_ROOT and are served only through a view that checks access.
ITSM_ATTACHMENT_ROOT = env.path("ITSM_ATTACHMENT_ROOT", default=VAR_DIR / "attachments")
ITSM_ATTACHMENT_MAX_BYTES = env.int("ITSM_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ITSM_ATTACHMENTS_PER_ENTRY = env.int("ITSM_ATTACHMENTS_PER_ENTRY", default=5)
# Resolved records close by themselves after this many days; requesters may reopen within the window.
ITSM_AUTO_CLOSE_DAYS = env.int("ITSM_AUTO_CLOSE_DAYS", default=5)
ITSM_REOPEN_WINDOW_DAYS = env.int("ITSM_REOPEN_WINDOW_DAYS", default=7)
# Read in-app notifications (the bell) are deleted after this many days; unread ones stay.
ITSM_IN_APP_NOTIFICATIONS_KEEP_DAYS = env.int("ITSM_IN_APP_NOTIFICATIONS_KEEP_DAYS", default=90)
# A retried POST with the same Idempotency-Key within this many hours replays the first answer.
ITSM_IDEMPOTENCY_TTL_HOURS = env.int("ITSM_IDEMPOTENCY_TTL_HOURS", default=24)
# Trend detection: incidents of the last ITSM_PROBLEM_TREND_DAYS days sharing a CI, a service or a
# category, ITSM_PROBLEM_TREND_THRESHOLD of them or more, are proposed as a problem candidate.
ITSM_PROBLEM_TREND_DAYS = env.int("ITSM_PROBLEM_TREND_DAYS", default=30)
ITSM_PROBLEM_TREND_THRESHOLD = env.int("ITSM_PROBLEM_TREND_THRESHOLD", default=3)
# How many demo incidents and requests `seed_demo` makes.
ITSM_DEMO_RECORDS = env.int("ITSM_DEMO_RECORDS", default=300)
# Outbox: deliveries retried with exponential back-off (base, cap), then dead after the last attempt; the
# sweep takes over a message whose task has not run within the grace period (a broker outage).
ITSM_OUTBOX_MAX_ATTEMPTS = env.int("ITSM_OUTBOX_MAX_ATTEMPTS", default=8)
ITSM_OUTBOX_BACKOFF_SECONDS = env.int("ITSM_OUTBOX_BACKOFF_SECONDS", default=30)
ITSM_OUTBOX_BACKOFF_MAX_SECONDS = env.int("ITSM_OUTBOX_BACKOFF_MAX_SECONDS", default=6 * 3600)
ITSM_OUTBOX_SWEEP_GRACE_SECONDS = env.int("ITSM_OUTBOX_SWEEP_GRACE_SECONDS", default=60)
# Links in e-mail and webhook bodies point here (no request to take the host from in a worker).
ITSM_SITE_URL = env("ITSM_SITE_URL", default="http://localhost:8000").rstrip("/")
# The right-hand side of the Message-IDs the desk writes; replies that reference them find their record.
ITSM_MAIL_DOMAIN = env("ITSM_MAIL_DOMAIN", default="itsm.localhost")
# E-mail intake: who may act by e-mail (README, "E-mail intake"). A notification's reply token lasts this
# many days; Authentication-Results are trusted only from these authserv-ids (your MX; empty: none).
ITSM_MAIL_REPLY_TOKEN_MAX_AGE_DAYS = env.int("ITSM_MAIL_REPLY_TOKEN_MAX_AGE_DAYS", default=90)
ITSM_MAIL_TRUSTED_AUTHSERV_IDS = env.list("ITSM_MAIL_TRUSTED_AUTHSERV_IDS", default=[])
# Unverified mail from a staff address: "note" (an internal note, flagged) or "refuse".
ITSM_MAIL_UNVERIFIED_STAFF = env("ITSM_MAIL_UNVERIFIED_STAFF", default="note")
# Mail from an unknown address: "create" a requester, only for "organisations"' e-mail domains, or "refuse".
ITSM_MAIL_UNKNOWN_SENDERS = env("ITSM_MAIL_UNKNOWN_SENDERS", default="organisations")
# The kind of record (its code) that mail piped in by `ingest_email` without --mailbox files, and a new
# mailbox's; also where a mailbox whose kind takes no e-mail files.
ITSM_MAIL_DEFAULT_KIND = env("ITSM_MAIL_DEFAULT_KIND", default="incident")
ITSM_WEBHOOK_TIMEOUT_SECONDS = env.float("ITSM_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
ITSM_IMAP_TIMEOUT_SECONDS = env.float("ITSM_IMAP_TIMEOUT_SECONDS", default=30.0)
# SLA sweep: clocks checked per transaction, and the seconds one beat run may spend before the next.
ITSM_SLA_SWEEP_BATCH = env.int("ITSM_SLA_SWEEP_BATCH", default=200)
ITSM_SLA_SWEEP_TIME_BUDGET = env.float("ITSM_SLA_SWEEP_TIME_BUDGET", default=25.0)
# Approvals: the approvers of a pending request are reminded every this many hours, this many times at
# most; the signed link in the e-mails lasts this many days; the sweep takes this many requests at a time.
ITSM_APPROVAL_REMINDER_HOURS = env.int("ITSM_APPROVAL_REMINDER_HOURS", default=24)
ITSM_APPROVAL_MAX_REMINDERS = env.int("ITSM_APPROVAL_MAX_REMINDERS", default=3)
ITSM_APPROVAL_LINK_MAX_AGE_DAYS = env.int("ITSM_APPROVAL_LINK_MAX_AGE_DAYS", default=14)
ITSM_APPROVAL_SWEEP_BATCH = env.int("ITSM_APPROVAL_SWEEP_BATCH", default=200)
# Changes: an emergency implemented before the ECAB approved it must be approved within this many hours
# (flagged until then, "not approved in time" after). The CAB meets every week on ITSM_CAB_MEETING_WEEKDAY
# (0 Monday ... 6 Sunday) at ITSM_CAB_MEETING_TIME ("HH:MM") in ITSM_CAB_MEETING_TIME_ZONE, for
# ITSM_CAB_MEETING_MINUTES: its agenda lists what awaits approval and what is planned before the meeting
# after it.
ITSM_ECAB_AFTER_THE_FACT_HOURS = env.int("ITSM_ECAB_AFTER_THE_FACT_HOURS", default=24)
ITSM_CAB_MEETING_WEEKDAY = env.int("ITSM_CAB_MEETING_WEEKDAY", default=1)
ITSM_CAB_MEETING_TIME = env("ITSM_CAB_MEETING_TIME", default="10:00")
ITSM_CAB_MEETING_TIME_ZONE = env("ITSM_CAB_MEETING_TIME_ZONE", default="UTC")
ITSM_CAB_MEETING_MINUTES = env.int("ITSM_CAB_MEETING_MINUTES", default=60)
# Releases: the definitive software library (DSL) keeps uploaded artifacts under ITSM_DSL_ROOT (private,
# served only to those who may see the release), each at most ITSM_DSL_MAX_BYTES. A pipeline reports at
# most ITSM_DEPLOYMENT_REPORT_BATCH task results in one call.
ITSM_DSL_ROOT = env.path("ITSM_DSL_ROOT", default=VAR_DIR / "dsl")
ITSM_DSL_MAX_BYTES = env.int("ITSM_DSL_MAX_BYTES", default=2 * 1024 * 1024 * 1024)
ITSM_DEPLOYMENT_REPORT_BATCH = env.int("ITSM_DEPLOYMENT_REPORT_BATCH", default=1000)
# Problems: when one is resolved, e-mail the requesters of its incidents that their cause was fixed.
ITSM_PROBLEM_TELL_REQUESTERS = env.bool("ITSM_PROBLEM_TELL_REQUESTERS", default=True)
