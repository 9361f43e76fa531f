"""Settings for the test suite: the real servers of oms.settings, plus speed-ups."""

import os

from oms.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CACHES["default"]["KEY_PREFIX"] = "oms-test"  # noqa: F405
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "oms-test")  # noqa: F405
# Each test run gets its own database, so two runs on one server (a developer's and CI's,
# or several checkouts) never drop each other's. TEST_DATABASE_NAME pins it when wanted.
DATABASES["default"]["TEST"]["NAME"] = os.environ.get(  # noqa: F405
    "TEST_DATABASE_NAME", f"test_{DATABASES['default']['NAME']}_{os.getpid()}"  # noqa: F405
)
CELERY_PAYMENTS_QUEUE = os.environ.get("CELERY_PAYMENTS_QUEUE", "oms-test-payments")  # noqa: F405
CELERY_REPORTS_QUEUE = os.environ.get("CELERY_REPORTS_QUEUE", "oms-test-reports")  # noqa: F405
