"""The import on the command line: the mapping shown and given as JSON, and clearing uploads."""

from __future__ import annotations

import json
import os
import time
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from csp.models import Action, ImportSettings, Organisation, Plan
from tests import factories as make

pytestmark = pytest.mark.django_db

SHEET = (
    "Workstream,Goal,What we will do,Owner,Background,Latest position\n"
    "Safer streets,Less burglary,Visit victims,Essex Police,Leaflets printed,40 visits\n"
    "Safer streets,Less burglary,Mark property,Victim Support,,Kits bought\n"
)


@pytest.fixture
def place(tmp_path):
    partnership = make.partnership(name="Copy CSP", slug="copy")
    partnership.organisations.add(make.organisation(name="Essex Police", slug="essex-police"))
    path = tmp_path / "plan.csv"
    path.write_text(SHEET)
    return partnership, path


def run(*args, **options) -> str:
    out = StringIO()
    call_command("import_plan", *args, stdout=out, **options)
    return out.getvalue()


def test_show_mapping_prints_the_guess_as_json_with_the_names_to_decide(place):
    _partnership, path = place
    shown = json.loads(run(str(path), partnership="copy", plan="p", year=2020, show_mapping=True))
    assert shown["header_row"] == 1
    assert {letter: c["field"] for letter, c in shown["columns"].items()} == {
        "A": "priority",
        "B": "objective",
        "C": "action",
        "D": "lead",
        "E": "ignore",
        "F": "update",
    }
    assert shown["columns"]["E"]["heading"] == "Background"
    assert shown["leads"]["Victim Support"]["use"] == "new"
    assert not Plan.objects.exists()


def test_an_edited_mapping_is_read_back_and_saved_for_next_time(place, tmp_path):
    partnership, path = place
    shown = json.loads(run(str(path), partnership="copy", plan="p", year=2020, show_mapping=True))
    shown["columns"]["E"] = {"field": "update", "period": "2020/21 Q3"}
    shown["columns"]["F"]["period"] = "2020/21 Q4"
    shown["leads"]["Victim Support"] = {"use": "new", "name": "Victim Support", "short_name": "VS"}
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(shown))
    out = run(
        str(path),
        partnership="copy",
        plan="p",
        year=2020,
        mapping=str(mapping),
        create_organisations=True,
    )
    assert "column E “Background”: Update, 2020/21 Q3" in out
    visit = Action.objects.get(description="Visit victims")
    assert sorted(visit.updates.values_list("period__quarter", "progress")) == [
        (3, "Leaflets printed"),
        (4, "40 visits"),
    ]
    assert Organisation.objects.get(name="Victim Support").short_name == "VS"
    saved = ImportSettings.objects.get(partnership=partnership)
    assert saved.columns["background"]["period"] == "2020/21 Q3"
    # Next time the same headings start from what was chosen.
    again = json.loads(run(str(path), partnership="copy", plan="p", show_mapping=True))
    assert again["columns"]["E"] == {
        "heading": "Background",
        "field": "update",
        "period": "2020/21 Q3",
    }
    assert "No changes" in run(str(path), partnership="copy", plan="p")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ("[]", "must be a JSON object"),
        ('{"columns": {"A": "colour"}}', "Column A: “colour” is not a field"),
        ('{"columns": {"1": "action"}}', "“1” is not a column letter"),
        ('{"columns": {"C": {"field": "action", "period": "2020/21 Q3"}}}', "only update, status"),
        ('{"columns": {"E": {"field": "update", "period": "Q9"}}}', "is not a quarter"),
        (
            '{"columns": {"E": {"field": "update", "district": "Mars"}}}',
            "not one of the partnership's districts",
        ),
        ('{"columns": {"C": "action"}, "leads": {"x": {"use": "steal"}}}', "“use” must be one of"),
        ('{"header_row": "top", "columns": {}}', "“header_row” must be the number"),
    ],
)
def test_a_bad_mapping_file_is_refused_with_a_reason(place, tmp_path, content, message):
    _partnership, path = place
    mapping = tmp_path / "mapping.json"
    mapping.write_text(content)
    with pytest.raises(CommandError, match=message):
        run(str(path), partnership="copy", plan="p", year=2020, mapping=str(mapping))
    assert not Plan.objects.exists()


def test_abandoned_uploads_are_removed_after_a_day(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    old = default_storage.save("imports/old.xlsx", ContentFile(b"x"))
    new = default_storage.save("imports/new.xlsx", ContentFile(b"y"))
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(default_storage.path(old), (two_days_ago, two_days_ago))
    out = StringIO()
    call_command("clean_imports", dry_run=True, stdout=out)
    assert "Would remove 1 abandoned upload." in out.getvalue()
    assert default_storage.exists(old)
    call_command("clean_imports", stdout=out)
    assert not default_storage.exists(old)
    assert default_storage.exists(new)


def test_clearing_uploads_before_any_was_made_is_fine(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "empty")
    out = StringIO()
    call_command("clean_imports", stdout=out)
    assert "Removed 0 abandoned uploads." in out.getvalue()
