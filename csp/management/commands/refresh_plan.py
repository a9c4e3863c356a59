"""``python manage.py refresh_plan --plan <slug> [--slug …] [--title …]``: next year's plan.

Copies a plan to a new draft version for the years after it (``Plan.refresh_to_next_year``):
priorities, objectives and the actions not finished, with no periods or updates. The old plan
and its history are left as they are.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from csp.models import Plan
from csp.models.plans import describe_refresh


class Command(BaseCommand):
    help = "Copy a plan to a new draft version for the next financial year."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", required=True, help="The slug of the plan to copy.")
        parser.add_argument(
            "--slug", help="The new plan's slug (default: the old one with its years moved on)."
        )
        parser.add_argument(
            "--title", help="The new plan's title (default: the old one with its years moved on)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plan = Plan.objects.filter(slug=options["plan"]).first()
        if plan is None:
            known = ", ".join(Plan.objects.order_by("slug").values_list("slug", flat=True)[:20])
            raise CommandError(f"No plan {options['plan']!r}. Plans: {known or 'none yet'}.")
        try:
            new = plan.refresh_to_next_year(slug=options["slug"], title=options["title"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(describe_refresh(plan, new))
