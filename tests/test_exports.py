"""CSV and Excel exports of the action list: its rows, all pages, with the period's updates."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from csp.exports import CHUNK
from csp.importers.plan_import import PlanImport
from csp.importers.reader import read_rows
from csp.models import Action, District, Measure, MeasureFigure, UpdateState, UpdateStatus
from tests import factories as make

pytestmark = pytest.mark.django_db

HEADER_Q1 = [
    "Ref",
    "Plan",
    "Priority",
    "Strategic objective",
    "Action",
    "Outcomes / measures",
    "Lead agency / officer",
    "Lead as written",
    "Timescale",
    "Districts",
    "Status (2016/17 Q1)",
    "Last update",
    "Update 2016/17 Q1 \N{EN DASH} North",
    "Update 2016/17 Q1 \N{EN DASH} South",
    "Update 2016/17 Q1 \N{EN DASH} whole area",
    "Risks and dependencies 2016/17 Q1",
]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="actions.csv"'
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark for Excel
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def xlsx_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert (
        response["Content-Type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="actions.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert workbook.sheetnames == ["Actions"]
    return [
        ["" if value is None else value for value in row]
        for row in workbook["Actions"].iter_rows(values_only=True)
    ]


def as_dicts(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    """Rows keyed by their reference, each a {column: value} dict."""
    header, *body = rows
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


def listed_refs(client, query: str) -> list[str]:
    """Every page of the action list, 25 at a time."""
    refs: list[str] = []
    page = 1
    while True:
        response = client.get(f"/actions/?{query}&per_page=25&page={page}")
        refs += [action.reference for action in response.context["table"].page.object_list]
        if page >= response.context["table"].paginator.num_pages:
            return refs
        page += 1


@pytest.fixture
def many(cast):
    """61 more actions in objective 2.1, led in turn by the police and the council: 66 in all."""
    objective = cast.burglary.objective
    for n in range(3, 64):
        lead = cast.police if n % 2 else cast.council
        action = make.action(
            objective, number=n, description=f"Extra {(n * 37) % 100:02d} #{n}", lead=lead
        )
        if n % 3 == 0:
            make.update(
                action, cast.q1, UpdateStatus.ON_TRACK, cast.north, progress=f"Extra progress {n}"
            )
    return cast


def test_the_csv_has_the_header_and_one_row_per_action(alice, cast):
    rows = csv_rows(alice.get("/actions/export.csv"))
    assert rows[0] == HEADER_Q1
    assert [row[0] for row in rows[1:]] == ["1.1.1", "1.1.2", "1.2.1", "2.1.1", "2.1.2"]


def test_the_csv_rows_hold_each_actions_details(alice, cast):
    rows = as_dicts(csv_rows(alice.get("/actions/export.csv")))
    assert rows["1.1.1"] == {
        "Ref": "1.1.1",
        "Plan": "Castle Plan 2016/17",
        "Priority": "Safer communities",
        "Strategic objective": "Reassure residents with visible patrols",
        "Action": "Evening patrols in the town centre",
        "Outcomes / measures": "",
        "Lead agency / officer": "Shire Police \N{EN DASH} Ida Inspector",
        "Lead as written": "",
        "Timescale": "Q1-4",
        "Districts": "North",
        "Status (2016/17 Q1)": "On track",
        "Last update": "2016/17 Q1",
        "Update 2016/17 Q1 \N{EN DASH} North": "Patrols every Friday",
        "Update 2016/17 Q1 \N{EN DASH} South": "",
        "Update 2016/17 Q1 \N{EN DASH} whole area": "",
        "Risks and dependencies 2016/17 Q1": "",
    }
    assert rows["1.2.1"]["Lead agency / officer"] == "All partners"
    assert rows["1.2.1"]["Districts"] == "All"
    assert rows["1.2.1"]["Last update"] == "2016/17 Q2"


def test_a_column_per_district_and_the_whole_area_holds_the_periods_update_text(alice, cast):
    rows = as_dicts(csv_rows(alice.get("/actions/export.csv")))
    hub = rows["1.1.2"]
    assert hub["Update 2016/17 Q1 \N{EN DASH} North"] == "Venue found"
    assert hub["Update 2016/17 Q1 \N{EN DASH} South"] == "No venue yet"
    assert hub["Update 2016/17 Q1 \N{EN DASH} whole area"] == ""
    assert hub["Risks and dependencies 2016/17 Q1"] == "South: Depends on the library lease"
    assert rows["1.2.1"]["Update 2016/17 Q1 \N{EN DASH} whole area"] == "5,000 leaflets delivered"


def test_the_status_and_update_columns_follow_the_chosen_period(alice, cast):
    rows = csv_rows(alice.get("/actions/export.csv?period=2016-17-q2"))
    assert rows[0][10:] == [
        "Status (2016/17 Q2)",
        "Last update",
        "Update 2016/17 Q2 \N{EN DASH} North",
        "Update 2016/17 Q2 \N{EN DASH} South",
        "Update 2016/17 Q2 \N{EN DASH} whole area",
        "Risks and dependencies 2016/17 Q2",
    ]
    by_ref = as_dicts(rows)
    assert {ref: row["Status (2016/17 Q2)"] for ref, row in by_ref.items()} == {
        "1.1.1": "No update",
        "1.1.2": "No update",
        "1.2.1": "On track",
        "2.1.1": "No update",
        "2.1.2": "At risk",
    }
    assert by_ref["1.2.1"]["Update 2016/17 Q2 \N{EN DASH} whole area"] == "Second print run ordered"
    assert (
        by_ref["2.1.2"]["Update 2016/17 Q2 \N{EN DASH} whole area"] == "Secret informant briefing"
    )  # alice is a member
    assert by_ref["1.1.2"]["Update 2016/17 Q2 \N{EN DASH} North"] == ""


def test_drafts_are_not_exported(alice, cast):
    make.update(
        cast.burglary,
        cast.q1,
        UpdateStatus.COMPLETE,
        cast.south,
        state=UpdateState.DRAFT,
        progress="Draft words",
    )
    rows = as_dicts(csv_rows(alice.get("/actions/export.csv")))
    assert rows["2.1.2"]["Update 2016/17 Q1 \N{EN DASH} South"] == ""
    assert rows["2.1.2"]["Status (2016/17 Q1)"] == "No update"


def test_text_with_commas_quotes_and_new_lines_survives_the_round_trip(alice, cast):
    cast.hub.description = 'Open a "hub", then\nrun it'
    cast.hub.save()
    update = cast.hub.updates.get(district=cast.south)
    update.risks = "Lease £1,000\nand staff"
    update.save()
    row = as_dicts(csv_rows(alice.get("/actions/export.csv")))["1.1.2"]
    assert row["Action"] == 'Open a "hub", then\nrun it'
    assert row["Risks and dependencies 2016/17 Q1"] == "South: Lease £1,000\nand staff"


def test_the_csv_holds_exactly_the_filtered_rows(alice, cast):
    rows = csv_rows(
        alice.get("/actions/export.csv?lead=castle-council&status=off_track&district=south")
    )
    assert [row[0] for row in rows[1:]] == ["1.1.2"]


@pytest.mark.parametrize(
    "query",
    [
        "sort=reference",
        "sort=-description",
        "sort=description&lead=shire-police",
        "sort=-reference&q=Extra&district=north",
    ],
)
def test_the_csv_holds_every_page_of_the_list_in_its_order(alice, many, query):
    expected = listed_refs(alice, query)
    assert len(expected) > 25
    rows = csv_rows(alice.get(f"/actions/export.csv?{query}&per_page=25&page=2"))
    assert [row[0] for row in rows[1:]] == expected


def test_the_xlsx_holds_every_page_of_the_list_in_its_order(alice, many):
    expected = listed_refs(alice, "sort=-description")
    assert len(expected) == 66
    rows = xlsx_rows(alice.get("/actions/export.xlsx?sort=-description&per_page=25&page=3"))
    assert [row[0] for row in rows[1:]] == expected


def test_the_xlsx_has_the_same_header_and_cells_as_the_csv(alice, cast):
    query = "period=2016-17-q1&sort=-description"
    assert xlsx_rows(alice.get(f"/actions/export.xlsx?{query}")) == csv_rows(
        alice.get(f"/actions/export.csv?{query}")
    )


def test_the_xlsx_has_a_bold_frozen_header(alice, cast):
    response = alice.get("/actions/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Actions"]
    assert [cell.value for cell in sheet[1]] == HEADER_Q1
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "B2"
    assert sheet["B2"].value == "Castle Plan 2016/17"


def test_a_filter_value_that_is_not_understood_exports_only_the_header(alice, cast):
    rows = csv_rows(alice.get("/actions/export.csv?lead=no-such-agency"))
    assert len(rows) == 1
    assert (
        rows[0][:12] == HEADER_Q1[:12]
    )  # no district columns: no action's partnership to take them from


def test_a_visitor_exports_a_public_partnership_without_restricted_actions_or_updates(
    client, public
):
    rows = csv_rows(client.get("/actions/export.csv?period=2016-17-q2"))
    assert [row[0] for row in rows[1:]] == ["1.1.1", "1.1.2", "1.2.1", "2.1.2"]
    assert as_dicts(rows)["2.1.2"]["Update 2016/17 Q2 \N{EN DASH} whole area"] == ""
    flat = "\n".join(",".join(row) for row in rows)
    assert "Covert operation against handlers" not in flat
    assert "Secret informant briefing" not in flat
    assert "Operation Nightjar" not in flat


def test_a_visitor_does_not_get_a_restricted_actions_update_in_q1(client, public):
    rows = xlsx_rows(client.get("/actions/export.xlsx?period=2016-17-q1"))
    assert [row[0] for row in rows[1:]] == ["1.1.1", "1.1.2", "1.2.1", "2.1.2"]
    flat = "\n".join(str(value) for row in rows for value in row)
    assert "Covert operation against handlers" not in flat
    assert "Operation Nightjar" not in flat


def test_a_member_of_another_partnership_exports_only_theirs(client, cast):
    client.force_login(cast.charlie)
    rows = csv_rows(client.get("/actions/export.csv"))
    assert rows[0][-2:] == [
        "Update latest \N{EN DASH} whole area",
        "Risks and dependencies latest",
    ]  # Elsewhere has no periods
    assert [row[4] for row in rows[1:]] == ["Far away action"]


@pytest.mark.parametrize("path", ["/actions/export.csv", "/actions/export.xlsx"])
def test_a_signed_out_visitor_is_asked_to_sign_in_to_export_a_private_partnership(
    client, cast, path
):
    response = client.get(f"{path}?lead=shire-police")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/sign-in/?next={path}%3Flead%3Dshire-police"


def test_the_csv_export_costs_the_same_queries_for_60_or_300_actions(alice, cast):
    assert CHUNK >= 300  # one chunk either way: the count may only grow by chunk
    objective = cast.burglary.objective

    def add(first: int, last: int) -> None:
        for n in range(first, last):
            action = make.action(objective, number=n, description=f"Extra {n}", lead=cast.police)
            action.districts.set([cast.north])
            make.update(
                action,
                cast.q1,
                UpdateStatus.ON_TRACK,
                cast.north,
                progress=f"Progress {n}",
                risks=f"Risk {n}",
            )

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = csv_rows(alice.get("/actions/export.csv?lead=shire-police"))
        return len(rows) - 1, len(queries)

    add(3, 61)  # with 1.1.1 and 2.1.1: 60 police actions
    rows_60, queries_60 = count()
    add(61, 301)
    rows_300, queries_300 = count()
    assert (rows_60, rows_300) == (60, 300)
    assert queries_60 == queries_300, (queries_60, queries_300)
    print("export queries:", queries_60)


# Measures and figures


@pytest.fixture
def measured(cast):
    """The hub's measures, two with targets, and the Q1 figures of its North update."""
    residents = Measure.objects.create(
        action=cast.hub, number=1, description="Residents visiting", target_text="200 a month"
    )
    satisfied = Measure.objects.create(
        action=cast.hub, number=2, description="Attendees satisfied", unit="%", target_text="80%"
    )
    Measure.objects.create(action=cast.hub, number=3, description="Volunteers recruited")
    north = cast.hub.updates.get(district=cast.north, period=cast.q1)
    MeasureFigure.objects.create(measure=residents, update=north, value=Decimal("150"))
    MeasureFigure.objects.create(measure=satisfied, update=north, value=Decimal("82.50"))
    return cast


