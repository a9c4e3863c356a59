"""What a partnership told the importer last time, so the next import starts from it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


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
