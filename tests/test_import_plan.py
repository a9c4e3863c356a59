"""Importing a plan spreadsheet: the preview, the one transaction, the round trip, bad input."""

import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csp.importers.columns import COLUMNS
from csp.importers.export import write_xlsx
from csp.importers.plan_import import ImportConflict, PlanImport
from csp.importers.reader import MAX_BYTES, SpreadsheetError, read_rows
from csp.models import (
    Action,
    ActionLead,
    District,
    Organisation,
    Partnership,
    Plan,
    Priority,
    QuarterlyUpdate,
    StrategicObjective,
)
from tests import factories as make

pytestmark = pytest.mark.django_db

HEADINGS = [column.heading for column in COLUMNS]


def sheet(*rows: list[str], headings: list[str] | None = None) -> list[list[str]]:
    return [
        headings
        or ["Priority", "Strategic objective", "Action", "Lead", "Period", "Status", "Update"],
        *rows,
    ]


@pytest.fixture
def place():
    partnership = make.partnership(name="Copy CSP", slug="copy")
    District.objects.create(partnership=partnership, name="Rochford", slug="rochford")
    District.objects.create(partnership=partnership, name="Castle Point", slug="castle-point")
    police = make.organisation(name="Essex Police", slug="essex-police")
    make.officer(police, name="Emma Clark", initials="EC")
    council = make.organisation(
        name="Rochford District Council", slug="rochford-district-council", short_name="RDC"
    )
    partnership.organisations.add(police, council)
    return partnership


def snapshot(plan: Plan) -> dict:
    """Every field of a plan that a spreadsheet carries, keyed by reference."""
    actions = {}
    for action in Action.objects.in_plan(plan).select_related(
        "objective__priority", "objective__theme"
    ):
        objective = action.objective
        updates = sorted(
            (u.period.label, u.district.name if u.district else "", u.status, u.progress, u.risks)
            for u in QuarterlyUpdate.objects.filter(action=action).select_related(
                "period", "district"
            )
        )
        leads = [
            (
                lead.organisation.slug if lead.organisation else None,
                lead.officer.name if lead.officer else None,
                lead.all_partners,
            )
            for lead in ActionLead.objects.filter(action=action)
            .select_related("organisation", "officer")
            .order_by("number")
        ]
        actions[action.reference] = {
            "priority": objective.priority.title,
            "objective": objective.title,
            "theme": objective.theme.title if objective.theme else "",
            "description": action.description,
            "outcomes": action.outcomes,
            "lead_as_written": action.lead_as_written,
            "timescale": action.timescale,
            "due": (action.due_year, action.due_quarter),
            "leads": leads,
            "updates": updates,
        }
    return actions


def test_an_exported_plan_imports_into_an_empty_partnership_unchanged():
    call_command("load_demo", stdout=StringIO())
    original = Plan.objects.get(slug="castle-point-rochford-2016-17")
    buffer = io.BytesIO()
    write_xlsx(original, buffer)
    copy = Partnership.objects.create(name="Copy", slug="copy")
    for district in original.partnership.districts.all():
        District.objects.create(partnership=copy, name=district.name, slug=district.slug)

    rows = read_rows("plan.xlsx", buffer.getvalue())
    # Into an empty partnership every lead is an organisation elsewhere on the site: matched
    # only when the coordinator says so, as --link-site-organisations does.
    assert not PlanImport(copy, rows, plan_slug="copy-2016-17", first_year=2016).ok
    plan_import = PlanImport(
        copy,
        rows,
        plan_slug="copy-2016-17",
        plan_title="Copy",
        first_year=2016,
        use_site_organisations=True,
    )
    assert plan_import.ok, [str(p) for p in plan_import.problems]
    assert plan_import.new_organisations == []
    imported = plan_import.commit()

    assert snapshot(imported) == snapshot(original)
    assert imported.priorities.count() == 3
    assert Action.objects.in_plan(imported).count() == 51


