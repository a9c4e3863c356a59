"""Django settings for CSP Tracker, read from the environment.

Every value that changes between a laptop demo and a production site comes from an environment
variable (see the configuration table in README.md). Malformed values stop start-up with a
message naming the variable; see ``csp.env``.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from csp.env import (
    cache_from_url,
    database_from_url,
    env_bool,
    env_choice,
    env_dotted_path,
    env_int,
    env_json_object,
    env_list,
    env_rate,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY: must be set when DEBUG is off")
    # Only ever used with DEBUG on, on a developer's own machine.
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "axes",
    "simple_history",
    # Before django_tasks_db: its ``db_worker`` command is ours (csp/management/commands), which
    # adds the watchdog that gives up the jobs of a worker that died.
    "csp",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Once the visitor is known: a signed-out visitor's request gets a fixed budget of work.
    "csp.budget.AnonymousBudgetMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.SignInRequiredMiddleware",
    # Records who made each change that django-simple-history keeps.
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.ContentSecurityPolicyMiddleware",
    "csp.middleware.PrivateCacheMiddleware",
    # Last, as django-axes asks: it answers a locked-out sign-in itself.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Brute-force protection on sign-in. Partner agencies sit behind shared addresses (a police
# force, a council), so a lock-out is for one username from one address, never a whole office.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hour
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind proxies, the visitor's own address is in X-Forwarded-For: each proxy appends the address
# its request came from, so behind N proxies the visitor is the N-th address from the right,
# and whatever a visitor wrote there themselves lies further left and is ignored. axes reads
# the address through django-ipware, which counts differently: its proxy count is the number
# of addresses to the right of the visitor's, N - 1, since the nearest proxy's own address is
# REMOTE_ADDR and not in the header. Not strict, so a longer header (a visitor's own entries,
# or an office's outgoing proxy) is read from the right instead of being discarded.
PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0, minimum=0)
AXES_IPWARE_PROXY_ORDER = "left-most"  # the header as written: counted from its right end
IPWARE_STRICT = False
if PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT: int | None = PROXY_COUNT - 1
else:
    # Nothing in front of the app: the header is the visitor's own writing, never read.
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
    AXES_IPWARE_PROXY_COUNT = None

# Scripts and styles from our own origin only: no inline script, no third party.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

ROOT_URLCONF = "csp.urls"
WSGI_APPLICATION = "csp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL"), default_sqlite_path=BASE_DIR / "csp.sqlite3"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers carry on while one writer saves; IMMEDIATE takes the write lock at the
    # start of a transaction, so two saves queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# Requests one visitor (an account, else a client address) may make in a window of seconds.
RATE_LIMITS = {
    # An agency's progress report is a PDF laid out for it: seconds of a worker's time.
    "agency-report": env_rate("AGENCY_REPORT_RATE_LIMIT", (10, 300)),
    # Exports read every row the list selects.
    "export": env_rate("EXPORT_RATE_LIMIT", (30, 300)),
    # Checking a password is deliberately slow (PBKDF2); django-axes stops guessing one
    # username, this stops one address making the server check thousands of them.
    "sign-in": env_rate("SIGN_IN_RATE_LIMIT", (30, 60)),
    # Each asks the mail server to send a message.
    "password-reset": env_rate("PASSWORD_RESET_RATE_LIMIT", (5, 300)),
    # Personal links refused (a wrong or broken token): nobody tries addresses by the thousand.
    "personal-link": env_rate("PERSONAL_LINK_RATE_LIMIT", (20, 300)),
}

# What one request of a signed-out visitor may cost (csp/budget.py): seconds of the request
# thread's CPU and of PostgreSQL's time on its statements; 0 for no limit.
ANONYMOUS_REQUEST_SECONDS = env_int("ANONYMOUS_REQUEST_SECONDS", 5)
# Agency reports for a signed-out visitor are made while they wait up to this many actions
# (about 2 s of work), in the background beyond.
ANONYMOUS_INLINE_MAX_ACTIONS = env_int("ANONYMOUS_INLINE_MAX_ACTIONS", 50)
# Actions a signed-out visitor may export at once (the action list's and a plan's exports).
ANONYMOUS_EXPORT_MAX_ACTIONS = env_int("ANONYMOUS_EXPORT_MAX_ACTIONS", 5000)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache (csp.caching): each process's memory by default, Redis when CACHE_URL names one.
# Entries are keyed by what their visitor may see and by the data's change stamp. The rate
# limits' counters (csp/ratelimit.py) are kept here too: with several app servers (or gunicorn
# workers) CACHE_URL must name a Redis server, so they count together.
CACHES = {"default": {**cache_from_url(env_str("CACHE_URL")), "KEY_PREFIX": "csp"}}

# Sessions are kept in the database, which every app server reads. SESSION_STORE=cached_db
# keeps a copy in the cache too (one query less per request), which must then be Redis: one
# process's memory would keep a signed-out session alive in the others. csp.sessions does
# without the cache while Redis is away, and keeps each copy at most SESSION_CACHE_SECONDS.
SESSION_STORE = env_choice("SESSION_STORE", {"db", "cached_db"}, "db")
SESSION_CACHE_SECONDS = env_int("SESSION_CACHE_SECONDS", 60, minimum=1)
SESSION_ENGINE = "django.contrib.sessions.backends.db"
if SESSION_STORE == "cached_db":
    if CACHES["default"]["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        raise ImproperlyConfigured(
            "SESSION_STORE: cached_db needs CACHE_URL to name the Redis server every app "
            "server shares"
        )
    SESSION_ENGINE = "csp.sessions"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en-gb")
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "media"))
MEDIA_URL = "media/"

STATIC_URL = "static/"
# Where collectstatic puts the static files each app server serves (WhiteNoise).
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Every file the app keeps (uploads waiting between the import's steps) goes through Django's
# storage API (``default_storage``), never a path: a folder (MEDIA_ROOT) by default, which
# every app server and worker must share; with several machines, S3-compatible object storage
# or any other backend by configuration, e.g. django-storages':
# FILE_STORAGE=storages.backends.s3.S3Storage FILE_STORAGE_OPTIONS='{"bucket_name": "csp"}'.
FILE_STORAGE = env_dotted_path("FILE_STORAGE", "django.core.files.storage.FileSystemStorage")
STORAGES = {
    "default": {"BACKEND": FILE_STORAGE, "OPTIONS": env_json_object("FILE_STORAGE_OPTIONS")},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail: the console backend unless a real one is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
# Seconds to wait for the mail server: a hung one must not hold a request or a command for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL: set at most one of them")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CSP Tracker <csp-tracker@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Production hardening, on whenever DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading HSTS binds every subdomain of a council's domain for years: a decision for the
# council, off by default, so check --deploy is told not to insist on it.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"hide_link_tokens": {"()": "csp.log_filters.HideLinkTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # The loggers that write request addresses: never a personal link's token.
    "loggers": {
        name: {"filters": ["hide_link_tokens"]} for name in ("django.request", "django.server")
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", {"DEBUG", "INFO", "WARNING", "ERROR"}, "INFO"),
    },
}


# Background work (long scrutiny reports) with the Django tasks API. By default the tasks wait
# in the database and `manage.py db_worker` runs them: no other server to keep. Any Django
# tasks backend can be named instead, e.g. django_tasks_rq.RQBackend with REDIS_URL set.
TASKS_BACKEND = env_dotted_path("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {"default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default"]}}
if TASKS_BACKEND.startswith("django_tasks_rq."):
    REDIS_URL = env_str("REDIS_URL")
    if not REDIS_URL:
        raise ImproperlyConfigured("REDIS_URL: must be set when TASKS_BACKEND is an RQ backend")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 900}}

# Reports of up to this many actions are made while the browser waits (a few seconds); longer
# ones in the background, with a progress page, as they take a minute or more.
REPORT_INLINE_MAX_ACTIONS = env_int("REPORT_INLINE_MAX_ACTIONS", 150)
# A spreadsheet of more rows than this is written by the background worker (a 2,000-row sheet
# takes one to two seconds while the browser waits; 13,000 rows take far longer).
IMPORT_INLINE_MAX_ROWS = env_int("IMPORT_INLINE_MAX_ROWS", 3000)
# A background render running longer than this is stuck, even if its worker still beats.
REPORT_RENDER_TIMEOUT_MINUTES = env_int("REPORT_RENDER_TIMEOUT_MINUTES", 30)
# Background jobs (csp/jobs.py): a worker says it is still at a job this often, and a job with
# no word from its worker for JOB_STALE_SECONDS has lost it and is given up.
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 5)
JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", 60)
if JOB_HEARTBEAT_SECONDS < 1 or JOB_STALE_SECONDS < 3 * JOB_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "JOB_STALE_SECONDS: must be at least three times JOB_HEARTBEAT_SECONDS (at least 1), so "
        f"a live worker is never taken for dead; got {JOB_STALE_SECONDS} and "
        f"{JOB_HEARTBEAT_SECONDS}"
    )

# A coordinator is e-mailed a digest of the updates submitted for review at most this often.
COORDINATOR_DIGEST_MINUTES = env_int("COORDINATOR_DIGEST_MINUTES", 60)
if COORDINATOR_DIGEST_MINUTES < 1:
    raise ImproperlyConfigured(
        f"COORDINATOR_DIGEST_MINUTES: expected 1 or more, got {COORDINATOR_DIGEST_MINUTES}"
    )

# The period page posts about six fields for each update an officer owes (status, progress,
# risks, figures, version, a comment): an officer of a county body owing a few hundred updates
# passes Django's default of 1,000, which refuses the whole page. The size of what is posted
# stays bounded by DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, Django's default).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000

# Files attached to updates as evidence may be at most this large each (csp.evidence).
EVIDENCE_MAX_MB = env_int("EVIDENCE_MAX_MB", 10)
if not 1 <= EVIDENCE_MAX_MB <= 200:
    raise ImproperlyConfigured(f"EVIDENCE_MAX_MB: expected 1 to 200, got {EVIDENCE_MAX_MB}")

# Personal links (csp.models.PersonalLink) carry django-sesame tokens, which expire: each link
# at its own period's deadline plus grace (checked on every use), and no token outlives this.
SESAME_MAX_AGE = datetime.timedelta(days=366)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# The admin's change history is for reading: restoring an old version would step round the
# version lock on updates and the lock on reported periods.
SIMPLE_HISTORY_REVERT_DISABLED = True
