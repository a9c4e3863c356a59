"""Reading a spreadsheet does bounded work, whatever the file claims or holds.

Each hostile file is made here, small on disk: a zip whose shared strings unpack to far more
than a plan holds, one that lies about its sizes, a row of millions of empty cells, data far to
the right or far down, a cell longer than Excel allows, XML with entity definitions, broken XML.
Each must be refused with a message, quickly, without the memory it asks for.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from csp.importers.reader import LIMITS, Limits, SpreadsheetError, read_rows, read_sheet
from csp.models import Plan
from tests.xlsx_parts import (
    lie_about_size,
    repeated,
    sheet_xml,
    workbook,
)

HEADINGS_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Priority</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Strategic objective</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>Action</t></is></c></row>'
)


MEASURE = """
import resource, sys
from csp.importers.reader import SpreadsheetError, read_rows
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_rows("plan.xlsx", data)
except SpreadsheetError as error:
    print(error)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def refused_quickly(data: bytes, match: str, *, seconds: float = 5.0, megabytes: int = 100):
    """Reading ``data`` is refused with ``match`` within the processor time given (not the
    wall clock, which other work on a shared machine stretches), and, in a process of its own,
    without growing by more than ``megabytes``."""
    started = time.process_time()
    with pytest.raises(SpreadsheetError, match=match):
        read_rows("plan.xlsx", data)
    elapsed = time.process_time() - started
    assert elapsed < seconds, f"took {elapsed:.1f} s of processor time"
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        handle.write(data)
        handle.flush()
        result = subprocess.run(
            [sys.executable, "-c", MEASURE, handle.name],
            capture_output=True,
            text=True,
            check=True,
            cwd=settings.BASE_DIR,
        )
    message, grown = result.stdout.strip().rsplit("\n", 1)
    assert re.search(match, message)
    assert int(grown) < megabytes * 1024, f"grew by {int(grown) / 1024:.0f} MB"


def shared_strings_bomb(megabytes: int) -> bytes:
    chunk = b"<si><t>" + b"A" * 1000 + b"</t></si>"
    return workbook(
        {"Plan": sheet_xml([HEADINGS_ROW])},
        shared_strings=(
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
            *repeated(chunk * 1000, megabytes),
            b"</sst>",
        ),
    )


# -- what a real workbook holds is read as it shows ----------------------------------------------


def test_dates_times_percentages_and_booleans_read_as_excel_shows_them():
    book = Workbook()
    sheet = book.active
    sheet.title = "Plan"
    sheet.append(["Action", "Timescale", "Period", "Figure", "Count", "Done", "Share"])
    sheet.append(
        ["Visit", date(2017, 3, 31), datetime(2019, 12, 31, 0, 0), 0.85, 1200, True, 0.125]
    )
    sheet["D2"].number_format = "0%"
    sheet["G2"].number_format = "0.0%"
    sheet["E2"].number_format = "#,##0"
    sheet.append(["Meet", datetime(2020, 6, 30, 14, 30), "", 3.5, -2, False, ""])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = read_rows("plan.xlsx", buffer.getvalue())
    assert rows[1] == ["Visit", "2017-03-31", "2019-12-31", "85%", "1200", "TRUE", "12.5%"]
    assert rows[2] == ["Meet", "2020-06-30T14:30:00", "", "3.5", "-2", "FALSE"]


def test_inline_rich_and_phonetic_text_and_formula_results_are_read():
    sheet = sheet_xml(
        [
            HEADINGS_ROW,
            '<row r="2"><c r="A2" t="s"><v>0</v></c>'
            '<c r="B2" t="str"><f>CONCAT("a","b")</f><v>ab</v></c>'
            '<c r="C2" t="e"><v>#N/A</v></c></row>',
            # Row 3 left out by the file: rows keep the sheet's own numbers.
            '<row r="4"><c r="C4" t="inlineStr"><is><r><t>Bold </t></r><r><t>and plain</t></r>'
            "</is></c></row>",
        ]
    )
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><r><t>Safer </t></r><r><t>streets</t></r><rPh><t>PHONETIC</t></rPh></si></sst>"
    )
    rows = read_rows("plan.xlsx", workbook({"Plan": sheet}, shared_strings=strings))
    assert rows[1] == ["Safer streets", "ab", "#N/A"]
    assert rows[2] == []
    assert rows[3] == ["", "", "Bold and plain"]


