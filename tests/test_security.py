"""Security basics: brute-force protection, the Content Security Policy, a clean deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def attempt(ip: str, username: str, password: str):
    return Client(REMOTE_ADDR=ip).post(
        "/accounts/sign-in/", {"username": username, "password": password}
    )


@pytest.fixture
def people():
    User.objects.create_user("alice", password="alice-right-password")
    User.objects.create_user("bob", password="bob-right-password")


def test_five_wrong_passwords_lock_that_username_from_that_address(people):
    for _ in range(5):
        attempt("10.0.0.1", "alice", "wrong")
    locked = attempt("10.0.0.1", "alice", "alice-right-password")
    assert locked.status_code == 429
    assert "You cannot sign in for an hour" in locked.content.decode()


def test_a_colleague_behind_the_same_address_can_still_sign_in(people):
    for _ in range(5):
        attempt("10.0.0.1", "alice", "wrong")
    assert attempt("10.0.0.1", "bob", "bob-right-password").status_code == 302


def test_the_same_username_from_another_address_can_still_sign_in(people):
    for _ in range(5):
        attempt("10.0.0.1", "alice", "wrong")
    assert attempt("10.0.0.2", "alice", "alice-right-password").status_code == 302


def test_four_wrong_passwords_do_not_lock(people):
    for _ in range(4):
        attempt("10.0.0.1", "alice", "wrong")
    assert attempt("10.0.0.1", "alice", "alice-right-password").status_code == 302


def test_every_page_carries_a_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy


def test_pages_have_no_inline_script(client):
    html = client.get("/accounts/sign-in/").content.decode()
    assert "<script>" not in html
    assert '<script type="module">' not in html


def test_the_deploy_check_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "csp.settings",
        "SECRET_KEY": "a-long-random-production-secret-" + "x7Kq9Zp2Lm4Nv8Rt" * 3,
        "ALLOWED_HOSTS": "csp.example.gov.uk",
        "DEBUG": "false",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
