"""Settings for the test suite: the real settings, with a throwaway key and a fast hasher."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")

from csp.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Serve static files from the source folders: no collectstatic before a test run.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Uploads (plan imports) go to a throwaway folder, never the project's media/.
import tempfile  # noqa: E402

MEDIA_ROOT = tempfile.mkdtemp(prefix="csp-test-media-")

# Tasks are recorded, not run: a test runs one by calling it (csp.tasks.render_report.call).
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
