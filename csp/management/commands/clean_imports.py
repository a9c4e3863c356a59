"""``manage.py clean_imports [--hours 24]``: remove uploads abandoned before their import.

An upload waits in storage (``imports/``) between the web import's steps; one never imported
is removed once it is older than ``--hours``. Run it daily from cron (see the README). It works
through Django's storage API, so it clears the uploads wherever they are kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

FOLDER = "imports"


class Command(BaseCommand):
    help = "Remove plan uploads left unimported for longer than --hours (default 24)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=24)
        parser.add_argument("--dry-run", action="store_true", help="List them; remove nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = timezone.now() - timedelta(hours=max(options["hours"], 1))
        try:
            _, names = default_storage.listdir(FOLDER)
        except FileNotFoundError:
            names = []
        removed = 0
        for name in sorted(names):
            path = f"{FOLDER}/{name}"
            try:
                if default_storage.get_modified_time(path) >= cutoff:
                    continue
                if not options["dry_run"]:
                    default_storage.delete(path)
            except FileNotFoundError:  # removed meanwhile, by its import or another run
                continue
            removed += 1
        verb = "Would remove" if options["dry_run"] else "Removed"
        self.stdout.write(f"{verb} {removed} abandoned upload{'s' if removed != 1 else ''}.")