def test_the_plan_sheet_is_chosen_else_the_first_visible_one():
    cover = b"".join(
        sheet_xml(['<row r="1"><c r="A1" t="inlineStr"><is><t>Cover</t></is></c></row>'])
    )
    data = workbook({"Hidden": cover, "Front": cover, "Plan": sheet_xml([HEADINGS_ROW])})
    assert read_sheet("plan.xlsx", data).name == "Plan"
    data = workbook({"Hidden": cover, "Front": cover}, hidden=["Hidden"])
    sheet = read_sheet("plan.xlsx", data)
    assert sheet.name == "Front"
    assert sheet.sheet_names == ["Hidden", "Front"]
    assert read_sheet("plan.xlsx", data, sheet="Hidden").rows == [["Cover"]]
    with pytest.raises(SpreadsheetError, match="no sheet called “Actions”; its sheets are"):
        read_sheet("plan.xlsx", data, sheet="Actions")


def test_styled_empty_rows_down_to_excels_last_row_are_not_data():
    rows = [HEADINGS_ROW, '<row r="1048576"><c r="A1048576" s="1"/></row>']
    assert read_rows("plan.xlsx", workbook({"Plan": sheet_xml(rows)})) == [
        ["Priority", "Strategic objective", "Action"]
    ]


# -- bombs and oversize content are refused, quickly and in little memory -----------------------


def test_shared_strings_unpacking_to_more_than_the_budget_are_refused_before_reading():
    data = shared_strings_bomb(LIMITS.max_xml_bytes // 1_000_000 + 10)
    assert len(data) < 3 * 1024 * 1024
    refused_quickly(data, "unpacks to more than 150 MB")


def test_a_zip_that_understates_its_sizes_is_stopped_where_it_claimed_to_end():
    honest = shared_strings_bomb(60)
    data = lie_about_size(honest, "xl/sharedStrings.xml", 1000)
    refused_quickly(data, "damaged")


def test_more_text_than_a_plan_holds_is_refused_while_reading():
    data = shared_strings_bomb(3)
    with pytest.raises(SpreadsheetError, match="more than 1,000,000 characters of text"):
        read_rows("plan.xlsx", data, limits=Limits(max_text_chars=1_000_000))


def test_a_row_of_millions_of_empty_cells_is_refused_before_it_is_built():
    row = '<row r="2">' + '<c s="1"/>' * 2_000_000 + "</row>"
    data = workbook({"Plan": sheet_xml([HEADINGS_ROW, row])})
    assert len(data) < 300_000
    refused_quickly(data, "a single row or cell of more than 1 MB", megabytes=50)


def test_a_row_of_more_cells_than_excel_has_columns_is_refused():
    row = '<row r="2">' + "<c/>" * 20_000 + "</row>"
    with pytest.raises(SpreadsheetError, match="Row 2 has more than 16,384 cells"):
        read_rows("plan.xlsx", workbook({"Plan": sheet_xml([HEADINGS_ROW, row])}))


def test_empty_cells_placed_by_reference_still_place_their_neighbours():
    row = '<row r="2"><c r="B2" s="1"/><c t="inlineStr"><is><t>third</t></is></c></row>'
    rows = read_rows("plan.xlsx", workbook({"Plan": sheet_xml([HEADINGS_ROW, row])}))
    assert rows[1] == ["", "", "third"]


def test_millions_of_cells_over_many_rows_are_refused_at_the_cell_budget():
    row = "<row>" + '<c s="1"/>' * 10_000 + "</row>"
    data = workbook({"Plan": sheet_xml([HEADINGS_ROW, *([row] * 200)])})
    with pytest.raises(SpreadsheetError, match="more than 100,000 cells"):
        read_rows("plan.xlsx", data, limits=Limits(max_cells=100_000))
    refused_quickly(data, "more than 1,000,000 cells", megabytes=50)


def test_data_beyond_the_columns_we_read_names_its_cell():
    row = '<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="HZ2"><v>1</v></c></row>'
    with pytest.raises(
        SpreadsheetError, match="Cell HZ2 holds data, but we read only the first 200"
    ):
        read_rows("plan.xlsx", workbook({"Plan": sheet_xml([HEADINGS_ROW, row])}))


def test_data_far_below_the_rows_we_read_is_refused_without_making_the_rows_between():
    row = '<row r="900000"><c r="A900000" t="inlineStr"><is><t>x</t></is></c></row>'
    data = workbook({"Plan": sheet_xml([HEADINGS_ROW, row])})
    refused_quickly(data, "Row 900,000 holds data; the most rows we accept is 20,000")


def test_a_cell_longer_than_excel_allows_is_refused_naming_it():
    row = f'<row r="2"><c r="B2" t="inlineStr"><is><t>{"x" * 40_000}</t></is></c></row>'
    with pytest.raises(SpreadsheetError, match="Cell B2 holds 40,000 characters"):
        read_rows("plan.xlsx", workbook({"Plan": sheet_xml([HEADINGS_ROW, row])}))


def test_xml_with_entity_definitions_is_refused_not_expanded():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
        b'<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;</t></si></sst>"
    )
    data = workbook({"Plan": sheet_xml([HEADINGS_ROW])}, shared_strings=laughs)
    refused_quickly(data, "damaged", megabytes=10)