def test_without_measures_there_are_no_measure_or_figure_columns(alice, cast):
    header = csv_rows(alice.get("/actions/export.csv"))[0]
    assert not [h for h in header if h.startswith(("Measures", "Figures"))]


def test_each_actions_measures_and_targets_and_the_quarters_figures_by_district(alice, measured):
    rows = csv_rows(alice.get("/actions/export.csv"))
    assert rows[0] == [
        *HEADER_Q1[:9],
        "Measures / targets",
        *HEADER_Q1[9:15],
        "Figures 2016/17 Q1 \N{EN DASH} North",
        "Figures 2016/17 Q1 \N{EN DASH} South",
        "Figures 2016/17 Q1 \N{EN DASH} whole area",
        HEADER_Q1[15],
    ]
    hub = as_dicts(rows)["1.1.2"]
    assert hub["Measures / targets"] == (
        "Residents visiting (target: 200 a month)\n"
        "Attendees satisfied (target: 80%)\n"
        "Volunteers recruited"
    )
    assert hub["Figures 2016/17 Q1 \N{EN DASH} North"] == (
        "Residents visiting: 150\nAttendees satisfied: 82.5"
    )
    assert hub["Figures 2016/17 Q1 \N{EN DASH} South"] == ""
    assert as_dicts(rows)["1.1.1"]["Measures / targets"] == ""
    # Another quarter's export has that quarter's figures: none yet.
    q2 = as_dicts(csv_rows(alice.get("/actions/export.csv?period=2016-17-q2")))["1.1.2"]
    assert q2["Figures 2016/17 Q2 \N{EN DASH} North"] == ""
    assert q2["Measures / targets"] == hub["Measures / targets"]


