from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_reports_issued_before_versions_keep_their_bytes_and_drafts_get_the_new_sections():
    """Migration 0015 (issue 11) adds report versions and copies: a report issued before it
    keeps its exact bytes and checksum, and its sections; a draft is offered the new ones."""
    import hashlib

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    before = [("csp", "0014_cycle_discussion")]
    after = [("csp", "0015_report_versions")]
    executor = MigrationExecutor(connection)
    leaf = executor.loader.graph.leaf_nodes("csp")
    try:
        executor.migrate(before)
        # Migrating back dropped the cache's change-stamp table (0016): its writer looks again.
        connection._csp_stamp_ready = False
        apps = executor.loader.project_state(before).apps
        Partnership = apps.get_model("csp", "Partnership")
        Plan = apps.get_model("csp", "Plan")
        ScrutinyReport = apps.get_model("csp", "ScrutinyReport")
        partnership = Partnership.objects.create(name="Old CSP", slug="old")
        plan = Plan.objects.create(
            partnership=partnership,
            title="Old Plan",
            slug="old-plan",
            first_year=2016,
            last_year=2016,
        )
        data = b"%PDF-1.7\nissued before report versions\n%%EOF\n"
        old_sections = ["partnership", "action_plan", "risks"]
        issued = ScrutinyReport.objects.create(
            partnership=partnership,
            plan=plan,
            committee="Overview and Scrutiny Committee",
            state="issued",
            pdf=data,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            issued_at=timezone.now(),
            sections=old_sections,
        )
        unissued = ScrutinyReport.objects.create(
            partnership=partnership, plan=plan, sections=old_sections
        )

        executor = MigrationExecutor(connection)
        executor.migrate(after)
        apps = executor.loader.project_state(after).apps
        ScrutinyReport = apps.get_model("csp", "ScrutinyReport")
        issued = ScrutinyReport.objects.get(pk=issued.pk)
        assert bytes(issued.pdf) == data
        assert issued.sha256 == hashlib.sha256(data).hexdigest() and issued.size == len(data)
        assert issued.committee == "Overview and Scrutiny Committee"
        assert issued.sections == old_sections
        assert (issued.version, issued.restricted_left_out) == (1, None)
        unissued = ScrutinyReport.objects.get(pk=unissued.pk)
        assert unissued.sections == [
            "partnership",
            "introduction",
            "area_profile",
            "highlights",
            "trend",
            "measures",
            "action_plan",
            "risks",
            "consultation",
        ]
    finally:
        MigrationExecutor(connection).migrate(leaf)
