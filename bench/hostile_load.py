"""Benchmark: hostile uploads and anonymous PDF requests at once, while others use the site.

    env -u PYTHONDONTWRITEBYTECODE .venv/bin/python bench/hostile_load.py [--workers 3]

On loopback, with production settings and a scratch SQLite database (or DATABASE_URL): a
generated county (``generate_county``, made public, with one organisation leading many actions)
served by gunicorn with the README's workers, and the background worker beside it. Then, all at
once and for a bounded time:
- three coordinators each upload a 1 MB spreadsheet whose shared strings unpack to 1 GB;
- twenty anonymous visitors each ask for the busiest organisation's progress report PDF;
- one visitor loads the home page every 100 ms, throughout.

It prints the home page's latency (p50, p99, max) before, during and after, beside the same
measure with no attack (the baseline, in the same run), and what each attacker got back.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from upload_bombs import _chain, _sheet, _workbook  # noqa: E402

PASSWORD = "bench-only-password-1"


def bomb(path: Path) -> None:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    item = b"<si><t>" + b"A" * 1000 + b"</t></si>"
    _workbook(
        path,
        _sheet([]),
        _chain(f'<sst xmlns="{main}">'.encode(), (item * 1000 for _ in range(1000)), b"</sst>"),
    )


class Browser:
    """One visitor: a connection and its cookies (kept by hand: they are Secure, and the
    requests go over plain loopback with the proxy's X-Forwarded-Proto: https)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict | None = None,
        timeout: float = 60,
    ) -> tuple[int, bytes, float]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        sent = {
            "Host": "127.0.0.1",
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **(headers or {}),
        }
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            return 0, b"", time.perf_counter() - started
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data, time.perf_counter() - started

    def form_token(self, path: str) -> str:
        _, page, _ = self.request("GET", path)
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        return found.group(1).decode() if found else ""

    def sign_in(self, username: str) -> None:
        token = self.form_token("/accounts/sign-in/")
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        ).encode()
        self.request(
            "POST",
            "/accounts/sign-in/",
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": "https://127.0.0.1/"},
        )

    def upload(self, path: str, name: str, data: bytes) -> tuple[int, float]:
        token = self.form_token(path)
        boundary = "----csp-bench"
        parts = []
        for field, value in (("csrfmiddlewaretoken", token), ("title", "Bomb"), ("plan", "")):
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"\r\n\r\n'
            parts.append(f"{head}{value}\r\n".encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        status, _, elapsed = self.request(
            "POST",
            path,
            b"".join(parts),
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": "https://127.0.0.1/",
            },
        )
        return status, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def sample_home(port: int, stop: threading.Event, into: list[tuple[float, float, int]]) -> None:
    visitor = Browser(port)
    while not stop.is_set():
        status, _, elapsed = visitor.request("GET", "/", timeout=30)
        into.append((time.perf_counter(), elapsed, status))
        time.sleep(0.1)


