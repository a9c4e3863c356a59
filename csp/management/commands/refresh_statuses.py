"""``python manage.py refresh_statuses``: rebuild every action's stored status from its updates."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from csp.models import ActionStatus


class Command(BaseCommand):
    help = "Recompute every action's status per period from the quarterly updates."

    def handle(self, *args: Any, **options: Any) -> None:
        ActionStatus.refresh(None)
        self.stdout.write(f"{ActionStatus.objects.count()} action statuses rebuilt.")
