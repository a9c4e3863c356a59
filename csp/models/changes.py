"""A token that changes whenever data the pages keep in the cache changes (``csp.caching``)."""

from __future__ import annotations

from django.db import models


class ChangeStamp(models.Model):
    """One row. Its token is replaced after every committed write to the tables the cached
    pages read, so a cache entry made under an older token is never used again."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token
