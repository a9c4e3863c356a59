"""What the update cycle keeps besides the updates themselves: when each coordinator was last
sent a digest of the updates that came in."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CoordinatorDigest(models.Model):
    """When a coordinator was last e-mailed a digest of submitted updates, and up to when.

    One row per coordinator. Claiming the right to send is one conditional UPDATE of
    ``last_sent_at`` (``csp.notifications.send_digests``), so two submissions at once send one
    e-mail; ``covered_until`` is the latest submission a digest has told them of.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinator_digest"
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)
    covered_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Digest for {self.user}: last sent {self.last_sent_at}"