def test_the_xlsx_carries_the_same_measures_and_figures(alice, measured):
    assert xlsx_rows(alice.get("/actions/export.xlsx")) == csv_rows(
        alice.get("/actions/export.csv")
    )


def test_a_restricted_updates_figures_go_only_to_members(alice, public):
    # 2.1.2's Q2 update is restricted: its figure is the members' alone, as its text is.
    informants = Measure.objects.create(
        action=public.burglary, number=1, description="Briefings held", target_text="4"
    )
    restricted = public.burglary.updates.get(period=public.q2)
    assert restricted.is_restricted
    MeasureFigure.objects.create(measure=informants, update=restricted, value=3)
    column = "Figures 2016/17 Q2 \N{EN DASH} whole area"
    by_visitor = as_dicts(csv_rows(Client().get("/actions/export.csv?period=2016-17-q2")))
    assert by_visitor["2.1.2"][column] == ""
    assert by_visitor["2.1.2"]["Measures / targets"] == "Briefings held (target: 4)"
    by_member = as_dicts(csv_rows(alice.get("/actions/export.csv?period=2016-17-q2")))
    assert by_member["2.1.2"][column] == "Briefings held: 3"


def test_an_export_with_figures_reads_back_through_the_importer(alice, measured):
    """The action list's file, imported as it comes into another partnership with the same
    districts, brings back each measure's target and the quarter's figures by district."""
    measured.leaflets.districts.set([measured.north, measured.south])
    data = b"".join(alice.get("/actions/export.xlsx?plan=castle-2016-17").streaming_content)
    rows = read_rows("actions.xlsx", data)
    elsewhere = make.partnership(name="Copy CSP", slug="copy")
    for name in ("North", "South"):
        District.objects.create(partnership=elsewhere, name=name, slug=name.lower())
    elsewhere.organisations.add(measured.police, measured.council)
    plan_import = PlanImport(elsewhere, rows, plan_slug="copy", first_year=2016)
    assert plan_import.ok, [str(p) for p in plan_import.problems]
    plan = plan_import.commit(confirm_new_organisations=True)
    hub = Action.objects.in_plan(plan).get(description=measured.hub.description)
    assert [(m.description, m.target_text) for m in hub.measures.all()] == [
        ("Residents visiting", "200 a month"),
        ("Attendees satisfied", "80%"),
        ("Volunteers recruited", ""),
    ]
    north = hub.updates.get(district__name="North", period__quarter=1)
    assert sorted((f.measure.description, f.value) for f in north.figures.all()) == [
        ("Attendees satisfied", Decimal("82.5")),
        ("Residents visiting", Decimal("150")),
    ]
    assert north.progress == "Venue found"
    # The rest of the row came back too: the districts covered, the leads, the quarter's status.
    assert list(hub.districts.all()) == []  # "All"
    leaflets = Action.objects.in_plan(plan).get(description=measured.leaflets.description)
    assert sorted(leaflets.districts.values_list("name", flat=True)) == ["North", "South"]
    patrols = Action.objects.in_plan(plan).get(description=measured.patrols.description)
    assert list(patrols.districts.values_list("name", flat=True)) == ["North"]
    assert [lead.organisation for lead in patrols.leads.all()] == [measured.police]
    # One status column for the quarter: each district update's, not a whole-area update.
    assert [(str(u.district), u.status) for u in patrols.updates.all()] == [
        ("North", UpdateStatus.ON_TRACK)
    ]
    assert not hub.updates.filter(district=None).exists()
    # "Last update" is when, not what: no update was made of it.
    assert sorted(str(u.period) for u in patrols.updates.all()) == ["2016/17 Q1"]
    # The same file again changes nothing.
    again = PlanImport(elsewhere, rows, plan_slug="copy", first_year=2016)
    assert again.no_changes, [str(p) for p in again.problems]


def test_the_export_with_measures_costs_the_same_queries_for_60_or_300_actions(alice, cast):
    objective = cast.burglary.objective

    def add(first: int, last: int) -> None:
        for n in range(first, last):
            action = make.action(objective, number=n, description=f"Extra {n}", lead=cast.police)
            measure = Measure.objects.create(action=action, description=f"Visits {n}")
            update = make.update(action, cast.q1, UpdateStatus.ON_TRACK, None, progress="Done")
            MeasureFigure.objects.create(measure=measure, update=update, value=n)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = csv_rows(alice.get("/actions/export.csv?lead=shire-police"))
        return len(rows) - 1, len(queries)

    add(3, 63)
    small = count()
    add(63, 303)
    large = count()
    assert large[0] - small[0] == 240
    assert large[1] == small[1]
