"""``python manage.py send_reminders [--today YYYY-MM-DD] [--days-before 3] [--dry-run]
[--base-url https://…]``: e-mail officers who owe updates, before the deadline and once overdue.

Meant for cron, daily: what was sent is recorded, so a second run sends nothing twice. Mail goes
through Django's e-mail settings (``EMAIL_BACKEND``, ``EMAIL_HOST`` and so on).
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from csp.reminders import MY_UPDATES_PATH, Outcome, send_reminders


class Command(BaseCommand):
    help = (
        "E-mail each officer with missing, draft or returned updates a few days before the "
        "deadline and once it is overdue. Safe to run daily: nothing is sent twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="Act as if today were YYYY-MM-DD.")
        parser.add_argument(
            "--days-before",
            type=int,
            default=3,
            help="Send the first reminder this many days before the deadline (default 3).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say who would get what; send nothing."
        )
        parser.add_argument(
            "--base-url",
            default=os.environ.get("CSP_BASE_URL", ""),
            help="The site's address for the link to My updates, such as "
            "https://csp.example.org (default: the CSP_BASE_URL environment variable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(
                    f"--today: expected a date as YYYY-MM-DD, got {options['today']!r}"
                ) from None
        days_before = options["days_before"]
        if days_before < 0:
            raise CommandError(f"--days-before: expected 0 or more, got {days_before}")
        base_url = options["base_url"].strip()
        if base_url and not base_url.startswith(("http://", "https://")):
            raise CommandError(
                f"--base-url (or CSP_BASE_URL): expected an address starting http:// or "
                f"https://, got {base_url!r}"
            )
        if not base_url:
            self.stdout.write(
                f"No --base-url or CSP_BASE_URL: the e-mails give the path {MY_UPDATES_PATH} "
                "without the site's address."
            )

        results = send_reminders(
            today, days_before=days_before, dry_run=options["dry_run"], base_url=base_url
        )
        counts = {outcome: 0 for outcome in Outcome}
        for result in results:
            counts[result.outcome] += 1
            if result.outcome in (Outcome.SENT, Outcome.WOULD_SEND):
                self.stdout.write(str(result))
            elif result.outcome == Outcome.ALREADY_SENT:
                if options["verbosity"] > 1:
                    self.stdout.write(str(result))
            else:
                self.stderr.write(str(result))

        if options["dry_run"]:
            parts = [f"Dry run: would send {_reminders(counts[Outcome.WOULD_SEND])}"]
        else:
            parts = [f"Sent {_reminders(counts[Outcome.SENT])}"]
        if counts[Outcome.ALREADY_SENT]:
            parts.append(f"{counts[Outcome.ALREADY_SENT]} already sent")
        if counts[Outcome.NO_EMAIL]:
            parts.append(f"{counts[Outcome.NO_EMAIL]} without an e-mail address")
        if counts[Outcome.FAILED]:
            parts.append(f"{counts[Outcome.FAILED]} failed")
        self.stdout.write("; ".join(parts) + ".")
        if counts[Outcome.FAILED]:
            raise CommandError(f"{_reminders(counts[Outcome.FAILED])} could not be sent.")


def _reminders(count: int) -> str:
    return f"{count} reminder" if count == 1 else f"{count} reminders"
