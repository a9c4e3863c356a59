"""Settings come from the environment, and a malformed value stops start-up naming the variable."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from csp.env import cache_from_url, database_from_url, env_bool, env_int, env_list, env_rate

ROOT = Path(__file__).resolve().parent.parent


def start_settings(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the real settings in a fresh interpreter with exactly these variables."""
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import csp.settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.TIME_ZONE, s.LANGUAGE_CODE)",
        ],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_defaults_are_sqlite_london_and_british_english():
    result = start_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "Europe/London", "en-gb"]


def test_a_malformed_debug_stops_start_up_naming_it():
    result = start_settings(DEBUG="maybe", SECRET_KEY="x")
    assert result.returncode != 0
    assert "DEBUG: expected true or false" in result.stderr


def test_production_without_a_secret_key_stops_start_up():
    result = start_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY: must be set" in result.stderr


def test_an_unknown_database_scheme_stops_start_up():
    result = start_settings(DEBUG="1", DATABASE_URL="mysql://u:p@h/db")
    assert result.returncode != 0
    assert "DATABASE_URL: unsupported scheme 'mysql'" in result.stderr


def test_a_bad_email_port_stops_start_up():
    result = start_settings(DEBUG="1", EMAIL_PORT="twenty-five")
    assert result.returncode != 0
    assert "EMAIL_PORT: expected a whole number" in result.stderr


def test_postgres_url_selects_postgresql():
    result = start_settings(DEBUG="1", DATABASE_URL="postgres://csp:pw@localhost:5432/csp")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "django.db.backends.postgresql"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), ("yes", True), ("off", False), ("0", False), ("", False)],
)
def test_env_bool_reads_the_usual_words(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG") is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG")


def test_env_int(monkeypatch):
    monkeypatch.setenv("N", " 587 ")
    assert env_int("N", 25) == 587
    monkeypatch.setenv("N", "5x")
    with pytest.raises(ImproperlyConfigured, match="N: expected a whole number"):
        env_int("N", 25)