def test_an_external_entity_is_never_fetched():
    sheet = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    with pytest.raises(SpreadsheetError, match="damaged"):
        read_rows("plan.xlsx", workbook({"Plan": sheet}))


@pytest.mark.parametrize(
    "part",
    [
        b"<worksheet><sheetData><row><c><v>1</v></row></sheetData>",  # unclosed cell
        b"\xff\xfe not xml at all",
        b"",
    ],
)
def test_malformed_xml_is_a_message_not_a_crash(part):
    with pytest.raises(SpreadsheetError, match="damaged"):
        read_rows("plan.xlsx", workbook({"Plan": part}))


def test_a_shared_string_index_out_of_range_is_damage():
    row = '<row r="2"><c r="A2" t="s"><v>7</v></c></row>'
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"></sst>'
    with pytest.raises(SpreadsheetError, match="damaged"):
        read_rows(
            "plan.xlsx", workbook({"Plan": sheet_xml([HEADINGS_ROW, row])}, shared_strings=strings)
        )


def test_a_zip_without_a_workbook_is_not_a_workbook():
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(SpreadsheetError, match="not an Excel workbook"):
        read_rows("plan.xlsx", buffer.getvalue())


# -- CSV has the same limits ---------------------------------------------------------------


def test_a_csv_line_of_millions_of_commas_is_refused():
    data = b"Priority,Strategic objective,Action\n" + b"," * 2_000_000 + b"x\n"
    with pytest.raises(SpreadsheetError, match="more than 1,000,000 cells"):
        read_rows("plan.csv", data)


def test_a_csv_with_data_beyond_the_columns_we_read_says_where():
    data = b"Priority,Strategic objective,Action\n" + b"a," * 250 + b"x\n"
    with pytest.raises(SpreadsheetError, match="Row 2 holds data in column 251"):
        read_rows("plan.csv", data)


def test_a_csv_cell_longer_than_excel_allows_is_refused():
    data = b"Priority,Strategic objective,Action\na,b," + b"x" * 40_000 + b"\n"
    with pytest.raises(SpreadsheetError, match="Row 2, column C holds 40,000 characters"):
        read_rows("plan.csv", data)
    data = b"Priority,Strategic objective,Action\na,b," + b"x" * 200_000 + b"\n"
    with pytest.raises(SpreadsheetError, match="a cell can hold at most"):
        read_rows("plan.csv", data)


def test_trailing_empty_csv_columns_are_not_data():
    data = b"Priority,Strategic objective,Action" + b"," * 500 + b"\na,b,c" + b"," * 500 + b"\n"
    assert read_rows("plan.csv", data) == [
        ["Priority", "Strategic objective", "Action"],
        ["a", "b", "c"],
    ]


# -- the command line and the web refuse bombs the same way --------------------------------


def test_the_command_refuses_a_bomb_and_writes_nothing(tmp_path, cast):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(shared_strings_bomb(160))
    started = time.process_time()
    with pytest.raises(CommandError, match="unpacks to more than 150 MB"):
        call_command(
            "import_plan", str(path), partnership="castle", plan="new", year=2016, stdout=StringIO()
        )
    assert (
        time.process_time() - started < 5
    )  # the figure itself (≤ 2 s) is measured by bench/upload_bombs.py
    assert not Plan.objects.filter(slug="new").exists()


def test_the_web_upload_refuses_a_bomb_and_keeps_nothing(alice, cast, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("bomb.xlsx", shared_strings_bomb(160))
    started = time.process_time()
    response = alice.post(
        f"/partnerships/{cast.castle.slug}/import/", {"file": upload, "title": "Bomb plan"}
    )
    assert time.process_time() - started < 5
    assert response.status_code == 200
    assert "unpacks to more than 150 MB" in response.content.decode()
    assert not list(tmp_path.rglob("*.xlsx"))


def test_millions_of_tiny_texts_are_refused_before_they_fill_memory():
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
        *repeated(b"<si><t>ab</t></si>" * 10_000, 30),
        b"</sst>",
    )
    data = workbook({"Plan": sheet_xml([HEADINGS_ROW])}, shared_strings=strings)
    refused_quickly(data, "more than 250,000 different pieces of text", megabytes=100)


def test_more_cell_formats_than_excel_allows_is_damage():
    xf = b'<xf numFmtId="0"/>'
    styles = (
        b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<cellXfs>" + xf * 70_000 + b"</cellXfs></styleSheet>"
    )
    with pytest.raises(SpreadsheetError, match="damaged"):
        read_rows("plan.xlsx", workbook({"Plan": sheet_xml([HEADINGS_ROW])}, styles=styles))
