"""CSV and Excel exports of the action list: its rows, all pages, with the period's updates."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from csp.exports import CHUNK
from csp.models import UpdateState, UpdateStatus
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