def describe(label: str, samples: list[tuple[float, float, int]]) -> str:
    times = [s[1] * 1000 for s in samples]
    errors = sum(1 for s in samples if s[2] != 200)
    return (
        f"{label:28} n={len(times):4d}  p50 {percentile(times, 0.5):7.1f} ms  "
        f"p99 {percentile(times, 0.99):7.1f} ms  max {max(times, default=0):7.1f} ms  "
        f"errors {errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn's --threads (gthread)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seconds", type=int, default=40, help="the attack's time limit")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="csp-hostile-"))
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("DATABASE_URL", f"sqlite:///{folder}/hostile.sqlite3")
    env.update(
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        MEDIA_ROOT=str(folder / "media"),
        LOG_LEVEL="WARNING",
    )
    python = str(ROOT / ".venv" / "bin" / "python")

    def manage(*command: str) -> None:
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True)

    print("Preparing: migrate, generate a county, collect static files …", flush=True)
    manage("migrate", "--no-input", "-v0")
    manage("generate_county", "--partnerships", "4", "--actions", "6000", "--updates", "12000")
    env["STATIC_ROOT"] = str(folder / "static")
    manage("collectstatic", "--no-input", "-v0")
    setup = f"""
from django.contrib.auth.models import User
from django.db.models import Count
from csp.models import Organisation, Partnership, PartnershipRole, Role
Partnership.objects.update(is_public=True)
for n, partnership in enumerate(Partnership.objects.all()[:3]):
    user, _ = User.objects.get_or_create(username=f"bench-coordinator-{{n}}")
    user.set_password({PASSWORD!r}); user.save()
    PartnershipRole.objects.get_or_create(user=user, partnership=partnership, role=Role.COORDINATOR)
    print("coordinator", user.username, partnership.slug)
busiest = Organisation.objects.annotate(n=Count("action_leads")).order_by("-n").first()
print("busiest", busiest.slug, busiest.n)
"""
    out = subprocess.run(
        [python, "manage.py", "shell", "-c", setup],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    coordinators = re.findall(r"coordinator (\S+) (\S+)", out)
    busiest, leads = re.search(r"busiest (\S+) (\d+)", out).groups()
    print(f"The busiest organisation, {busiest}, leads {leads} actions.")
    bomb_path = folder / "bomb.xlsx"
    bomb(bomb_path)
    bomb_data = bomb_path.read_bytes()
    print(f"The bomb: {len(bomb_data) / 1024:.0f} KB on disk, 1 GB of shared strings.")

    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "csp.wsgi",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [python, "manage.py", "db_worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            if Browser(args.port).request("GET", "/", timeout=2)[0] == 200:
                break
            time.sleep(0.2)
        for _ in range(10):  # warm every worker
            Browser(args.port).request("GET", "/")

        stop = threading.Event()
        baseline: list[tuple[float, float, int]] = []
        sampler = threading.Thread(target=sample_home, args=(args.port, stop, baseline))
        sampler.start()
        time.sleep(10)
        stop.set()
        sampler.join()

        stop = threading.Event()
        during: list[tuple[float, float, int]] = []
        sampler = threading.Thread(target=sample_home, args=(args.port, stop, during))
        sampler.start()
        results: dict[str, list[tuple[int, float]]] = {"bomb uploads": [], "agency PDFs": []}
        lock = threading.Lock()

        def upload(username: str, partnership: str) -> None:
            visitor = Browser(args.port)
            visitor.sign_in(username)
            got = visitor.upload(f"/partnerships/{partnership}/import/", "plan.xlsx", bomb_data)
            with lock:
                results["bomb uploads"].append(got)

        def fetch_pdf() -> None:
            status, _, elapsed = Browser(args.port).request(
                "GET", f"/agencies/{busiest}/report.pdf", timeout=args.seconds
            )
            with lock:
                results["agency PDFs"].append((status, elapsed))

        attack_started = time.perf_counter()
        attackers = [threading.Thread(target=upload, args=c) for c in coordinators]
        attackers += [threading.Thread(target=fetch_pdf) for _ in range(20)]
        for thread in attackers:
            thread.start()
        for thread in attackers:
            thread.join(timeout=max(1, args.seconds - (time.perf_counter() - attack_started)))
        attack_ended = time.perf_counter()
        time.sleep(3)
        stop.set()
        sampler.join()
        attack = [s for s in during if s[0] <= attack_ended]
        after = [s for s in during if s[0] > attack_ended]

        print()
        print(describe("home page, no attack", baseline))
        print(describe("home page, during the attack", attack))
        print(describe("home page, after it", after))
        base_p99 = percentile([s[1] for s in baseline], 0.99)
        attack_p99 = percentile([s[1] for s in attack], 0.99)
        print(f"p99 during / p99 without: {attack_p99 / base_p99:.1f}x")
        print(f"the attack lasted {attack_ended - attack_started:.1f} s")
        for name, got in results.items():
            statuses: dict[int, int] = {}
            for status, _ in got:
                statuses[status] = statuses.get(status, 0) + 1
            times = [t for _, t in got]
            print(
                f"{name:14} {len(got)} answered: "
                + ", ".join(
                    f"{count} x HTTP {status}" for status, count in sorted(statuses.items())
                )
                + (
                    f"; slowest {max(times):.2f} s, median {statistics.median(times):.2f} s"
                    if times
                    else ""
                )
            )
    finally:
        for process in (server, worker):
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # the worker finishing a render: no need
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
