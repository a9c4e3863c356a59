"""Imports: what a partnership told the importer last time, and long imports in the background."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models

from csp.models.jobs import BackgroundJob


class ImportSettings(models.Model):
    """A partnership's last confirmed mapping: per heading, what the column meant; per lead
    name, what it became. The next sheet with the same headings starts from them."""

    partnership = models.OneToOneField(
        "Partnership", on_delete=models.CASCADE, related_name="import_settings"
    )
    columns = models.JSONField(default=dict, blank=True)
    leads = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "import settings"

    def __str__(self) -> str:
        return f"Import settings of {self.partnership}"

    @classmethod
    def remember(
        cls,
        partnership: Any,
        columns: dict[str, Any],
        leads: dict[str, Any],
        user: Any = None,
    ) -> None:
        """Add this import's choices to what the partnership chose before (newest wins)."""
        found, _ = cls.objects.get_or_create(partnership=partnership)
        found.columns = {**found.columns, **columns}
        found.leads = {**found.leads, **leads}
        found.updated_by = user if getattr(user, "is_authenticated", False) else None
        found.save()


class ImportJob(BackgroundJob):
    """A long spreadsheet's import, written by the background worker.

    The check page works the import out while the coordinator waits (bounded by the reader's
    limits), but writing thousands of actions and updates takes longer than a web request may
    last, so above ``IMPORT_INLINE_MAX_ROWS`` rows the Import button queues this job instead,
    with everything the check page was showing: the upload, the mapping and lead choices, the
    coordinator's confirmation and the versions of the updates it replaces. The worker works it
    out again from the database as it is then, and writes it or refuses (nothing half-written).
    """

    partnership = models.ForeignKey(
        "Partnership", on_delete=models.CASCADE, related_name="import_jobs"
    )
    token = models.CharField(max_length=40, help_text="The upload's token in its session.")
    options = models.JSONField(help_text="The check page's choices, as its session kept them.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    plan = models.ForeignKey(
        "Plan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    counts = models.JSONField(default=dict, blank=True)

    doing = "importing the spreadsheet"
    STEPS = ("Reading the spreadsheet", "Checking it again", "Writing the plan")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Import pressed twice: the second joins the first.
            models.UniqueConstraint(
                fields=["partnership", "token"],
                condition=models.Q(state__in=["queued", "running"]),
                name="one_import_job_per_upload_under_way",
            ),
        ]

    def __str__(self) -> str:
        return f"Import of {self.options.get('name', 'a spreadsheet')} into {self.partnership}"

    def time_limit(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=30)

    @property
    def steps(self) -> list[tuple[str, str]]:
        return self.steps_of(self.STEPS)