def test_blank_priority_and_objective_cells_mean_the_row_above(place):
    rows = sheet(
        [
            "Safer streets",
            "Cut burglary",
            "Visit victims",
            "Essex Police",
            "2016/17 Q1",
            "Green",
            "12 visits",
        ],
        ["", "", "Mark property", "RDC", "", "", ""],
        [
            "",
            "Cut vehicle crime",
            "Patrol car parks",
            "Essex Police – Emma Clark",
            "2016/17 Q1",
            "A",
            "Started",
        ],
        ["Safer homes", "Fire safety", "Check blankets", "All partners", "", "", ""],
    )
    plan_import = PlanImport(place, rows, plan_slug="p", first_year=2016)
    assert plan_import.ok, [str(p) for p in plan_import.problems]
    plan = plan_import.commit()
    assert [(p.number, p.title) for p in plan.priorities.all()] == [
        (1, "Safer streets"),
        (2, "Safer homes"),
    ]
    marking = Action.objects.get(description="Mark property")
    assert marking.objective.title == "Cut burglary"
    assert [str(lead) for lead in marking.leads.all()] == ["RDC"]
    patrol = Action.objects.get(description="Patrol car parks")
    assert patrol.objective.title == "Cut vehicle crime"
    assert patrol.leads.get().officer.name == "Emma Clark"
    assert patrol.updates.get().status == "at_risk"
    assert Action.objects.get(description="Check blankets").leads.get().all_partners


def test_headings_with_other_names_and_a_title_row_above_them(place):
    rows = [
        ["Community Safety Action Plan 2016/17"],
        [],
        [
            "PRIORITY",
            "Objectives",
            "Aims",
            "Owner",
            "Time-scale",
            "Quarter",
            "RAG Rating",
            "Progress",
        ],
        [
            "Safer streets",
            "Cut burglary",
            "Visit victims",
            "Essex Police",
            "Q1-4",
            "2016/17 Q2",
            "Complete",
            "Done",
        ],
    ]
    plan_import = PlanImport(place, rows, plan_slug="p", first_year=2016)
    assert plan_import.ok, [str(p) for p in plan_import.problems]
    plan = plan_import.commit()
    action = Action.objects.in_plan(plan).get()
    assert (action.timescale, action.due_year, action.due_quarter) == ("Q1-4", 2016, 4)
    assert action.updates.get().status == "complete"


def test_an_unknown_lead_is_listed_and_must_be_confirmed(place):
    rows = sheet(["Safer streets", "Cut burglary", "Visit victims", "Victim Support", "", "", ""])
    plan_import = PlanImport(place, rows, plan_slug="p", first_year=2016)
    assert plan_import.ok
    assert plan_import.new_organisations == ["Victim Support"]
    with pytest.raises(ValueError, match="Confirm the new organisations"):
        plan_import.commit()
    assert not Plan.objects.filter(slug="p").exists()
    plan_import.commit(confirm_new_organisations=True)
    assert Organisation.objects.get(name="Victim Support").action_leads.count() == 1


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            sheet(
                ["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q1", "Purple", ""]
            ),
            "Status",
        ),
        (sheet(["Safer streets", "Cut burglary", "Visit victims", "", "Q9", "", ""]), "Period"),
        (
            sheet(["Safer streets", "", "Visit victims", "", "", "", ""]),
            "no value here or in a row above",
        ),
        (
            sheet(["Safer streets", "Cut burglary", "", "", "2016/17 Q1", "", ""]),
            "gives an update but no action: every row needs an action",
        ),
        (
            sheet(
                ["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q1", "Green", "a"],
                ["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q1", "Red", "b"],
            ),
            "already gives this action's update for 2016/17 Q1",
        ),
        (
            sheet(
                ["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q1", "Green", "a"],
                ["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q1", "Green", "a"],
            ),
            "repeats row 2 exactly",
        ),
        ([["Name", "Address"], ["a", "b"]], "Choose the column that holds the actions"),
        (
            sheet(["Safer streets", "Cut burglary", "Visit", "", "", "", "x"]),
            "this update has no quarter",
        ),
    ],
)
def test_each_problem_is_explained_with_its_row_and_nothing_is_written(place, rows, message):
    plan_import = PlanImport(place, rows, plan_slug="p", first_year=2016)
    assert not plan_import.ok
    assert any(message in str(problem) for problem in plan_import.problems), [
        str(p) for p in plan_import.problems
    ]
    with pytest.raises(ValueError, match="nothing was written"):
        plan_import.commit()
    assert not Priority.objects.exists()


def test_an_unknown_district_is_named(place):
    rows = sheet(
        ["Safer streets", "Cut burglary", "Visit victims", "", "Basildon", "2016/17 Q1", "Green"],
        headings=[
            "Priority",
            "Strategic objective",
            "Action",
            "Lead",
            "District",
            "Period",
            "Status",
        ],
    )
    problem = PlanImport(place, rows, plan_slug="p", first_year=2016).problems[0]
    assert str(problem) == (
        "Row 2, column E “District”: “Basildon” is not one of the partnership's districts "
        "(Castle Point, Rochford)."
    )


