"""``bench/load.py``: its client offers the mix it says at the rate it is given, counts every
failure, and stays bounded whatever the server does; its short mode runs end to end."""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.cast import build_cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402


def cookie_of(user) -> str:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


@pytest.mark.django_db(transaction=True)
def test_it_offers_the_mix_at_the_rate_given_and_every_answer_is_a_page(live_server):
    cast = build_cast()
    pages = {
        "dashboard": ["/plans/castle-2016-17/"],
        "list": ["/actions/", "/actions/?status=at_risk"],
        "action": [f"/actions/{cast.hub.pk}/"],
        "agency": ["/agencies/", "/agencies/castle-council/"],
        "my updates": ["/updates/"],
        "export": ["/actions/export.csv?plan=castle-2016-17"],
    }
    sessions = [
        load.Session(cookie_of(cast.alice), pages),
        load.Session(cookie_of(cast.bob), pages),
    ]
    started = time.perf_counter()
    results = load.run_load(live_server.url, sessions, 3, 20, concurrency=4, export_every=10)
    assert time.perf_counter() - started < 3 + 2 * 10
    assert len(results.samples) == 60  # 20 a second for 3 seconds, on a schedule
    assert [s.status for s in results.errors] == []
    kinds = {s.kind for s in results.samples}
    assert kinds == set(pages)
    assert sum(s.kind == "export" for s in results.samples) == 6  # every 10th
    assert all(s.size > 500 and s.latency > 0 for s in results.samples)
    summary = results.summary()
    assert summary["requests"] == 60 and summary["errors"] == 0
    assert 0 < summary["p50"] <= summary["p95"] <= summary["p99"] <= summary["max"]
    assert "export" in results.report()


def test_a_server_that_is_not_there_is_every_request_failed():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    session = load.Session("sessionid=x", {"list": ["/actions/"]})
    results = load.run_load(f"http://127.0.0.1:{port}", [session], 1, 10, timeout=1)
    assert len(results.samples) == 10
    assert {s.status for s in results.errors} == {0}
    assert "10 x no answer" in results.report()


def test_a_server_that_never_answers_cannot_hold_the_run_beyond_its_bounds():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(100)
    held = []
    stop = threading.Event()

    def accept_and_say_nothing() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept_and_say_nothing)
    thread.start()
    try:
        session = load.Session("sessionid=x", {"list": ["/actions/"]})
        started = time.perf_counter()
        results = load.run_load(
            f"http://127.0.0.1:{listener.getsockname()[1]}",
            [session],
            2,
            50,
            concurrency=4,
            timeout=1,
        )
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()
    assert elapsed < 2 + 2 * 1 + 1
    assert len(results.samples) == 100  # each one counted, none answered
    assert not [s for s in results.samples if s.status == 200]
    # four threads waiting a second each could send only a few; the rest were never sent
    assert sum(s.status == -1 for s in results.samples) > 50


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"duration": load.MAX_DURATION + 1}, "duration"),
        ({"duration": 0}, "duration"),
        ({"rate": load.MAX_RATE + 1}, "rate"),
        ({"concurrency": load.MAX_CONCURRENCY + 1}, "concurrency"),
        ({"timeout": load.MAX_TIMEOUT + 1}, "timeout"),
        ({"base_url": "https://example.org"}, "base_url"),
    ],
)
def test_it_refuses_to_run_beyond_its_bounds(options, message):
    arguments = {"base_url": "http://127.0.0.1:9", "duration": 1, "rate": 1} | options
    session = load.Session("sessionid=x", {"list": ["/actions/"]})
    with pytest.raises(ValueError, match=message):
        load.run_load(
            arguments.pop("base_url"),
            [session],
            arguments.pop("duration"),
            arguments.pop("rate"),
            **arguments,
        )


def test_the_short_mode_serves_a_scratch_county_step_by_step_within_a_minute_or_two():
    """End to end: a scratch county, gunicorn, the floor and two steps. Whether every page
    came back within its timeout depends on how busy the machine is, so the exit status (1
    when any request failed) is not asserted here; that the pages are pages is, above."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--short", "--port", "8791"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    out = done.stdout
    assert "gunicorn --workers 3 --threads 4" in out
    assert "floor (the sign-in page, reads nothing)" in out
    # both steps, each every request of its schedule counted: 2/s and 5/s for 8 s
    assert "offered    2.0/s" in out and "n=   16" in out
    assert "offered    5.0/s" in out and "n=   40" in out
    for kind in ("dashboard", "list", "action", "agency", "my updates"):
        assert f"    {kind} " in out
    assert "p99 within 250 ms" in out
    assert time.perf_counter() - started < 240
