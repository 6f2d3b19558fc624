"""Django settings, all from the environment (see docs/getting-started.md for the variables).

No DATABASE_URL means the embedded default: SQLite under `var/`. `KEYCLIENT_ENV=production`
turns on the strict checks (secret key required, secure cookies).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from keyclient.config.env import (
    database_from_url,
    env_bool,
    env_currency,
    env_regex,
    field_keys,
    secret_key,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PACKAGE_DIR.parent
VAR_DIR = Path(os.environ.get("KEYCLIENT_VAR_DIR", BASE_DIR / "var"))
PRODUCTION = os.environ.get("KEYCLIENT_ENV", "development") == "production"

SECRET_KEY = secret_key(VAR_DIR, production=PRODUCTION)
# Keys the access log's hash chain (HMAC); like the secret key, required in production.
KEYCLIENT_AUDIT_KEY = secret_key(
    VAR_DIR, production=PRODUCTION, name="KEYCLIENT_AUDIT_KEY", file_name="audit_key"
)
# Encryption at rest of personal fields: comma-separated Fernet keys, the first one encrypts.
KEYCLIENT_FIELD_KEYS = field_keys(VAR_DIR, production=PRODUCTION)
# Keys the blind indexes (exact and last-four lookups of encrypted fields).
KEYCLIENT_BLIND_INDEX_KEY = secret_key(
    VAR_DIR, production=PRODUCTION, name="KEYCLIENT_BLIND_INDEX_KEY", file_name="blind_index_key"
)
DEBUG = env_bool("KEYCLIENT_DEBUG", default=False)
ALLOWED_HOSTS = [h for h in os.environ.get("KEYCLIENT_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "keyclient.core",
    "keyclient.security",
    "keyclient.audit",
    "keyclient.jobs",
    "keyclient.org",
    "keyclient.customers",
    "keyclient.products",
    "keyclient.relationships",
    "keyclient.valuation",
    "keyclient.engagement",
    "keyclient.coverage",
    "keyclient.capacity",
    "keyclient.intake",
    "keyclient.pipeline",
]
# The demo bank (`keyclient demo ...`: synthetic extracts, staff with a known password, the demo
# logins' two-factor codes) exists only outside production: there its app and commands are absent.
if not PRODUCTION:
    INSTALLED_APPS.append("keyclient.demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "keyclient.config.urls"
WSGI_APPLICATION = "keyclient.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"), VAR_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Grouped numbers (`intcomma`, `floatformat:"2g"`) print 20,000 in Chinese too (see formats/zh_Hans).
FORMAT_MODULE_PATH = ["keyclient.config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Hashed, compressed static files (collected by `keyclient serve`) when KEYCLIENT_STATIC_MANIFEST is
# set (`keyclient serve` sets it; production defaults to it); the development server and the tests
# serve the plain files from the apps, with no collectstatic needed.
STATIC_MANIFEST = env_bool("KEYCLIENT_STATIC_MANIFEST", default=PRODUCTION)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "keyclient.core.api_parsers.StrictMultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "keyclient.core.api_pagination.CappedPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Keyclient API",
    "DESCRIPTION": "Key-client relationship management. Every endpoint is limited to the caller's data scope.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "keyclient.customers.choices.CustomerKind",
        "ContactKindEnum": "keyclient.customers.choices.ContactKind",
        "StatusEnum": "keyclient.customers.choices.CustomerStatus",
        "TierEnum": "keyclient.customers.choices.Tier",
        "TierStateEnum": "keyclient.valuation.choices.TierState",
        "TierOverrideKindEnum": "keyclient.valuation.choices.OverrideKind",
        "TierOverrideStatusEnum": "keyclient.valuation.choices.OverrideStatus",
        "ProminenceKindEnum": "keyclient.valuation.choices.ProminenceKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "keyclient.security.logfilter.RedactPersonalNumbers"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "keyclient.core.logjson.JsonFormatter"},
    },
    # JSON lines in production (KEYCLIENT_LOG_JSON=0 turns them off); every handler redacts.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if env_bool("KEYCLIENT_LOG_JSON", default=PRODUCTION) else "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("KEYCLIENT_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # runserver's access log: its own handler in Django's defaults, so send it through ours.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Business settings
KEYCLIENT_LIST_PAGE_SIZE = 50
# API list endpoints count matches up to this many, then answer "count_is_capped": true.
KEYCLIENT_API_COUNT_CAP = 10_000
KEYCLIENT_EXPORT_MAX_ROWS = 50_000  # a larger export is refused: narrow the filters
KEYCLIENT_LAKE_DIR = Path(os.environ.get("KEYCLIENT_LAKE_DIR", VAR_DIR / "lake"))  # the intake's Parquet lake
# The reporting currency (ISO 4217): every amount in the CRM, every tier bar, price and limit is in it;
# the intake converts other currencies into it (docs/intake.md "Currencies").
KEYCLIENT_REPORTING_CURRENCY = env_currency("KEYCLIENT_REPORTING_CURRENCY", "CNY")
# In the reporting currency: a transaction at or above this shows on the 360 page.
KEYCLIENT_SIGNIFICANT_AMOUNT = 50_000
KEYCLIENT_DAILY_RETENTION_DAYS = 100  # daily indicator rows kept in the CRM (month ends kept for good)
KEYCLIENT_BALANCE_SNAPSHOT_HORIZON_DAYS = 35  # a client whose latest balance snapshot is older is reported
KEYCLIENT_INTAKE_MEMORY_LIMIT = os.environ.get("KEYCLIENT_INTAKE_MEMORY_LIMIT", "2GB")  # DuckDB, then spills
# Client searches per user and window (keyclient.customers.search_limits): any search, and searches
# by a full mobile or ID number (they confirm masked digits). One more is refused; the first
# identifier search refused in a window alerts compliance (business event search_limit_reached).
KEYCLIENT_SEARCH_WINDOW_MINUTES = int(os.environ.get("KEYCLIENT_SEARCH_WINDOW_MINUTES", "10"))
KEYCLIENT_SEARCH_RATE = int(os.environ.get("KEYCLIENT_SEARCH_RATE", "200"))
KEYCLIENT_IDENTIFIER_SEARCH_RATE = int(os.environ.get("KEYCLIENT_IDENTIFIER_SEARCH_RATE", "10"))
# Break-glass unmasking: besides a reason in words, a reference to the bank's ticket system counts
# as a reason when it matches this regular expression (searched in the reason; empty: words only).
# Example: KEYCLIENT_UNMASK_TICKET_PATTERN='\bINC-\d{6,}\b'.
KEYCLIENT_UNMASK_TICKET_PATTERN = env_regex("KEYCLIENT_UNMASK_TICKET_PATTERN")
# No answer of the application (client pages, unmasked values, exports) is cached; static files are.
MIDDLEWARE.insert(
    MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
    "keyclient.security.middleware.NoStoreMiddleware",
)

# --- Jobs (keyclient.jobs): django-tasks with its database backend; `keyclient worker` runs them ------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Each job kind and its runner (a thin wrapper around the app's service).
KEYCLIENT_JOB_KINDS = {
    "jobs.probe": "keyclient.jobs.probe.probe",
    "intake.load": "keyclient.intake.jobs.load",
    "pipeline.run": "keyclient.pipeline.jobs.run",
    "pipeline.backfill": "keyclient.pipeline.jobs.backfill",
    "pipeline.prune": "keyclient.pipeline.jobs.prune",
    "valuation.month_end": "keyclient.pipeline.jobs.month_end",
    "security.rotate_keys": "keyclient.security.jobs.rotate_keys",
    "nightly.run": "keyclient.jobs.nightly.job",
}
KEYCLIENT_JOB_HEARTBEAT_SECONDS = float(os.environ.get("KEYCLIENT_JOB_HEARTBEAT_SECONDS", "2"))
# A running job of a worker on another machine without a heartbeat for this long is failed by the
# reaper (its worker died). On the worker's own machine the reaper checks the worker's process instead.
KEYCLIENT_JOB_HEARTBEAT_TIMEOUT_SECONDS = int(
    os.environ.get("KEYCLIENT_JOB_HEARTBEAT_TIMEOUT_SECONDS", "300")
)
KEYCLIENT_JOB_LOG_LINES = 200  # the log tail kept per run
# A second run of a batch verb (intake, pipeline…) waits this long for the first, then fails clearly.
KEYCLIENT_BATCH_LOCK_WAIT_SECONDS = float(os.environ.get("KEYCLIENT_BATCH_LOCK_WAIT_SECONDS", "0"))
KEYCLIENT_LOCK_DIR = VAR_DIR / "locks"  # SQLite: the batch verbs' lock files
# The nightly run (`keyclient nightly --date D`) loads the extracts of D from <inbox>/<D>/.
KEYCLIENT_INBOX_DIR = Path(os.environ.get("KEYCLIENT_INBOX_DIR", VAR_DIR / "inbox"))

# The client 360 page: panels in display order (see keyclient/core/panels.py).
KEYCLIENT_360_PANELS = [
    "keyclient.products.panels.aum_panel",
    "keyclient.products.panels.trend_panel",
    "keyclient.valuation.panels.value_panel",
    "keyclient.valuation.panels_service.service_level_panel",
    "keyclient.coverage.panels.coverage_panel",
    "keyclient.products.panels.holdings_panel",
    "keyclient.products.panels.transactions_panel",
    "keyclient.products.panels.credit_panel",
    "keyclient.relationships.panels.links_panel",
]

# The sections of a handover pack (keyclient.coverage.handover_pack), in order: a later issue adds its
# own (last contacts, commitments, open alerts) here.
KEYCLIENT_HANDOVER_SECTIONS = [
    "keyclient.coverage.handover_pack.coverage",
    "keyclient.coverage.handover_pack.service_team",
    "keyclient.coverage.handover_pack.open_approvals",
    "keyclient.coverage.handover_pack.open_tasks",
    "keyclient.coverage.handover_pack.recent_changes",
]

# Panels of the administrators' staff page (keyclient.org.views.user_detail): what hangs on a person
# in higher domains (their book, their service-team places), counts only.
KEYCLIENT_STAFF_PANELS = [
    "keyclient.customers.panels_staff.book_panel",
]

# --- Login hardening (keyclient.security: lockout, two-factor, idle timeout, headers) ---------------
# Middleware: the headers wrap every response (static and error pages too); the idle timeout and the
# two-factor gate need the authenticated user and the messages.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "keyclient.security.middleware.SecurityHeadersMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "keyclient.security.middleware.IdleTimeoutMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("keyclient.security.middleware.IdleTimeoutMiddleware") + 1,
    "keyclient.security.middleware.TwoFactorMiddleware",
)
# Lockout: this many failures within the window lock the staff number (or the address) this long.
KEYCLIENT_LOCKOUT_USER_FAILURES = 5
KEYCLIENT_LOCKOUT_IP_FAILURES = 20
KEYCLIENT_LOCKOUT_WINDOW_MINUTES = 15
KEYCLIENT_LOCKOUT_MINUTES = 15
# A session without a request for this long is logged out.
KEYCLIENT_IDLE_TIMEOUT_MINUTES = 15
KEYCLIENT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# Swagger UI (drf-spectacular's SpectacularSwaggerView) starts with an inline script: that page alone
# may run inline scripts. It shows no client data. Drop this once /api/docs/ uses
# SpectacularSwaggerSplitView, which serves the start-up script as a file.
KEYCLIENT_CSP_BY_PATH: dict[str, str] = {}  # path prefix -> policy; none needs an exception today
KEYCLIENT_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), browsing-topics=()"
)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = PRODUCTION
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
# The proxies in front of the web workers (comma-separated addresses or CIDR networks): only a request
# from one of them has its X-Forwarded-For read for the client's address (lockout, audit; see
# keyclient/security/network.py). Empty: REMOTE_ADDR is the client.
KEYCLIENT_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("KEYCLIENT_TRUSTED_PROXIES", "").split(",") if p.strip()
]
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (set KEYCLIENT_TLS_PROXY=1 only then).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("KEYCLIENT_TLS_PROXY", default=False) else None
)