def test_a_bad_row_near_the_end_of_2000_leaves_the_database_as_it_was(place):
    rows = [["Priority", "Strategic objective", "Action", "Period", "Status"]]
    for n in range(1, 2001):
        rows.append(
            [f"Priority {n % 4}", f"Objective {n % 20}", f"Action {n}", "2016/17 Q1", "Green"]
        )
    rows[1998][4] = "Sparkly"  # spreadsheet row 1,999 (the headings are row 1)
    plan_import = PlanImport(place, rows, plan_slug="p", first_year=2016)
    assert [str(p) for p in plan_import.problems_that_stop] == [
        'Row 1999, column E “Status”: Status "Sparkly" is not one we know: use Green, Amber, Red, '
        "Complete, Not started or No longer required."
    ]
    with pytest.raises(ValueError):
        plan_import.commit()
    assert not Action.objects.exists()


def test_a_failure_while_writing_rolls_everything_back(place, monkeypatch):
    rows = sheet(
        [
            "Safer streets",
            "Cut burglary",
            "Visit victims",
            "Essex Police",
            "2016/17 Q1",
            "Green",
            "x",
        ]
    )
    plan_import = PlanImport(place, rows, plan_slug="p", first_year=2016)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(QuarterlyUpdate.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        plan_import.commit()
    assert not Plan.objects.exists()
    assert not StrategicObjective.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "plan.docx",
            b"PK\x03\x04 not really",
            r"upload an Excel workbook \(\.xlsx\) or a CSV file",
        ),
        ("plan.xlsx", b"this is not a zip", "not an Excel workbook we can read"),
        ("plan.csv", b"\x81\x8d\x8f\x90\x9d", "characters could not be read"),
        ("plan.csv", b"a,b\x00,c", "binary data"),
        ("plan.csv", b"", "empty"),
        ("plan.csv", b"x" * (MAX_BYTES + 1), "the largest we accept is 5 MB"),
    ],
)
def test_files_we_cannot_read_are_refused_with_a_reason(name, data, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_rows(name, data)


def test_csv_in_windows_encoding_with_semicolons_is_read():
    data = "Priority;Strategic objective;Action\nSafer streets;Cut burglary;Spend £500\n".encode(
        "cp1252"
    )
    assert read_rows("plan.csv", data)[1] == ["Safer streets", "Cut burglary", "Spend £500"]


def test_the_command_previews_then_imports(place, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(
        "Priority,Strategic objective,Action,Lead\n"
        "Safer streets,Cut burglary,Visit victims,Essex Police\n"
    )
    out = StringIO()
    call_command(
        "import_plan", str(path), partnership="copy", plan="p", year=2016, dry_run=True, stdout=out
    )
    assert "actions: 1" in out.getvalue()
    assert "Dry run: nothing was written." in out.getvalue()
    assert not Plan.objects.exists()
    call_command(
        "import_plan", str(path), partnership="copy", plan="p", year=2016, stdout=StringIO()
    )
    assert Action.objects.get().leads.get().organisation.slug == "essex-police"


def test_the_command_refuses_a_sheet_with_problems(place, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(
        "Priority,Strategic objective,Action,Period\nSafer streets,Cut burglary,Visit,Q9\n"
    )
    with pytest.raises(CommandError, match="nothing was written"):
        call_command(
            "import_plan", str(path), partnership="copy", plan="p", year=2016, stdout=StringIO()
        )
    assert not Plan.objects.exists()


cell = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "2016/17 Q1", "Green", "Rochford", "All partners", "Q1-4"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(cell, max_size=9), max_size=12))
def test_random_cells_never_cause_a_server_error(place, rows):
    plan_import = PlanImport(place, [HEADINGS, *rows], plan_slug="fuzz", first_year=2016)
    if plan_import.ok:
        try:
            plan_import.commit(confirm_new_organisations=True)
        finally:
            QuarterlyUpdate.objects.filter(action__objective__priority__plan__slug="fuzz").delete()
            Plan.objects.filter(slug="fuzz").delete()
    else:
        with pytest.raises(ValueError):
            plan_import.commit()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["plan.xlsx", "plan.csv", "plan", "plan.txt"]))
def test_random_bytes_are_refused_or_read_never_crash(data, name):
    try:
        rows = read_rows(name, data)
    except SpreadsheetError:
        return
    assert all(isinstance(cell, str) for row in rows for cell in row)


