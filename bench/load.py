"""Benchmark: a mixed signed-in load, served by gunicorn, bounded in time, rate and concurrency.

    DATABASE_URL=sqlite:////tmp/county.sqlite3 env -u PYTHONDONTWRITEBYTECODE \
        .venv/bin/python bench/load.py --rates 50,100,150 --duration 300
    .venv/bin/python bench/load.py --short     # a scratch county (tests/test_load_bench.py)

On a ``generate_county`` data set (``DATABASE_URL``) it signs in a cast of visitors (a
coordinator of each of 20 partnerships; an officer of each of 6 district councils; a viewer of
every partnership), starts gunicorn with the README's workers (``--workers``, ``--threads``)
on loopback with production settings, warms it, measures the floor (the sign-in page, which
reads nothing, at the highest rate), then offers each ``--rates`` step for ``--duration``
seconds: requests are sent on a fixed schedule (open loop), so a slow server shows as latency,
not as a politely lower rate. The mix, each visitor's own pages: a plan's dashboard, the
action list (unfiltered, by plan, status, lead, page 2), action pages, agency pages, My
updates, and every ``--export-every``-th request a plan's CSV export. For each step:
throughput, p50, p95, p99, errors (anything but a 200, or no answer), gunicorn's peak RSS (the
master and its workers), and per kind of page; at the end, the highest step whose p99 stayed
within ``--p99-limit`` and the first that crossed it.

The core, ``run_load(base_url, sessions, duration, rate)``, is importable and knows nothing of
Django or of how the server was started (the multi-node script drives it through nginx).
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import queue
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The bounds no run may pass, whatever it is asked: a load script must not become the attack.
MAX_DURATION = 900.0  # seconds per step
MAX_RATE = 1000.0  # requests offered per second
MAX_CONCURRENCY = 128  # requests in flight
MAX_TIMEOUT = 60.0  # seconds a request may take before it counts as failed
# The pages of a visit and how often each is asked for (the export comes on top, by count).
MIX: dict[str, float] = {
    "dashboard": 0.15,
    "list": 0.30,
    "action": 0.25,
    "agency": 0.15,
    "my updates": 0.15,
}


@dataclass(frozen=True)
class Session:
    """One signed-in visitor: the cookie header their browser sends, and their pages by kind
    (``MIX``'s kinds and ``"export"``); a kind with no pages is skipped for them."""

    cookie: str
    pages: dict[str, Sequence[str]]


@dataclass(frozen=True)
class Sample:
    kind: str
    path: str
    status: int  # 0: no answer (refused, reset, timed out); -1: not sent, the client's queue full
    due: float  # seconds into the run when it was due to be sent
    latency: float  # seconds from when it was due to its last byte (waiting for a thread counts)
    size: int


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.99 for p99); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


@dataclass
class Results:
    rate: float
    duration: float
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0  # from the first request due to the last answer
    rss_peak: int = 0  # bytes, of what ``rss_of`` measured; 0 when nothing was measured

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.status != 200]

    @property
    def throughput(self) -> float:
        """Answers (200s) per second."""
        ok = len(self.samples) - len(self.errors)
        return ok / self.elapsed if self.elapsed else 0.0

    def latencies(self, kind: str | None = None) -> list[float]:
        return [s.latency for s in self.samples if kind is None or s.kind == kind]

    def summary(self) -> dict[str, float]:
        """The figures of the run, latencies in milliseconds."""
        times = self.latencies()
        return {
            "offered": self.rate,
            "requests": len(self.samples),
            "throughput": self.throughput,
            "p50": percentile(times, 0.50) * 1000,
            "p95": percentile(times, 0.95) * 1000,
            "p99": percentile(times, 0.99) * 1000,
            "max": max(times, default=float("nan")) * 1000,
            "errors": len(self.errors),
            "rss_mb": self.rss_peak / 2**20,
        }

    def report(self) -> str:
        s = self.summary()
        lines = [
            f"offered {s['offered']:6.1f}/s  answered {s['throughput']:6.1f}/s  "
            f"n={s['requests']:5.0f}  p50 {s['p50']:6.1f}  p95 {s['p95']:6.1f}  "
            f"p99 {s['p99']:7.1f}  max {s['max']:7.1f} ms  errors {s['errors']:.0f}"
            + (f"  RSS {s['rss_mb']:.0f} MB" if self.rss_peak else "")
        ]
        kinds = sorted({sample.kind for sample in self.samples})
        for kind in kinds:
            times = self.latencies(kind)
            failed = sum(1 for e in self.errors if e.kind == kind)
            lines.append(
                f"    {kind:11} n={len(times):5d}  p50 {percentile(times, 0.5) * 1000:6.1f}  "
                f"p95 {percentile(times, 0.95) * 1000:6.1f}  "
                f"p99 {percentile(times, 0.99) * 1000:7.1f} ms  errors {failed}"
            )
        statuses = Counter(e.status for e in self.errors)
        if statuses:
            lines.append(
                "    errors: "
                + ", ".join(
                    f"{n} x {'no answer' if st == 0 else 'not sent' if st < 0 else f'HTTP {st}'}"
                    for st, n in sorted(statuses.items())
                )
            )
        return "\n".join(lines)


