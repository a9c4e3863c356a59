"""The multi-node layout on one machine, under load, while an app server and a worker are killed.

Starts, on loopback and in a temporary folder: a PostgreSQL database of its own (on the local
PostgreSQL 15 cluster, through ``scripts/postgres-test-server``), a Redis server (the cache,
the sessions' cached copies and the RQ queue), two gunicorn app servers, nginx in front of them
with the project's own ``deploy/nginx.conf`` (only its lines marked ``bench:`` changed) and two
RQ workers (``manage.py rq_worker``). The app runs with production settings (``DEBUG`` off,
static files collected, ``SESSION_STORE=cached_db``, ``TASKS_BACKEND=django_tasks_rq.RQBackend``).

Then signed-in visitors load pages through nginx (home, the action list filtered and not, action
pages, a dashboard, the agency pages, My updates) while agency progress reports are asked for,
each made by a worker in the background (``REPORT_INLINE_MAX_ACTIONS=0``). Meanwhile one app
server and then one worker busy with a report are killed with SIGKILL and started again.

It fails (exit status 1) unless, with Redis also killed and started again empty on the way:
- no request failed, except any in flight on the killed app server at the moment it died (nginx
  sends those GETs to the other one, so normally none at all);
- every report asked for finished: done, or, for the one the killed worker was making, failed
  with the message to try again, and then done when asked again, as its visitor would;
- nothing is half-written: in the database no job is left waiting or in progress, every done
  report holds a whole PDF of the size recorded, and nothing waits in the RQ queue.

Every process it started is stopped on the way out, on failure and on Ctrl-C too, and the
database is dropped.

    .venv/bin/python bench/multinode.py --short     # CI: about a minute in all
    .venv/bin/python bench/multinode.py             # 5 minutes of load
    .venv/bin/python bench/multinode.py --seconds 60 --clients 8 --keep   # keep the temp folder

Run as root on a machine with ``scripts/install-system-packages``' packages (nginx,
redis-server, PostgreSQL 15).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv/bin/python")
GUNICORN = str(ROOT / ".venv/bin/gunicorn")
CASTLE = "castle-point-rochford"  # the demo partnership the visitors belong to
DEMO_PASSWORD = "demo-only-password"  # csp/management/commands/load_demo.py
# Demo sign-ins, one visitor each (load_demo creates them).
VISITORS = ["coordinator", "rochford-officer", "police-officer", "clerk", "viewer"]
# Migrating and loading the demo take a minute on a busy machine, collecting the static files
# twenty seconds: both are kept between runs, for as long as what they are made from.
CACHE = Path(tempfile.gettempdir()) / "csp-multinode-cache"


def digest(*folders: str) -> str:
    """A hash of every file under ``folders``: names and contents."""
    hashed = hashlib.sha256()
    for folder in folders:
        for path in sorted((ROOT / folder).resolve().rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                hashed.update(path.name.encode() + b"\0" + path.read_bytes())
    return hashed.hexdigest()[:12]


def django_version() -> str:
    return subprocess.run(
        [PYTHON, "-c", "import django; print(django.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, seconds: float, what: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited (status {process.returncode}) before it listened")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not listen on port {port} within {seconds:.0f} s")


class Processes:
    """Every process this script starts, each in its own process group, so killing one (SIGKILL,
    as a machine dying would) takes its children too, and ``stop_all`` leaves nothing behind."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.lock = threading.Lock()

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        output = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        output.close()
        with self.lock:
            self.running[name] = process
        return process

    def kill(self, name: str) -> None:
        with self.lock:
            process = self.running.pop(name)
        with_group(process, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        with self.lock:
            processes = list(self.running.items())
            self.running.clear()
        for _, process in processes:
            with_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name, process in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop on SIGTERM: killed")
            with_group(process, signal.SIGKILL)
            process.wait()


def with_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def nginx_config(template: str, folder: Path, port: int, app_ports: list[int]) -> str:
    """``deploy/nginx.conf`` for loopback: each line marked ``bench:`` changed, nothing else."""
    out = []
    apps = iter(app_ports)
    for line in template.splitlines():
        mark = re.search(r"#\s*bench:\s*(.*)$", line)
        if not mark:
            out.append(line)
            continue
        what, body = mark.group(1), line[: mark.start()].rstrip()
        if what.startswith("dropped"):
            continue
        if what.startswith("its prefix"):
            body = re.sub(r"/var/log/nginx/", f"{folder}/", body)
        elif what.startswith("app server"):
            body = re.sub(r"server \S+:\d+", f"server 127.0.0.1:{next(apps)}", body)
        elif what.startswith("its port"):
            body = re.sub(r"listen .*;", f"listen 127.0.0.1:{port};", body)
        else:
            raise SystemExit(f"deploy/nginx.conf: unknown bench mark {what!r}")
        out.append(body)
    if next(apps, None) is not None:
        raise SystemExit("deploy/nginx.conf: fewer app servers than the bench starts")
    text = "\n".join(out) + "\n"
    # Its temporary files in the prefix too (Debian's are root's /var/lib/nginx).
    temp = "".join(
        f"    {kind}_temp_path {folder}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return text.replace("http {\n", "http {\n" + temp, 1)


# -- the visitors -------------------------------------------------------------------------------


class Browser:
    """One visitor: a keep-alive connection to nginx and its cookies (sent whatever their
    Secure flag says: the bench speaks plain HTTP on loopback)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Host": "127.0.0.1", "Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # nginx closed an idle keep-alive connection: a new one, once (nothing was
                # answered, so nothing is counted twice).
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content

    def sign_in(self, username: str) -> None:
        status, _, page = self.request("GET", "/accounts/sign-in/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"The sign-in page answered {status}")
        form = {"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": ""}
        form["csrfmiddlewaretoken"] = token.group(1).decode()
        status, _, _ = self.request("POST", "/accounts/sign-in/", form)
        if status != 302:
            raise SystemExit(f"Signing in as {username} answered {status}, not a redirect")


@dataclass
class Record:
    started: float
    ended: float
    path: str
    status: int  # 0: no answer at all
    error: str = ""


@dataclass
class Load:
    port: int
    pages: list[str]
    stop: threading.Event = field(default_factory=threading.Event)
    records: list[Record] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def visitor(self, browser: Browser, seed: int) -> None:
        choose = random.Random(seed)
        while not self.stop.is_set():
            path = choose.choice(self.pages)
            started = time.monotonic()
            try:
                status, _, content = browser.request("GET", path)
                error = "" if status == 200 else content[:200].decode(errors="replace")
            except (OSError, http.client.HTTPException) as problem:
                status, error = 0, f"{type(problem).__name__}: {problem}"
                browser.connection = None
            with self.lock:
                self.records.append(Record(started, time.monotonic(), path, status, error))


def given_up_rightly(pk: int, error: str, killed: int | None) -> bool:
    """A render may fail only as the layout's faults make it: the one its killed worker was
    making, or one whose task Redis lost as it died; each saying to try again."""
    said = "Try again" in error
    queue_faults = ("its task was lost from the queue", "its task ended before the job began")
    return said and (pk == killed or any(fault in error for fault in queue_faults))


# -- the bench ----------------------------------------------------------------------------------


class Bench:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.folder = Path(tempfile.mkdtemp(prefix="csp-multinode-"))
        self.processes = Processes(self.folder)
        self.database_url = ""
        self.database = f"csp_multinode_{os.getpid()}"
        self.admin_url = ""
        self.redis_port = free_port()
        self.nginx_port = free_port()
        self.app_ports = [free_port(), free_port()]
        self.workers_started = 0
        self.env: dict[str, str] = {}

    # setting up

    def database_server(self) -> None:
        url = subprocess.run(
            [str(ROOT / "scripts/postgres-test-server")], check=True, capture_output=True, text=True
        ).stdout.strip()
        self.admin_url = url
        self.database_url = self.url_of(self.database)

    def url_of(self, database: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + database

    def admin(self, *statements: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            rows: list[tuple[Any, ...]] = []
            for statement in statements:
                cursor = connection.execute(statement)
                rows = cursor.fetchall() if cursor.description else []
            return rows

    def database_with_demo(self) -> None:
        """This run's database, a copy of the migrated demo's (made once per version of the
        code and fixtures it is made from: ``CREATE DATABASE … TEMPLATE`` takes a second)."""
        # Made again when what shapes the demo's rows changes (not for a change to a page).
        template = "csp_multinode_template_" + digest(
            "csp/migrations", "csp/models", "csp/demo", "fixtures"
        )
        found = self.admin(f"SELECT 1 FROM pg_database WHERE datname = '{template}'")
        if not found:
            building = f"{template}_{os.getpid()}"
            log(f"Making {template}: migrating and loading the demo (once per version)")
            self.admin(f'DROP DATABASE IF EXISTS "{building}"', f'CREATE DATABASE "{building}"')
            env = self.env
            self.env = {**env, "DATABASE_URL": self.url_of(building)}
            try:
                self.manage("migrate", "--no-input")
                # DEBUG for the loader alone: it creates the demo sign-ins only then.
                self.manage("load_demo", debug=True)
            except BaseException:
                self.admin(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
                raise
            finally:
                self.env = env
            stale = self.admin(
                "SELECT datname FROM pg_database "
                "WHERE datname LIKE 'csp\\_multinode\\_template\\_%' "
                f"AND datname <> '{building}'"
            )
            for (name,) in stale:
                self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.admin(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        self.admin(
            f'DROP DATABASE IF EXISTS "{self.database}"',
            f'CREATE DATABASE "{self.database}" TEMPLATE "{template}"',
        )

    def static_files(self) -> None:
        """The collected static files, made once per version of the sources."""
        # What collectstatic reads: our static folder (the built styles in it) and Django's.
        folder = CACHE / f"static-{digest('static')}-{django_version()}"
        if not (folder / "staticfiles.json").exists():
            log("Collecting the static files (once per version)")
            shutil.rmtree(folder, ignore_errors=True)
            self.env["STATIC_ROOT"] = str(folder)
            self.manage("collectstatic", "--no-input", "--verbosity", "0")
        self.env["STATIC_ROOT"] = str(folder)

    def settings_env(self) -> None:
        redis = f"redis://127.0.0.1:{self.redis_port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DEBUG"))},
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "CACHE_URL": f"{redis}/0",
            "SESSION_STORE": "cached_db",
            "TASKS_BACKEND": "django_tasks_rq.RQBackend",
            "REDIS_URL": f"{redis}/1",
            "MEDIA_ROOT": str(self.folder / "media"),
            "AXES_PROXY_COUNT": "1",
            # Every agency report in the background, and asked for as often as the load likes.
            "REPORT_INLINE_MAX_ACTIONS": "0",
            "AGENCY_REPORT_RATE_LIMIT": "100000/60",
            "SIGN_IN_RATE_LIMIT": "100000/60",
            # A dead worker's job is noticed in seconds, not the production minute.
            "JOB_HEARTBEAT_SECONDS": "1",
            "JOB_STALE_SECONDS": "5",
            "LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def manage(self, *args: str, debug: bool = False) -> None:
        env = {**self.env, "DEBUG": "true"} if debug else self.env
        started = time.monotonic()
        result = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        log(f"manage.py {args[0]}: {time.monotonic() - started:.1f} s")

    def set_up(self) -> None:
        log(f"Folder {self.folder}; database {self.database}")
        self.database_server()
        self.settings_env()
        self.start_redis()
        self.database_with_demo()
        self.static_files()
        log("Database and static files ready")
        for number in (1, 2):
            self.start_app(number)
        for number in (1, 2):
            self.start_worker(number)
        config = self.folder / "nginx.conf"
        template = (ROOT / "deploy/nginx.conf").read_text()
        config.write_text(nginx_config(template, self.folder, self.nginx_port, self.app_ports))
        nginx = self.processes.start(
            "nginx",
            [
                "nginx",
                "-p",
                str(self.folder),
                "-c",
                str(config),
                "-g",
                f"daemon off; pid {self.folder}/nginx.pid; error_log {self.folder}/nginx-main.log;",
            ],
            self.env,
        )
        wait_for_port(self.nginx_port, 10, "nginx", nginx)
        for number in (1, 2):
            wait_for_port(self.app_ports[number - 1], 60, f"app{number}", self.app(number))
        log("Redis, two app servers, nginx and two workers started")

    def start_redis(self) -> None:
        # No persistence: what a restart loses is what the layout must survive.
        redis = self.processes.start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            self.env,
        )
        wait_for_port(self.redis_port, 10, "redis-server", redis)

    def app(self, number: int) -> subprocess.Popen[bytes]:
        return self.processes.running[f"app{number}"]

    def start_app(self, number: int) -> subprocess.Popen[bytes]:
        return self.processes.start(
            f"app{number}",
            [
                GUNICORN,
                "csp.wsgi",
                "--bind",
                f"127.0.0.1:{self.app_ports[number - 1]}",
                "--workers",
                "2",
                "--threads",
                "2",
                "--timeout",
                "30",
                # The app loaded before the workers fork: they answer at once, and the port
                # opens only when it is loaded.
                "--preload",
            ],
            self.env,
        )

    def start_worker(self, number: int) -> None:
        self.workers_started += 1
        # A new name each start: RQ refuses a second live worker of one name, and the killed
        # one's name stays registered until it expires.
        self.processes.start(
            f"worker{number}",
            [
                PYTHON,
                "manage.py",
                "rq_worker",
                "--name",
                f"csp-{os.getpid()}-{number}-{self.workers_started}",
            ],
            self.env,
        )

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()

    def pages(self) -> list[str]:
        """Pages of Castle Point and Rochford, where every visitor holds a role."""
        castle = "JOIN csp_partnership p ON p.id = plan.partnership_id AND p.slug = %s"
        plans = [
            slug
            for (slug,) in self.query(
                f"SELECT plan.slug FROM csp_plan plan {castle} ORDER BY plan.id", CASTLE
            )
        ]
        actions = [
            pk
            for (pk,) in self.query(
                "SELECT a.id FROM csp_action a "
                "JOIN csp_strategicobjective o ON o.id = a.objective_id "
                "JOIN csp_priority pr ON pr.id = o.priority_id "
                f"JOIN csp_plan plan ON plan.id = pr.plan_id {castle} ORDER BY a.id LIMIT 40",
                CASTLE,
            )
        ]
        agencies = [
            slug
            for (slug,) in self.query(
                "SELECT o.slug FROM csp_organisation o JOIN csp_membership m "
                "ON m.organisation_id = o.id JOIN csp_partnership p ON p.id = m.partnership_id "
                "AND p.slug = %s ORDER BY o.id LIMIT 10",
                CASTLE,
            )
        ]
        pages = ["/", "/actions/", "/actions/?status=at_risk", "/agencies/", "/updates/"]
        pages += [f"/actions/?plan={slug}" for slug in plans]
        pages += [f"/plans/{slug}/" for slug in plans]
        pages += [f"/actions/{pk}/" for pk in actions]
        pages += [f"/agencies/{slug}/" for slug in agencies]
        return pages

    # the reports

    def agencies_leading(self) -> list[str]:
        return [
            slug
            for (slug,) in self.query(
                "SELECT DISTINCT o.slug FROM csp_organisation o "
                "JOIN csp_actionlead l ON l.organisation_id = o.id ORDER BY o.slug"
            )
        ]

    def ask_for_report(self, browser: Browser, slug: str) -> int | None:
        """The render started (or joined) by asking for ``slug``'s report; None if the visitor
        may not see that agency."""
        status, headers, _ = browser.request("GET", f"/agencies/{slug}/report.pdf")
        if status == 404:
            return None
        found = re.search(r"/report/(\d+)/$", headers.get("location", ""))
        if status != 302 or found is None:
            raise SystemExit(f"Asking for {slug}'s report answered {status}, not its progress page")
        return int(found.group(1))

    def renders(self) -> dict[int, tuple[str, str, str, int | None, int | None]]:
        return {
            pk: (state, error, worker, size, length)
            for pk, state, error, worker, size, length in self.query(
                "SELECT id, state, error, worker, size, octet_length(pdf) "
                "FROM csp_agencyreportrender"
            )
        }

    def worker_pids(self) -> dict[int, str]:
        """The process id of each RQ worker's own process (rq_worker runs jobs in it)."""
        return {
            process.pid: name
            for name, process in list(self.processes.running.items())
            if name.startswith("worker")
        }

    # the run

    def run(self) -> bool:
        options = self.options
        self.set_up()
        if options.serve:
            log(f"Serving at http://127.0.0.1:{self.nginx_port}/ until Ctrl-C")
            threading.Event().wait()
        load = Load(self.nginx_port, self.pages())
        browsers = [Browser(self.nginx_port) for _ in range(options.clients)]
        for n, browser in enumerate(browsers):
            browser.sign_in(VISITORS[n % len(VISITORS)])
        clients = [
            threading.Thread(target=load.visitor, args=(browser, n), daemon=True)
            for n, browser in enumerate(browsers)
        ]
        log(
            f"Load: {options.clients} signed-in visitors for {options.seconds} s through nginx "
            f"(port {self.nginx_port}); app servers {self.app_ports}, Redis {self.redis_port}"
        )
        reporter = Browser(self.nginx_port)
        reporter.sign_in("coordinator")
        slugs = self.agencies_leading()
        asked: dict[int, str] = {}
        began = time.monotonic()
        for client in clients:
            client.start()

        def at(fraction: float) -> None:
            time.sleep(max(0.0, began + options.seconds * fraction - time.monotonic()))

        def ask_for_reports() -> None:
            """One report per agency, up to ``--reports``: the workers busy for a while."""
            count = 0
            for slug in slugs:
                pk = self.ask_for_report(reporter, slug)
                if pk is not None:
                    asked[pk] = slug
                    count += 1
                if count == options.reports:
                    break
            log(f"Asked for {count} agency reports")

        ask_for_reports()
        at(0.25)
        killed_at = []
        log("SIGKILL app server 1")
        killed_at.append(time.monotonic())
        self.processes.kill("app1")
        time.sleep(2)
        self.start_app(1)
        wait_for_port(self.app_ports[0], 60, "app1", self.app(1))
        log("App server 1 started again")

        at(0.45)
        ask_for_reports()  # again: those done are made anew, so one is surely being made
        killed_job = self.kill_a_busy_worker()

        at(0.7)
        # Redis away: the pages answer without the cache (sessions from the database), the
        # workers wait for it; it comes back empty, the tasks waiting in it lost (their jobs
        # given up, saying so).
        log("SIGKILL Redis")
        self.processes.kill("redis")
        time.sleep(3)
        self.start_redis()
        log("Redis started again, empty")
        ask_for_reports()
        at(1.0)
        load.stop.set()
        for client in clients:
            client.join(90)
        log("Load stopped")

        ok = self.check_load(load, killed_at)
        ok = self.finish_reports(reporter, asked, killed_job) and ok
        ok = self.check_database(killed_job) and ok
        return ok

    def kill_a_busy_worker(self) -> int | None:
        """SIGKILL a worker while it makes a report (waiting up to 20 s for one to be); start it
        again. The render it was making, or None if none ran in time."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            for pk, (state, _, worker, _, _) in self.renders().items():
                if state != "running" or not worker:
                    continue
                pid = int(worker.split(" ")[1])
                if pid in pids:
                    name = pids[pid]
                    log(f"SIGKILL {name} (pid {pid}) while it makes render {pk}")
                    self.processes.kill(name)
                    time.sleep(1)
                    self.start_worker(int(name.removeprefix("worker")))
                    log(f"{name} started again")
                    return pk
            time.sleep(0.2)
        log("No report was being made in time: no worker killed")
        return None

    def check_load(self, load: Load, killed_at: list[float]) -> bool:
        records = load.records
        failed = [r for r in records if r.status != 200]
        in_flight = [r for r in failed if any(r.started <= k <= r.ended for k in killed_at)]
        beyond = [r for r in failed if r not in in_flight]
        times = sorted(r.ended - r.started for r in records)
        seconds = max(r.ended for r in records) - min(r.started for r in records)

        def pct(p: float) -> float:
            return times[min(len(times) - 1, int(p * len(times)))] * 1000

        log(
            f"{len(records)} requests in {seconds:.0f} s ({len(records) / seconds:.1f}/s): "
            f"p50 {pct(0.5):.0f} ms, p95 {pct(0.95):.0f} ms, p99 {pct(0.99):.0f} ms; "
            f"statuses {dict(Counter(r.status for r in records))}; failed {len(failed)} "
            f"(in flight at the kill {len(in_flight)})"
        )
        errors = (self.folder / "csp-error.log").read_text(errors="replace").splitlines()
        retried = [line for line in errors if "upstream" in line and "[error]" in line]
        refused = sum("connect() failed" in line for line in retried)
        log(
            f"nginx: {len(retried)} requests met the dead app server ({len(retried) - refused} "
            f"in flight on it, {refused} refused a connection), sent on to the other"
        )
        for record in beyond[:10]:
            log(f"  FAILED {record.path}: {record.status} {record.error[:160]!r}")
        if not records:
            log("FAIL: no request was made")
            return False
        if beyond:
            log(f"FAIL: {len(beyond)} requests failed that were not in flight at the kill")
            return False
        return True

    def finish_reports(self, browser: Browser, asked: dict[int, str], killed: int | None) -> bool:
        """Wait for every report asked for; ask again for any that failed because its worker
        was killed (as its visitor, told to try again, would); check each through nginx."""
        ok = True
        deadline = time.monotonic() + self.options.report_wait
        pending = dict(asked)
        done: dict[int, str] = {}
        given_up = 0
        while pending and time.monotonic() < deadline:
            states = self.renders()
            for pk, slug in list(pending.items()):
                state, error = states[pk][:2]
                if state == "done":
                    done[pk] = slug
                    del pending[pk]
                elif state == "failed":
                    del pending[pk]
                    if not given_up_rightly(pk, error, killed):
                        log(f"FAIL: render {pk} ({slug}) failed: {error[:200]}")
                        ok = False
                        continue
                    again = self.ask_for_report(browser, slug)
                    assert again is not None
                    given_up += 1
                    log(f"Render {pk} given up ({error[:90]}…); asked again: {again}")
                    pending[again] = slug
            time.sleep(0.5)
        for pk, slug in pending.items():
            log(f"FAIL: render {pk} ({slug}) not finished: {self.renders()[pk][0]}")
            ok = False
        for pk, slug in done.items():
            status, _, content = browser.request("GET", f"/agencies/{slug}/report/{pk}/report.pdf")
            if status != 200 or not content.startswith(b"%PDF-") or b"%%EOF" not in content[-64:]:
                log(f"FAIL: render {pk}'s PDF through nginx: {status}, {len(content)} bytes")
                ok = False
        log(f"Reports: {len(done)} done; {given_up} given up by the faults, then asked for again")
        return ok

    def check_database(self, killed: int | None) -> bool:
        ok = True
        for table in ("csp_agencyreportrender", "csp_reportrender", "csp_importjob"):
            [(unfinished,)] = self.query(
                f"SELECT count(*) FROM {table} WHERE state IN ('queued', 'running')"
            )
            if unfinished:
                log(f"FAIL: {unfinished} jobs left unfinished in {table}")
                ok = False
        for pk, (state, error, _, size, length) in self.renders().items():
            if state == "done" and (length is None or length == 0 or size != length):
                log(f"FAIL: render {pk} is done with a PDF of {length} bytes, recorded {size}")
                ok = False
            if state == "failed" and not given_up_rightly(pk, error, killed):
                log(f"FAIL: render {pk} failed: {error[:200]}")
                ok = False
        [(whole,)] = self.query(
            "SELECT count(*) FROM csp_agencyreportrender "
            "WHERE state = 'done' AND substring(pdf from 1 for 5) <> '%%PDF-'::bytea"
        )
        if whole:
            log(f"FAIL: {whole} done renders whose PDF does not start as a PDF")
            ok = False
        import redis

        queued = redis.Redis(port=self.redis_port, db=1).llen("rq:queue:default")
        if queued:
            log(f"FAIL: {queued} tasks still waiting in the RQ queue")
            ok = False
        log("Database: " + ("nothing unfinished or half-written" if ok else "see above"))
        return ok

    def clean_up(self) -> None:
        self.processes.stop_all()
        if self.admin_url:
            try:
                with psycopg.connect(self.admin_url, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            except psycopg.Error as error:
                log(f"Could not drop {self.database}: {error}")
        if self.options.keep:
            log(f"Kept {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="CI's bounded form (about a minute)")
    parser.add_argument("--seconds", type=float, help="seconds of load (default 300; 20 short)")
    parser.add_argument("--clients", type=int, default=4, help="signed-in visitors at once")
    parser.add_argument("--reports", type=int, help="agency reports asked for (6; 3 short)")
    parser.add_argument("--report-wait", type=float, default=120, help="seconds to let them end")
    parser.add_argument("--serve", action="store_true", help="set up, then serve until Ctrl-C")
    parser.add_argument("--keep", action="store_true", help="keep the folder and its logs")
    options = parser.parse_args(argv)
    options.seconds = options.seconds or (15 if options.short else 300)
    options.reports = options.reports or (3 if options.short else 6)
    if options.short:
        options.report_wait = min(options.report_wait, 30)
    missing = [
        tool for tool in ("nginx", "redis-server", "pg_ctlcluster") if not shutil.which(tool)
    ]
    if missing:
        print(f"Missing: {', '.join(missing)} (scripts/install-system-packages)", file=sys.stderr)
        return 2

    bench = Bench(options)

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGINT too: a shell starting this in the background leaves Python's own handler off.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    started = time.monotonic()
    try:
        ok = bench.run()
    except KeyboardInterrupt:
        log("Interrupted: stopping everything")
        ok = False
    except BaseException:
        log(f"Failed; logs in {bench.folder}")
        bench.options.keep = True
        raise
    finally:
        bench.clean_up()
        log(f"{time.monotonic() - started:.0f} s in all")
    if not ok:
        print(json.dumps({"result": "FAIL"}))
        return 1
    print(json.dumps({"result": "PASS"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