def test_the_preview_says_what_is_new_and_what_replaces_into_an_existing_plan(place):
    first = sheet(
        ["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q1", "Green", "a"]
    )
    PlanImport(place, first, plan_slug="p", first_year=2016).commit()
    again = sheet(
        ["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q1", "Red", "changed"],
        ["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q2", "Green", "next"],
        ["Safer streets", "Cut burglary", "Mark property", "", "", "", ""],
    )
    plan_import = PlanImport(place, again, plan_slug="p")
    summary = dict(plan_import.summary)
    assert summary["actions unchanged"] == 1
    assert summary["new actions"] == 1
    assert summary["updates changing"] == 1
    assert summary["new updates"] == 1
    plan_import.commit()
    visit = Action.objects.get(description="Visit victims")
    assert sorted(visit.updates.values_list("progress", flat=True)) == ["changed", "next"]


@pytest.mark.parametrize("new_quarter_row", [False, True])
def test_a_reported_quarter_is_never_changed_by_an_import(place, new_quarter_row):
    first = sheet(
        ["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q1", "Green", "a"]
    )
    plan = PlanImport(place, first, plan_slug="p", first_year=2016).commit()
    plan.periods.update(status="reported")
    rows = [["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q1", "Red", "b"]]
    if new_quarter_row:  # a new action's update in the reported quarter: a bulk insert
        rows = [["Safer streets", "Cut burglary", "Mark property", "", "2016/17 Q1", "Red", "c"]]
    before = snapshot(plan)
    # The preview already says so, naming the row …
    plan_import = PlanImport(place, sheet(*rows), plan_slug="p")
    assert [str(p) for p in plan_import.problems_that_stop] == [
        "Row 2: 2016/17 Q1 was reported to committee, so its updates can't be changed by an "
        "import: take the row out, or ask the coordinator for an amendment."
    ]
    with pytest.raises(ValueError, match="problems to fix first"):
        plan_import.commit()
    assert snapshot(plan) == before
    # … and a quarter reported between the preview and the import is refused by the import
    # (un-reported here round the locks, as only a test may).
    models.QuerySet.update(plan.periods.all(), status="closed")
    plan_import = PlanImport(place, sheet(*rows), plan_slug="p")
    assert plan_import.ok
    plan.periods.update(status="reported")
    with pytest.raises(ValueError, match="Nothing was imported: 2016/17 Q1 has been reported"):
        plan_import.commit()
    assert snapshot(plan) == before


def test_an_officers_open_draft_is_replaced_only_with_a_warning_and_a_new_version(place):
    from django.contrib.auth.models import User

    first = sheet(["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q2", "", "x"])
    plan = PlanImport(place, first, plan_slug="p", first_year=2016).commit()
    period = plan.periods.get()
    period.status = "open"
    period.save()
    officer = User.objects.create(username="olive", first_name="Olive", last_name="Officer")
    draft = QuarterlyUpdate.objects.get()
    draft.state, draft.author, draft.progress = "draft", officer, "Half written"
    draft.save()
    again = sheet(
        [
            "Safer streets",
            "Cut burglary",
            "Visit victims",
            "",
            "2016/17 Q2",
            "Green",
            "From the sheet",
        ]
    )
    plan_import = PlanImport(place, again, plan_slug="p")
    assert [str(w) for w in plan_import.warnings] == [
        "Row 2: this replaces Olive Officer's draft update for 1.1.1 2016/17 Q2, which is "
        "still open for updates."
    ]
    version = QuarterlyUpdate.objects.get().version
    plan_import.commit()
    stored = QuarterlyUpdate.objects.get()
    assert (stored.progress, stored.state) == ("From the sheet", "accepted")
    # The officer's open form is now stale: their next save is a conflict, not a silent loss.
    assert stored.version == version + 1
    assert not QuarterlyUpdate.objects.claim_version(stored.pk, version)


def test_an_update_saved_between_the_preview_and_the_import_stops_the_import(place):
    first = sheet(["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q1", "Red", "a"])
    plan = PlanImport(place, first, plan_slug="p", first_year=2016).commit()
    again = sheet(
        ["Safer streets", "Cut burglary", "Visit victims", "", "2016/17 Q1", "Green", "b"]
    )
    plan_import = PlanImport(place, again, plan_slug="p")
    shown = list(plan_import.fingerprint)
    update = QuarterlyUpdate.objects.get()
    assert QuarterlyUpdate.objects.claim_version(update.pk, update.version)  # an officer saves
    with pytest.raises(ImportConflict, match="changed after you checked the import"):
        PlanImport(place, again, plan_slug="p").commit(fingerprint=shown)
    with pytest.raises(ImportConflict, match="saved by someone else while it ran"):
        plan_import.commit()
    assert QuarterlyUpdate.objects.get().progress == "a"
    assert snapshot(plan)["1.1.1"]["updates"] == [("2016/17 Q1", "", "off_track", "a", "")]