def test_env_list_refuses_blank_items(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example")
    assert env_list("HOSTS") == ["a.example", "b.example"]
    monkeypatch.setenv("HOSTS", "a.example,,b.example")
    with pytest.raises(ImproperlyConfigured, match="HOSTS: empty item"):
        env_list("HOSTS")


def test_database_url_unset_is_the_sqlite_file():
    db = database_from_url("", default_sqlite_path=Path("/srv/csp.sqlite3"))
    assert db == {"ENGINE": "django.db.backends.sqlite3", "NAME": Path("/srv/csp.sqlite3")}


def test_database_url_postgres_parts_are_decoded():
    db = database_from_url(
        "postgresql://csp%40council:p%2Fss@db.internal:6543/csp_live?sslmode=require",
        default_sqlite_path=Path("x"),
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "csp@council",
        "p/ss",
        "db.internal",
        "6543",
        "csp_live",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://u:p@host/", "no database name"),
        ("postgres://u:p@host:port/db", "port"),
        ("sqlite://", "no file name"),
        ("redis://localhost", "unsupported scheme"),
        ("Removed stale pid file.\npostgres://u:p@h/db", "expected a URL .* got 'Removed stale"),
    ],
)
def test_database_url_mistakes_are_named(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        database_from_url(url, default_sqlite_path=Path("x"))


def test_the_cache_is_each_process_s_memory_unless_cache_url_names_redis():
    from csp.env import cache_from_url

    assert cache_from_url("")["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    for url in ("redis://127.0.0.1:6379/1", "rediss://cache.internal:6380/0", "unix:///r.sock"):
        entry = cache_from_url(url)
        assert entry["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
        assert entry["LOCATION"] == url
        # A server that stops answering must not hold a page for long.
        assert entry["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def test_an_unknown_cache_url_stops_start_up_naming_it():
    result = start_settings(DEBUG="1", CACHE_URL="memcached://127.0.0.1:11211")
    assert result.returncode != 0
    assert (
        "CACHE_URL: unsupported scheme 'memcached'; expected redis://host:port/db" in result.stderr
    )


def test_a_job_staleness_shorter_than_three_heartbeats_stops_start_up():
    # A live worker would be taken for dead between two of its beats.
    result = start_settings(DEBUG="1", JOB_HEARTBEAT_SECONDS="10", JOB_STALE_SECONDS="20")
    assert result.returncode != 0
    assert "JOB_STALE_SECONDS: must be at least three times JOB_HEARTBEAT_SECONDS" in result.stderr
    assert start_settings(DEBUG="1", JOB_STALE_SECONDS="30").returncode == 0


def test_a_rate_limit_is_requests_per_seconds(monkeypatch):
    monkeypatch.setenv("SOME_RATE", "20/600")
    assert env_rate("SOME_RATE", (1, 1)) == (20, 600)
    monkeypatch.delenv("SOME_RATE")
    assert env_rate("SOME_RATE", (10, 300)) == (10, 300)
    for wrong in ("20", "20/0", "0/60", "ten/60", "-1/60"):
        monkeypatch.setenv("SOME_RATE", wrong)
        with pytest.raises(ImproperlyConfigured, match="SOME_RATE: expected requests/seconds"):
            env_rate("SOME_RATE", (1, 1))


def test_the_cache_is_each_process_unless_redis_is_named():
    assert cache_from_url("")["BACKEND"].endswith("LocMemCache")
    redis = cache_from_url("redis://cache.internal:6379/1")
    assert redis["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["LOCATION"] == "redis://cache.internal:6379/1"
    with pytest.raises(
        ImproperlyConfigured,
        match="CACHE_URL: unsupported scheme 'memcached'; expected redis://host:port/db",
    ):
        cache_from_url("memcached://x:11211")


def settings_value(expression: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Print ``expression`` over the real settings (``s``) imported with these variables."""
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    return subprocess.run(
        [sys.executable, "-c", f"import json, csp.settings as s; print(json.dumps({expression}))"],
        cwd=ROOT,
        env=clean | {"DEBUG": "1"} | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_files_are_kept_by_the_storage_the_environment_names():
    result = settings_value("s.STORAGES['default']")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {},
    }
    s3 = settings_value(
        "s.STORAGES['default']",
        FILE_STORAGE="storages.backends.s3.S3Storage",
        FILE_STORAGE_OPTIONS='{"bucket_name": "csp-files", "endpoint_url": "https://s3.example"}',
    )
    assert s3.returncode == 0, s3.stderr
    assert json.loads(s3.stdout) == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "csp-files", "endpoint_url": "https://s3.example"},
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FILE_STORAGE": "s3 please"}, "FILE_STORAGE: expected a class's dotted path"),
        ({"FILE_STORAGE_OPTIONS": "{bucket: csp}"}, "FILE_STORAGE_OPTIONS: not valid JSON"),
        ({"FILE_STORAGE_OPTIONS": '["csp"]'}, "FILE_STORAGE_OPTIONS: expected a JSON object"),
        ({"TASKS_BACKEND": "rq"}, "TASKS_BACKEND: expected a class's dotted path"),
        ({"SESSION_STORE": "redis"}, "SESSION_STORE: expected one of cached_db, db"),
        # Each app server's own memory would keep a signed-out session alive in the others.
        ({"SESSION_STORE": "cached_db"}, "SESSION_STORE: cached_db needs CACHE_URL"),
    ],
)
def test_a_wrong_storage_or_session_setting_stops_start_up_naming_it(env, message):
    result = settings_value("1", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_sessions_are_in_the_database_unless_cached_db_with_redis_is_asked_for():
    default = settings_value("s.SESSION_ENGINE")
    assert json.loads(default.stdout) == "django.contrib.sessions.backends.db"
    cached = settings_value(
        "[s.SESSION_ENGINE, s.SESSION_CACHE_SECONDS]",
        SESSION_STORE="cached_db",
        CACHE_URL="redis://cache.internal:6379/0",
    )
    assert cached.returncode == 0, cached.stderr
    assert json.loads(cached.stdout) == ["csp.sessions", 60]


def test_the_rq_backend_and_its_worker_are_set_by_the_environment():
    result = settings_value(
        "[s.TASKS['default']['BACKEND'], s.RQ_QUEUES['default']['URL'], "
        "'django_rq' in s.INSTALLED_APPS]",
        TASKS_BACKEND="django_tasks_rq.RQBackend",
        REDIS_URL="redis://queue.internal:6379/1",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "django_tasks_rq.RQBackend",
        "redis://queue.internal:6379/1",
        True,
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "COORDINATOR_DIGEST_MINUTES: expected 1 or more, got 0"),
        ("hourly", "COORDINATOR_DIGEST_MINUTES: expected a whole number, got 'hourly'"),
    ],
)
def test_a_bad_digest_interval_stops_start_up(value, message):
    result = start_settings(DEBUG="1", COORDINATOR_DIGEST_MINUTES=value)
    assert result.returncode != 0
    assert message in result.stderr
