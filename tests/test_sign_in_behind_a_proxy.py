"""Brute-force lock-out behind a proxy (``AXES_PROXY_COUNT``): each visitor is counted by their own
address, which they cannot choose, never by the proxy's.

Every request reaches the app from the proxy (``REMOTE_ADDR``); the proxy appends the address
it was reached from to ``X-Forwarded-For``. Before, the header was never read, so every wrong
password counted against the proxy's address and anyone could lock any known username out for
everyone for an hour.

The settings are those ``csp/settings.py`` derives from the variable, read in a fresh
interpreter, so the test exercises exactly what a deployment gets.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent
DERIVED = (
    "AXES_IPWARE_META_PRECEDENCE_ORDER",
    "AXES_IPWARE_PROXY_COUNT",
    "AXES_IPWARE_PROXY_ORDER",
    "IPWARE_STRICT",
)

PROXY = "127.0.0.1"  # nginx on the same machine, as the README sets it up
A = "203.0.113.10"
B = "198.51.100.20"

pytestmark = pytest.mark.django_db


def start_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "AXES_PROXY_COUNT"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, csp.settings as s; "
            f"print(json.dumps({{n: getattr(s, n, None) for n in {DERIVED!r}}}))",
        ],
        cwd=ROOT,
        env=clean | {"DEBUG": "true"} | env,
        capture_output=True,
        text=True,
        check=False,
    )


def derived_settings(proxies: int) -> dict:
    result = start_settings(AXES_PROXY_COUNT=str(proxies))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    if values["AXES_IPWARE_META_PRECEDENCE_ORDER"] is not None:
        values["AXES_IPWARE_META_PRECEDENCE_ORDER"] = tuple(
            values["AXES_IPWARE_META_PRECEDENCE_ORDER"]
        )
    return values


@pytest.fixture(scope="module")
def one_proxy_settings():
    return derived_settings(1)


@pytest.fixture(scope="module")
def two_proxies_settings():
    return derived_settings(2)


@pytest.fixture(scope="module")
def no_proxy_settings():
    return derived_settings(0)


@pytest.fixture
def behind_one_proxy(one_proxy_settings):
    with override_settings(**one_proxy_settings):
        yield


@pytest.fixture
def people():
    User.objects.create_user("alice", password="alice-right-password")


def sign_in(password: str, forwarded_for: str | None, remote: str = PROXY, username="alice"):
    headers = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Client(**headers).post(
        "/accounts/sign-in/", {"username": username, "password": password}
    )


def fail_five_times(forwarded_for: str, remote: str = PROXY) -> None:
    for _ in range(5):
        sign_in("wrong", forwarded_for, remote)


def test_wrong_passwords_from_a_lock_out_a(behind_one_proxy, people):
    fail_five_times(A)
    assert sign_in("alice-right-password", A).status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [A]


def test_b_still_signs_in_with_the_same_username(behind_one_proxy, people):
    fail_five_times(A)
    assert sign_in("alice-right-password", B).status_code == 302


def test_an_address_written_by_the_visitor_is_not_believed(behind_one_proxy, people):
    # The attacker at A writes B in the header; the proxy appends A after it.
    fail_five_times(f"{B}, {A}")
    assert sign_in("alice-right-password", B).status_code == 302
    # Counted against A, whatever A writes next time.
    assert sign_in("alice-right-password", f"{B}, {A}").status_code == 429
    assert sign_in("alice-right-password", f"198.51.100.99, {A}").status_code == 429
    assert sign_in("alice-right-password", A).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}


def test_more_hops_than_proxies_cannot_choose_the_address(behind_one_proxy, people):
    for _ in range(5):
        sign_in("wrong", f"{B}, 192.0.2.1, 10.9.9.9, {A}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}
    assert sign_in("alice-right-password", B).status_code == 302


def test_garbage_written_by_the_visitor_is_skipped(behind_one_proxy, people):
    fail_five_times(f"not-an-address, unknown, , {A}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}
    assert sign_in("alice-right-password", B).status_code == 302


def test_the_proxys_own_address_is_never_locked(behind_one_proxy, people):
    fail_five_times(A)
    fail_five_times(B)
    assert PROXY not in AccessAttempt.objects.values_list("ip_address", flat=True)
    assert sign_in("alice-right-password", "192.0.2.50").status_code == 302


def test_a_public_visitor_behind_a_proxy_on_a_private_network(one_proxy_settings, people):
    with override_settings(**one_proxy_settings):
        fail_five_times("81.2.69.142", remote="10.0.0.1")
        assert sign_in("alice-right-password", "81.2.69.160", remote="10.0.0.1").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"81.2.69.142"}


def test_behind_two_proxies_the_visitor_is_second_from_the_right(two_proxies_settings, people):
    with override_settings(**two_proxies_settings):
        # visitor A → edge proxy (appends A) → nginx (appends the edge's 10.0.0.5) → the app
        fail_five_times(f"{B}, {A}, 10.0.0.5")
        assert sign_in("alice-right-password", f"{A}, 10.0.0.5").status_code == 429
        assert sign_in("alice-right-password", f"{B}, 10.0.0.5").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}


def test_with_no_proxy_the_header_is_ignored(no_proxy_settings, people):
    with override_settings(**no_proxy_settings):
        # Straight to the app: the header is whatever the visitor wrote.
        fail_five_times(B, remote=A)
        assert sign_in("alice-right-password", A, remote=B).status_code == 302
        assert sign_in("alice-right-password", B, remote=A).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}


def test_without_the_header_behind_a_proxy_the_connection_counts(behind_one_proxy, people):
    fail_five_times(A)
    assert sign_in("alice-right-password", None, remote="192.0.2.77").status_code == 302


def test_a_negative_proxy_count_stops_start_up_naming_it():
    result = start_settings(AXES_PROXY_COUNT="-1")
    assert result.returncode != 0
    assert "AXES_PROXY_COUNT: expected 0 or more, got '-1'" in result.stderr


def test_a_malformed_proxy_count_stops_start_up_naming_it():
    result = start_settings(AXES_PROXY_COUNT="one")
    assert result.returncode != 0
    assert "AXES_PROXY_COUNT: expected a whole number, got 'one'" in result.stderr
