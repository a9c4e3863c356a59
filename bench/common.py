"""Shared by the benchmarks: Django set up with production settings, and a signed-in client."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csp.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.test import Client  # noqa: E402

from csp.models import Partnership, PartnershipRole, Role  # noqa: E402

BENCH_USER = "benchmark-coordinator"


def bench_client() -> Client:
    """A client signed in as a user with a role in every partnership: all actions visible."""
    user, _ = User.objects.get_or_create(username=BENCH_USER)
    for partnership in Partnership.objects.all():
        PartnershipRole.objects.get_or_create(
            user=user, partnership=partnership, defaults={"role": Role.COORDINATOR}
        )
    client = Client()
    client.force_login(user)
    return client


def serve_baseline() -> None:
    """Serve ``bench/baseline.py``'s plain django-tables2 + django-filter list beside the site,
    at ``/baseline/actions/``. Call before the first request."""
    from django.conf import settings

    settings.ROOT_URLCONF = "baseline"
    settings.TEMPLATES[0]["DIRS"] = [*settings.TEMPLATES[0]["DIRS"], ROOT / "bench" / "templates"]


def stats(timings: list[float]) -> tuple[float, float, float]:
    """(min, median, 95th percentile) of ``timings``."""
    import statistics

    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return ordered[0], statistics.median(ordered), p95
