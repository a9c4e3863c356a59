"""``python manage.py send_digests [--base-url https://…]``: e-mail each coordinator the updates
submitted for their review that no digest has told them of yet.

Submitting sends a digest at once, unless the coordinator had one within the last
``COORDINATOR_DIGEST_MINUTES``; this command, run every quarter of an hour or so from cron,
sends what waited. It never sends a coordinator more than one digest in that time.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from csp.notifications import send_digests


class Command(BaseCommand):
    help = "E-mail coordinators a digest of the updates submitted since their last one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default=os.environ.get("CSP_BASE_URL", ""),
            help="The site's address for the links, such as https://csp.example.org "
            "(default: the CSP_BASE_URL environment variable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = options["base_url"].strip()
        if base_url and not base_url.startswith(("http://", "https://")):
            raise CommandError(
                f"--base-url (or CSP_BASE_URL): expected an address starting http:// or "
                f"https://, got {base_url!r}"
            )
        told = send_digests(base_url=base_url)
        for user in told:
            self.stdout.write(f"Sent a digest to {user.get_username()} <{user.email}>")
        self.stdout.write(f"Sent {len(told)} digest{'s' if len(told) != 1 else ''}.")
