"""The run book's backup and restore (README.md, "Backups"), round-tripped on PostgreSQL: a
``pg_dump`` of a database holding the cast, restored by ``pg_restore`` into a new database,
holds the same rows in every table and the same sequences (so the next row saved after a
restore does not collide with a restored one). Skipped on SQLite.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from csp.models import QuarterlyUpdate

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump is PostgreSQL's"),
]


def server_env() -> dict[str, str]:
    """The test database's server, for the PostgreSQL tools (as DATABASE_URL gives it)."""
    db = connection.settings_dict
    return os.environ | {
        "PGHOST": db["HOST"] or "localhost",
        "PGPORT": str(db["PORT"] or 5432),
        "PGUSER": db["USER"],
        "PGPASSWORD": db["PASSWORD"],
    }


def contents(database: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of its rows; each sequence's last value."""
    env = server_env()
    with psycopg.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env["PGPASSWORD"],
        dbname=database,
    ) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        found = {}
        for table in tables:
            found[table] = db.execute(
                f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                f'FROM "{table}" t'
            ).fetchone()
        for name, value in db.execute(
            "SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences "
            "WHERE schemaname = 'public'"
        ):
            found[f"sequence {name}"] = (value, "")
        return found


def run(*command: str) -> None:
    result = subprocess.run(command, env=server_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_backup_restores_into_another_database_with_the_same_rows(cast, tmp_path: Path):
    assert QuarterlyUpdate.objects.exists()  # something to lose
    source = connection.settings_dict["NAME"]
    restored = f"{source}_restored"
    dump = tmp_path / "csp.dump"
    # The README's commands, with the test database's name.
    run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source)
    run("dropdb", "--if-exists", restored)
    run("createdb", restored)
    try:
        run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump))
        before, after = contents(source), contents(restored)
        assert before["csp_quarterlyupdate"][0] > 0
        assert after == before
    finally:
        run("dropdb", "--if-exists", restored)