def choose(sessions: Sequence[Session], number: int, seed: int, export_every: int) -> tuple:
    """Request ``number``'s visitor, kind and page: the same for the same seed."""
    rng = random.Random(seed * 1_000_003 + number)
    session = rng.choice(sessions)
    if export_every and number % export_every == export_every - 1 and session.pages.get("export"):
        kind = "export"
    else:
        kinds = [k for k, pages in session.pages.items() if pages and k != "export"]
        kind = rng.choices(kinds, [MIX.get(k, 1.0) for k in kinds])[0]
    return session, kind, rng.choice(session.pages[kind])


class Visitor:
    """One client thread's kept-alive connection to the server."""

    def __init__(self, base: urllib.parse.SplitResult, timeout: float, headers: dict) -> None:
        self.base = base
        self.timeout = timeout
        self.headers = headers
        self.connection: http.client.HTTPConnection | None = None

    def get(self, path: str, cookie: str) -> tuple[int, int]:
        """(status, bytes read); status 0 when no answer came."""
        for attempt in (1, 2):
            fresh = self.connection is None
            if fresh:
                self.connection = http.client.HTTPConnection(
                    self.base.hostname, self.base.port or 80, timeout=self.timeout
                )
            try:
                self.connection.request("GET", path, headers={**self.headers, "Cookie": cookie})
                response = self.connection.getresponse()
                size = len(response.read())
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, size
            except (OSError, http.client.HTTPException):
                self.close()
                # A kept-alive connection the server had closed fails before anything was
                # sent: once more on a fresh one. A fresh one failing is the server's failure.
                if fresh or attempt == 2:
                    return 0, 0
        return 0, 0  # pragma: no cover - the loop always returns

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def run_load(
    base_url: str,
    sessions: Sequence[Session],
    duration: float,
    rate: float,
    *,
    concurrency: int = 32,
    timeout: float = 10.0,
    export_every: int = 50,
    seed: int = 1,
    headers: dict[str, str] | None = None,
    rss_of: Callable[[], int] | None = None,
) -> Results:
    """Offer ``rate`` requests a second for ``duration`` seconds to ``base_url`` (http://host:
    port), at most ``concurrency`` at once, each failing after ``timeout`` seconds; returns
    every request's sample. Requests are due on a fixed schedule and their latency is counted
    from when they were due. A request still waiting for a thread ``timeout`` seconds after it
    was due is not sent but counted as failed (-1), so an overwhelmed server cannot make the
    backlog, or the run, grow without bound: the run ends at most ``duration + 2 * timeout``
    seconds after it started. ``rss_of``, if given, is sampled every half second."""
    if not sessions:
        raise ValueError("run_load needs at least one session")
    if not 0 < duration <= MAX_DURATION:
        raise ValueError(f"duration must be more than 0 and at most {MAX_DURATION:.0f} s")
    if not 0 < rate <= MAX_RATE:
        raise ValueError(f"rate must be more than 0 and at most {MAX_RATE:.0f} a second")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency must be 1 to {MAX_CONCURRENCY}")
    if not 0 < timeout <= MAX_TIMEOUT:
        raise ValueError(f"timeout must be more than 0 and at most {MAX_TIMEOUT:.0f} s")
    base = urllib.parse.urlsplit(base_url)
    if base.scheme != "http" or not base.hostname:
        raise ValueError(f"base_url must be http://host:port, not {base_url!r}")
    prefix = base.path.rstrip("/")
    sent_headers = {"Host": base.netloc, "X-Forwarded-Proto": "https", **(headers or {})}

    results = Results(rate=rate, duration=duration)
    jobs: queue.Queue[tuple[int, float] | None] = queue.Queue()
    lock = threading.Lock()
    started = time.perf_counter()
    stop_sampling = threading.Event()

    def work() -> None:
        visitor = Visitor(base, timeout, sent_headers)
        try:
            while (job := jobs.get()) is not None:
                number, due = job
                session, kind, path = choose(sessions, number, seed, export_every)
                if time.perf_counter() - started - due > timeout:
                    sample = Sample(kind, path, -1, due, timeout, 0)
                else:
                    status, size = visitor.get(prefix + path, session.cookie)
                    sample = Sample(
                        kind, path, status, due, time.perf_counter() - started - due, size
                    )
                with lock:
                    results.samples.append(sample)
        finally:
            visitor.close()

    def sample_rss() -> None:
        while not stop_sampling.wait(0.5):
            with suppress(OSError):  # a process ended between listing and reading it
                results.rss_peak = max(results.rss_peak, rss_of())  # type: ignore[misc]

    threads = [threading.Thread(target=work, daemon=True) for _ in range(concurrency)]
    if rss_of is not None:
        threads.append(threading.Thread(target=sample_rss, daemon=True))
    for thread in threads:
        thread.start()
    number = 0
    while (due := number / rate) < duration:
        delay = started + due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put((number, due))
        number += 1
    for _ in range(concurrency):
        jobs.put(None)
    deadline = started + duration + 2 * timeout
    for thread in threads[:concurrency]:
        thread.join(timeout=max(0.0, deadline - time.perf_counter()))
    stop_sampling.set()
    results.elapsed = time.perf_counter() - started
    with lock:
        answered = len(results.samples)
        results.samples = list(results.samples)
    # Whatever a stuck thread still holds is a failure too, not a hole in the figures.
    for missing in range(answered, number):
        results.samples.append(Sample("unanswered", "", 0, missing / rate, timeout, 0))
    return results


