"""A plan exported in the plan spreadsheet format: rows, files, command, web pages, template."""

import csv
import io
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from csp.importers.columns import BY_KEY, COLUMNS
from csp.importers.export import plan_rows, write_csv, write_template, write_xlsx
from csp.importers.plan_import import PlanImport
from csp.importers.reader import read_rows
from csp.models import ActionLead, Plan, UpdateState, UpdateStatus
from tests import factories as make

pytestmark = pytest.mark.django_db

HEADINGS = [column.heading for column in COLUMNS]
KEYS = [column.key for column in COLUMNS]
BLANK_UPDATE = {"district": "", "period": "", "status": "", "update": "", "risks": "", "figure": ""}


def picked(rows, *keys):
    return [tuple(row[key] for key in keys) for row in rows]


def sheet_rows(data: bytes, sheet: str = "Plan") -> list[list[str]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return [
        ["" if value is None else value for value in row]
        for row in workbook[sheet].iter_rows(values_only=True)
    ]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# The rows


def test_rows_in_plan_order_one_per_update(cast):
    rows = list(plan_rows(cast.plan))
    assert all(list(row) == KEYS for row in rows)
    assert picked(rows, "reference", "district", "period", "status", "update") == [
        ("1.1.1", "North", "2016/17 Q1", "On track", "Patrols every Friday"),
        ("1.1.2", "North", "2016/17 Q1", "At risk", "Venue found"),
        ("1.1.2", "South", "2016/17 Q1", "Off track", "No venue yet"),
        ("1.2.1", "", "2016/17 Q1", "Complete", "5,000 leaflets delivered"),
        ("1.2.1", "", "2016/17 Q2", "On track", "Second print run ordered"),
        ("2.1.1", "", "2016/17 Q1", "Off track", "Operation Nightjar details"),
        ("2.1.2", "", "2016/17 Q2", "At risk", "Secret informant briefing"),
    ]


def test_a_row_carries_its_action_and_where_it_sits(cast):
    hub_south = list(plan_rows(cast.plan))[2]
    assert hub_south == {
        "reference": "1.1.2",
        "priority": "Safer communities",
        "theme": "",
        "objective": "Reassure residents with visible patrols",
        "action": "Open a community safety hub",
        "outcomes": "Hub open weekly",
        "lead": "Castle Council",
        "lead_as_written": "",
        "timescale": "Q2 - Sept 16",
        "areas": "",
        "measure": "",
        "district": "South",
        "period": "2016/17 Q1",
        "status": "Off track",
        "update": "No venue yet",
        "risks": "Depends on the library lease",
        "figure": "",
    }


def test_the_districts_an_action_covers_are_written_and_read_back(cast):
    cast.hub.districts.set([cast.south, cast.north])
    covered = dict(picked(plan_rows(cast.plan), "reference", "areas"))
    assert covered == {
        "1.1.1": "North",
        "1.1.2": "North, South",
        "1.2.1": "",
        "2.1.1": "",
        "2.1.2": "",
    }
    handle = io.BytesIO()
    write_xlsx(cast.plan, handle)
    rows = read_rows("plan.xlsx", handle.getvalue())
    assert PlanImport(cast.castle, rows, plan_slug=cast.plan.slug).no_changes
    cast.hub.districts.set([cast.north])
    again = PlanImport(cast.castle, rows, plan_slug=cast.plan.slug)
    assert {a.ref: a.change for a in again.actions if a.change != "same"} == {"1.1.2": "changed"}
    again.commit()
    assert sorted(cast.hub.districts.values_list("name", flat=True)) == ["North", "South"]


def test_structured_leads_and_the_leads_as_written_in_their_own_columns(cast):
    leads = dict(picked(plan_rows(cast.plan), "reference", "lead"))
    assert leads["1.1.1"] == "Shire Police – Ida Inspector"
    assert leads["1.2.1"] == "All partners"
    ActionLead.objects.create(action=cast.hub, number=2, all_partners=True)
    leads = dict(picked(plan_rows(cast.plan), "reference", "lead"))
    assert leads["1.1.2"] == "Castle Council; All partners"
    cast.hub.lead_as_written = "CC / SP + all partners"
    cast.hub.save()
    assert (
        dict(picked(plan_rows(cast.plan), "reference", "lead"))["1.1.2"]
        == "Castle Council; All partners"
    )
    written = dict(picked(plan_rows(cast.plan), "reference", "lead_as_written"))
    assert written["1.1.2"] == "CC / SP + all partners"


def test_theme_written_when_the_objective_has_one(cast):
    objective = cast.hub.objective
    objective.theme = objective.priority.themes.create(number=1, title="Town centre")
    objective.save()
    themes = dict(picked(plan_rows(cast.plan), "reference", "theme"))
    assert themes["1.1.1"] == themes["1.1.2"] == "Town centre"
    assert themes["1.2.1"] == ""


def test_an_action_without_updates_gives_one_blank_row(cast):
    extra = make.action(cast.burglary.objective, description="Property marking", lead=cast.police)
    rows = [row for row in plan_rows(cast.plan) if row["reference"] == "2.1.3"]
    assert rows == [
        {
            "reference": "2.1.3",
            "priority": "Acquisitive crime",
            "theme": "",
            "objective": "Reduce dwelling burglaries",
            "action": extra.description,
            "outcomes": "",
            "lead": "Shire Police",
            "lead_as_written": "",
            "timescale": "",
            "areas": "",
            "measure": "",
            **BLANK_UPDATE,
        }
    ]


def test_drafts_and_returned_updates_are_not_exported(cast):
    make.update(cast.patrols, cast.q2, UpdateStatus.AT_RISK, cast.north, state=UpdateState.DRAFT)
    make.update(cast.hub, cast.q2, UpdateStatus.AT_RISK, cast.north, state=UpdateState.RETURNED)
    submitted = make.update(
        cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.south, state=UpdateState.SUBMITTED
    )
    rows = picked(plan_rows(cast.plan), "reference", "district", "period")
    assert ("1.1.1", "North", "2016/17 Q2") not in rows
    assert ("1.1.2", "North", "2016/17 Q2") not in rows
    assert ("1.1.2", "South", submitted.period.label) in rows


def test_only_this_plans_actions(cast):
    assert "Far away action" not in {row["action"] for row in plan_rows(cast.plan)}
    assert [row["action"] for row in plan_rows(cast.other_plan)] == ["Far away action"]


def test_a_public_visitor_gets_no_restricted_action_or_update(public):
    rows = list(plan_rows(public.plan, AnonymousUser()))
    text = repr(rows)
    assert "Covert operation" not in text
    assert "Operation Nightjar" not in text
    assert "Secret informant" not in text
    assert [row["reference"] for row in rows] == [
        "1.1.1",
        "1.1.2",
        "1.1.2",
        "1.2.1",
        "1.2.1",
        "2.1.2",
    ]
    # Its only update is restricted: it shows as an action without updates.
    assert rows[-1]["action"] == "Target hardening for repeat victims"
    assert {key: rows[-1][key] for key in BLANK_UPDATE} == BLANK_UPDATE


def test_a_member_gets_restricted_content(cast):
    text = repr(list(plan_rows(cast.plan, cast.bob)))
    assert "Covert operation" in text
    assert "Secret informant" in text


def test_a_constant_number_of_queries_however_many_actions():
    def queries_for(n: int) -> int:
        plan = make.plan()
        period = make.period(plan)
        district = make.district(plan.partnership)
        police = make.organisation()
        officer = make.officer(police)
        objective = make.objective(make.priority(plan))
        for i in range(n):
            action = make.action(objective, description=f"Action {i}")
            ActionLead.objects.create(action=action, organisation=police, officer=officer)
            ActionLead.objects.create(action=action, number=2, all_partners=True)
            if i % 2:
                make.update(action, period, UpdateStatus.ON_TRACK, district, progress="Done")
                make.update(action, period, UpdateStatus.AT_RISK, progress="Whole area")
        with CaptureQueriesContext(connection) as queries:
            rows = list(plan_rows(plan))
        assert len(rows) == (n // 2) * 2 + (n - n // 2)  # two updates, or one blank row
        return len(queries)

    assert queries_for(5) == queries_for(50)


# The files


def test_xlsx_reads_back_as_the_rows(cast):
    handle = io.BytesIO()
    write_xlsx(cast.plan, handle)
    data = handle.getvalue()
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Plan"]
    sheet = workbook["Plan"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["E2"].alignment.wrap_text
    assert sheet.column_dimensions["E"].width > sheet.column_dimensions["A"].width
    assert workbook.properties.title == "Castle Plan 2016/17"
    rows = sheet_rows(data)
    assert rows[0] == HEADINGS
    assert rows[1:] == [[row[key] for key in KEYS] for row in plan_rows(cast.plan)]


def test_demo_plan_xlsx_reads_back_whole(tmp_path):
    call_command("load_demo", stdout=StringIO())
    plan = Plan.objects.get(slug="castle-point-rochford-2016-17")
    out = tmp_path / "demo.xlsx"
    call_command("export_plan", plan=plan.slug, out=str(out), stdout=StringIO())
    rows = sheet_rows(out.read_bytes())
    expected = list(plan_rows(plan))
    assert rows[0] == HEADINGS
    assert rows[1:] == [[row[key] for key in KEYS] for row in expected]
    # 51 actions, 32 updates, in plan order.
    assert len(expected) == 32 + sum(1 for row in expected if not row["period"])
    assert len({row["reference"] for row in expected}) == 51
    assert rows[1][0] == "1.1.1"
    workbook = load_workbook(out, read_only=True)
    assert workbook.properties.title == "Partnership Plan 2016/17"
    assert workbook.properties.version == "Version 2 – July 2016"


def test_csv_has_a_bom_and_the_same_rows(cast):
    handle = io.StringIO(newline="")
    write_csv(cast.plan, handle)
    rows = csv_rows(handle.getvalue().encode("utf-8"))
    assert rows[0] == HEADINGS
    assert rows[1:] == [[row[key] for key in KEYS] for row in plan_rows(cast.plan)]


def test_template_has_both_sheets_and_every_column():
    handle = io.BytesIO()
    write_template(handle)
    workbook = load_workbook(io.BytesIO(handle.getvalue()), read_only=True)
    assert workbook.sheetnames == ["Plan", "Instructions"]
    assert sheet_rows(handle.getvalue()) == [HEADINGS]
    instructions = sheet_rows(handle.getvalue(), "Instructions")
    text = repr(instructions)
    assert "same as the row above" in text
    assert "One row per action and quarterly update" in text
    assert "On track" in text and "No longer required" in text
    by_heading = {row[0]: row for row in instructions if row}
    for column in COLUMNS:
        row = by_heading[column.heading]
        assert row[1] == column.help
        assert row[2] == ("Required" if column.key == "action" else "Optional")
        for alias in BY_KEY[column.key].aliases:
            if alias != column.heading.lower():
                assert alias in row[3]


# The command


def test_command_writes_xlsx_and_csv(cast, tmp_path):
    out = StringIO()
    call_command("export_plan", plan="castle-2016-17", out=str(tmp_path / "plan.xlsx"), stdout=out)
    assert "Castle Plan 2016/17 written to" in out.getvalue()
    assert sheet_rows((tmp_path / "plan.xlsx").read_bytes())[0] == HEADINGS
    call_command(
        "export_plan", plan="castle-2016-17", out=str(tmp_path / "Plan.CSV"), stdout=StringIO()
    )
    rows = csv_rows((tmp_path / "Plan.CSV").read_bytes())
    assert rows[0] == HEADINGS
    assert len(rows) == 8  # restricted items included: the command is the partnership's own
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Plan.CSV", "plan.xlsx"]


def test_command_refuses_an_unknown_plan(cast, tmp_path):
    with pytest.raises(CommandError, match=r"No plan 'nope'.*castle-2016-17"):
        call_command("export_plan", plan="nope", out=str(tmp_path / "plan.xlsx"))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["plan.pdf", "plan", "plan.xls"])
def test_command_refuses_an_unknown_extension(cast, tmp_path, name):
    with pytest.raises(CommandError, match=r"\.xlsx or \.csv"):
        call_command("export_plan", plan="castle-2016-17", out=str(tmp_path / name))
    assert not list(tmp_path.iterdir())


def test_command_refuses_a_missing_folder(cast, tmp_path):
    with pytest.raises(CommandError, match="No folder"):
        call_command("export_plan", plan="castle-2016-17", out=str(tmp_path / "no" / "p.xlsx"))


# The web


def export_url(kind: str, slug: str = "castle-2016-17") -> str:
    return reverse(f"plan-export-{kind}", args=[slug])


def test_member_downloads_xlsx_with_restricted_content(alice, cast):
    response = alice.get(export_url("xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="castle-2016-17.xlsx"' in response["Content-Disposition"]
    rows = sheet_rows(b"".join(response.streaming_content))
    assert rows[0] == HEADINGS
    assert len(rows) == 8
    assert "Covert operation against handlers" in repr(rows)


def test_member_downloads_csv(alice, cast):
    response = alice.get(export_url("csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="castle-2016-17.csv"'
    rows = csv_rows(b"".join(response.streaming_content))
    assert rows[1:] == [[row[key] for key in KEYS] for row in plan_rows(cast.plan, cast.alice)]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_public_visitor_gets_no_restricted_content(client, public, kind):
    response = client.get(export_url(kind))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    rows = sheet_rows(body) if kind == "xlsx" else csv_rows(body)
    assert len(rows) == 7
    text = repr(rows)
    assert "Target hardening for repeat victims" in text
    for secret in ("Covert operation", "Operation Nightjar", "Secret informant"):
        assert secret not in text


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_signed_out_visitor_to_a_private_plan_is_asked_to_sign_in(client, cast, kind):
    response = client.get(export_url(kind))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_another_partnerships_member_gets_404(client, cast, kind):
    client.force_login(cast.charlie)
    assert client.get(export_url(kind)).status_code == 404
    assert client.get(export_url(kind, "no-such-plan")).status_code == 404


def test_template_download_is_public(client, db):
    response = client.get(reverse("plan-template"))
    assert response.status_code == 200
    assert 'filename="plan-template.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert workbook.sheetnames == ["Plan", "Instructions"]


def test_dashboard_links_to_the_downloads(alice, cast):
    page = alice.get(reverse("plan-dashboard", args=["castle-2016-17"])).content.decode()
    assert "Download this plan" in page
    for url in (export_url("xlsx"), export_url("csv"), reverse("plan-template")):
        assert f'class="govuk-link" href="{url}"' in page
