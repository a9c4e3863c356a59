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