# --- Running it against a server of our own --------------------------------------------------


def prepare_sessions(coordinators: int = 20, officers: int = 6) -> list[Session]:
    """The cast and each visitor's pages, from the data in ``DATABASE_URL`` (Django set up):
    a coordinator of each of the first ``coordinators`` partnerships, an officer of each of
    ``officers`` district councils (a member of one partnership, with the officer role there)
    and a viewer of every partnership. Enough visitors that one export in 50 requests stays
    within each account's export rate limit at 100/s. (An officer of the county police in 20
    partnerships owes some 12,000 updates: their My updates is measured by bench/pages.py.)"""
    from common import bench_client  # noqa: F401 - sets Django up
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db.models import Count
    from django.test import Client

    from csp.models import (
        Action,
        Officer,
        Organisation,
        OrganisationKind,
        Partnership,
        PartnershipRole,
        Plan,
        Role,
    )

    partnerships = list(Partnership.objects.order_by("slug"))

    def signed_in(username: str, roles: list[tuple[Partnership, str]]) -> tuple[User, str]:
        user, _ = User.objects.get_or_create(username=username)
        for partnership, role in roles:
            PartnershipRole.objects.get_or_create(
                user=user, partnership=partnership, defaults={"role": role}
            )
        client = Client()
        client.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        return user, f"{name}={client.cookies[name].value}"

    def pages(visible: list[Partnership], officer: bool) -> dict[str, list[str]]:
        plans = list(Plan.objects.filter(partnership__in=visible).order_by("slug"))
        rng = random.Random(len(visible))
        action_ids = list(
            Action.objects.filter(objective__priority__plan__in=plans)
            .order_by("pk")
            .values_list("pk", flat=True)[:5000]
        )
        agencies = list(
            Organisation.objects.filter(memberships__partnership__in=visible)
            .distinct()
            .order_by("slug")
            .values_list("slug", flat=True)
        )
        some_plans = rng.sample(plans, min(len(plans), 5))
        leads = rng.sample(agencies, min(len(agencies), 5))
        return {
            "dashboard": [f"/plans/{p.slug}/" for p in some_plans],
            "list": [
                "/actions/",
                "/actions/?page=2",
                "/actions/?status=at_risk",
                *(f"/actions/?plan={p.slug}" for p in some_plans),
                *(f"/actions/?lead={slug}" for slug in leads),
            ],
            "action": [
                f"/actions/{pk}/" for pk in rng.sample(action_ids, min(200, len(action_ids)))
            ],
            "agency": ["/agencies/", *(f"/agencies/{slug}/" for slug in leads)],
            "my updates": ["/updates/"] if officer else [],
            "export": [f"/actions/export.csv?plan={p.slug}" for p in some_plans],
        }

    sessions = []
    for n, partnership in enumerate(partnerships[:coordinators]):
        _, cookie = signed_in(f"load-coordinator-{n}", [(partnership, Role.COORDINATOR)])
        sessions.append(Session(cookie, pages([partnership], officer=False)))
    councils = (
        Organisation.objects.filter(kind=OrganisationKind.COUNCIL, officers__isnull=False)
        .annotate(n=Count("memberships", distinct=True))
        .filter(n=1)
        .distinct()
        .order_by("slug")[:officers]
    )
    for n, council in enumerate(councils):
        theirs = list(Partnership.objects.filter(memberships__organisation=council))
        officer = Officer.objects.filter(organisation=council).order_by("pk").first()
        user, cookie = signed_in(f"load-officer-{n}", [(p, Role.OFFICER) for p in theirs])
        if officer.user_id != user.pk:
            Officer.objects.filter(user=user).update(user=None)
            officer.user = user
            officer.save()
        sessions.append(Session(cookie, pages(theirs, officer=True)))
    _, cookie = signed_in("load-viewer", [(p, Role.VIEWER) for p in partnerships])
    sessions.append(Session(cookie, pages(partnerships, officer=False)))
    return sessions


