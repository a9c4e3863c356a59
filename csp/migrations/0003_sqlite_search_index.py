"""A full-text index of update texts for the action list's search, on SQLite only.

An FTS5 table with the trigram tokenizer (SQLite 3.34+) answers ``LIKE '%text%'`` from its index;
triggers keep it in step with every insert, update and delete, whatever makes them (the ORM,
bulk writes, the admin). PostgreSQL gets trigram indexes instead (migration 0002).
``QuarterlyUpdateQuerySet.with_progress_containing`` is the one place that uses it.

Django rebuilds a SQLite table to alter it, which drops its triggers: a test
(``tests/test_search_index.py``) fails if a later migration loses them.
"""

from django.db import migrations

STATEMENTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS csp_quarterlyupdate_fts USING fts5("
    "progress, content='csp_quarterlyupdate', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS csp_quarterlyupdate_fts_insert AFTER INSERT ON csp_quarterlyupdate "
    "BEGIN INSERT INTO csp_quarterlyupdate_fts(rowid, progress) VALUES (new.id, new.progress); END",
    "CREATE TRIGGER IF NOT EXISTS csp_quarterlyupdate_fts_delete AFTER DELETE ON csp_quarterlyupdate "
    "BEGIN INSERT INTO csp_quarterlyupdate_fts(csp_quarterlyupdate_fts, rowid, progress) "
    "VALUES ('delete', old.id, old.progress); END",
    "CREATE TRIGGER IF NOT EXISTS csp_quarterlyupdate_fts_update AFTER UPDATE OF progress "
    "ON csp_quarterlyupdate BEGIN "
    "INSERT INTO csp_quarterlyupdate_fts(csp_quarterlyupdate_fts, rowid, progress) "
    "VALUES ('delete', old.id, old.progress); "
    "INSERT INTO csp_quarterlyupdate_fts(rowid, progress) VALUES (new.id, new.progress); END",
    "INSERT INTO csp_quarterlyupdate_fts(csp_quarterlyupdate_fts) VALUES ('rebuild')",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in STATEMENTS:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in ("insert", "delete", "update"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS csp_quarterlyupdate_fts_{name}")
    schema_editor.execute("DROP TABLE IF EXISTS csp_quarterlyupdate_fts")


class Migration(migrations.Migration):
    dependencies = [("csp", "0002_search_indexes")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
