"""Trigram indexes for the action list's text search, on PostgreSQL only.

Django's ``icontains`` on PostgreSQL is ``UPPER(column) LIKE UPPER('%text%')``; a GIN index of
``UPPER(column)`` with ``gin_trgm_ops`` answers it without reading every update's text. SQLite
has no such index, and this migration does nothing there. ``pg_trgm`` is a trusted extension
(PostgreSQL 13+), so the database's owner may create it.
"""

from django.db import migrations

INDEXES = [
    ("csp_quarterlyupdate", "progress", "update_progress_trgm"),
    ("csp_action", "description", "action_description_trgm"),
    ("csp_action", "outcomes", "action_outcomes_trgm"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column, name in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, _, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("csp", "0001_initial")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