def tree_rss(pid: int) -> int:
    """Resident memory of process ``pid`` and its children, in bytes (Linux)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


@contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int, threads: int) -> Iterator[int]:
    """gunicorn serving the site on loopback until the block ends; yields its master's pid."""
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "csp.wsgi",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(150):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/accounts/sign-in/", headers={"Host": "127.0.0.1"})
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer within 30 s")
        yield server.pid
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="25,50,100", help="offered requests/s, step by step")
    parser.add_argument("--duration", type=float, default=60, help="seconds per step")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--export-every", type=int, default=50)
    parser.add_argument("--warm", type=float, default=10, help="seconds of warm-up at 10/s")
    parser.add_argument("--p99-limit", type=float, default=250, help="milliseconds")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--short",
        action="store_true",
        help="a scratch SQLite county (2 partnerships, 1,000 actions), 2 steps of 8 s (2/s, 5/s)",
    )
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]

    folder = Path(tempfile.mkdtemp(prefix="csp-load-"))
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.short:
        env["DATABASE_URL"] = f"sqlite:///{folder}/load.sqlite3"
        rates, args.duration, args.warm = [2.0, 5.0], 8.0, 2.0
    if not env.get("DATABASE_URL"):
        parser.error("set DATABASE_URL to a generate_county data set, or give --short")
    env.update(
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        MEDIA_ROOT=str(folder / "media"),
        STATIC_ROOT=str(folder / "static"),
        LOG_LEVEL="WARNING",
    )
    python = str(ROOT / ".venv" / "bin" / "python")

    def manage(*command: str) -> None:
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True)

    if args.short:
        manage("migrate", "--no-input", "-v0")
        manage("generate_county", "--partnerships", "2", "--actions", "1000", "--updates", "3000")
    manage("collectstatic", "--no-input", "-v0")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "bench"))
    sessions = prepare_sessions()
    from django.db import connection

    database = f"{connection.vendor} {connection.settings_dict['NAME']}"
    connection.close()
    print(
        f"{database}: {len(sessions)} visitors; gunicorn --workers {args.workers} "
        f"--threads {args.threads}; {args.duration:.0f} s a step, at most {args.concurrency} "
        f"in flight, an export every {args.export_every} requests",
        flush=True,
    )
    base = f"http://127.0.0.1:{args.port}"
    steps: list[Results] = []
    with gunicorn(env, args.port, args.workers, args.threads) as pid:
        run_load(base, sessions, args.warm, 10, concurrency=args.concurrency, export_every=0)
        # The floor, in the same run: a page that reads nothing (the sign-in form), at the
        # highest rate, so what the machine could serve at that moment is known.
        floor = run_load(
            base,
            [Session("", {"floor": ["/accounts/sign-in/"]})],
            min(args.duration, 30),
            max(rates),
            concurrency=args.concurrency,
            timeout=args.timeout,
        )
        print("floor (the sign-in page, reads nothing):\n" + floor.report(), flush=True)
        for rate in rates:
            result = run_load(
                base,
                sessions,
                args.duration,
                rate,
                concurrency=args.concurrency,
                timeout=args.timeout,
                export_every=args.export_every,
                rss_of=lambda: tree_rss(pid),
            )
            steps.append(result)
            print(result.report(), flush=True)
    within = [r for r in steps if r.summary()["p99"] <= args.p99_limit and not r.errors]
    crossed = [r for r in steps if r.summary()["p99"] > args.p99_limit]
    best = max(within, key=lambda r: r.rate, default=None)
    print(
        f"p99 within {args.p99_limit:.0f} ms with no errors up to "
        + (f"{best.rate:.0f}/s offered ({best.throughput:.1f}/s answered)" if best else "no step")
        + "; crossed at "
        + (f"{crossed[0].rate:.0f}/s offered" if crossed else "no step measured")
    )
    return 1 if any(r.errors for r in steps) else 0


if __name__ == "__main__":
    sys.exit(main())
