"""Reading an uploaded plan spreadsheet (XLSX or CSV) into rows of text, refusing what we can't.

Every refusal is a ``SpreadsheetError`` whose message says what was wrong and what to do, for
the person who uploaded the file; nothing here raises anything else for bad input.

The work done for any file is bounded *while reading*, not after: an .xlsx is a zip of XML, and a
1 MB file can hold a gigabyte of text or millions of empty cells in one row. So workbooks are not
handed to openpyxl (which loads every shared string and materialises every cell of a row) but
streamed part by part through a hardened XML parser (no DTDs, entities or external references),
counting uncompressed bytes, cells, columns and characters as they go, and stopping at the first
limit passed. ``Limits`` holds the caps; the defaults let a 20,000-row plan through and refuse a
bomb within a second or two and a few megabytes of memory.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from typing import IO, Any

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from csp.spreadsheet_cells import restore

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000


@dataclass(frozen=True)
class Limits:
    """How much of a file we are prepared to read, whatever it claims to hold."""

    max_bytes: int = MAX_BYTES  # the file as uploaded
    max_rows: int = MAX_ROWS  # the last row holding anything
    max_columns: int = 200  # the last column holding anything
    max_cells: int = 1_000_000  # cell elements parsed, empty ones included
    max_strings: int = 250_000  # different texts in the workbook (a 20,000-row plan: tens of
    # thousands)
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_text_chars: int = 30_000_000  # all the text of the workbook's strings together
    max_xml_bytes: int = 150 * 1024 * 1024  # uncompressed XML read from the zip, all parts
    max_element_bytes: int = 1024 * 1024  # the XML of one row, string or style


LIMITS = Limits()


class SpreadsheetError(ValueError):
    """The file cannot be read as a plan spreadsheet; the message says why."""


@dataclass
class Sheet:
    """One sheet of a file, as rows of stripped text, with the names of the file's other sheets."""

    name: str
    rows: list[list[str]]
    sheet_names: list[str] = field(default_factory=list)


def read_rows(name: str, data: bytes, limits: Limits = LIMITS) -> list[list[str]]:
    """The file's "Plan" sheet, or else its first visible sheet, as rows of stripped text."""
    return read_sheet(name, data, limits=limits).rows


def read_sheet(name: str, data: bytes, sheet: str | None = None, limits: Limits = LIMITS) -> Sheet:
    """The sheet called ``sheet`` (by default "Plan", else the first visible one) of the file."""
    if len(data) > limits.max_bytes:
        raise SpreadsheetError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the largest we accept is "
            f"{limits.max_bytes // 1024 // 1024} MB. Split the plan or remove pictures from it."
        )
    if not data:
        raise SpreadsheetError("The file is empty.")
    suffix = PurePath(name or "").suffix.lower()
    if suffix == ".xlsx" or (not suffix and data[:2] == b"PK"):
        result = _XlsxReader(data, limits).read(sheet)
    elif suffix in {".csv", ".txt"}:
        result = Sheet(name="", rows=_csv_rows(data, limits))
    else:
        shown = suffix or "a file without an extension"
        raise SpreadsheetError(
            f"We can't read {shown}: upload an Excel workbook (.xlsx) or a CSV file. "
            "From Word, copy the table into Excel first."
        )
    result.rows = _trimmed(result.rows)
    return result


# ---------------------------------------------------------------------------------------------
# Cells, whichever format they came from
# ---------------------------------------------------------------------------------------------


def _text(value: str, limits: Limits, where: str) -> str:
    if len(value) > limits.max_cell_chars:
        raise SpreadsheetError(
            f"{where} holds {len(value):,} characters; a cell can hold at most "
            f"{limits.max_cell_chars:,}. Shorten it and upload the file again."
        )
    # Our own exports write a text that a spreadsheet would run with a leading apostrophe.
    return restore(value.replace("\r\n", "\n").replace("\x00", "").strip()).strip()


def _number(value: float, percent: bool) -> str:
    if percent:
        value *= 100
    text = str(int(value)) if value.is_integer() else f"{value:.10g}"
    return text + "%" if percent else text


def _when(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time.min else value.isoformat()
    return value.isoformat()


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------

DAMAGED = "Part of this workbook is damaged and can't be read. Open it in Excel and save it again."
NOT_XLSX = (
    "This is not an Excel workbook we can read (.xlsx). If it is an older .xls file or a "
    "password-protected one, open it in Excel and save it as .xlsx."
)
EXCEL_COLUMNS = 16_384  # XFD: no program that writes real spreadsheets goes further
EXCEL_STYLES = 65_490  # Excel's own limit on a workbook's cell formats
_REF = re.compile(r"([A-Z]{1,3})(\d+)$")


def _local(tag: Any) -> str:
    """The element's name without its namespace: transitional and strict OOXML alike."""
    return tag[tag.index("}") + 1 :] if isinstance(tag, str) and tag[:1] == "{" else str(tag)


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


class _Counted(io.RawIOBase):
    """A zip member's bytes, refusing once the workbook's XML budget is spent."""

    def __init__(self, stream: IO[bytes], reader: _XlsxReader) -> None:
        self.stream, self.reader = stream, reader

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.stream.read(min(len(buffer), 1 << 16))
        self.reader.spend_bytes(len(chunk))
        buffer[: len(chunk)] = chunk
        return len(chunk)


class _XlsxReader:
    """One workbook, read part by part within ``Limits``.

    The XML goes through lxml's C parser with everything that makes XML dangerous switched
    off (entity resolution, DTD loading, the network, libxml2's "huge tree" mode), and a part
    that declares a DOCTYPE at all is refused: workbooks never need one. (defusedxml's own
    parser does the same checks but runs in Python, several microseconds per cell; lxml reads
    a 20,000-row plan in about a second.)
    """

    def __init__(self, data: bytes, limits: Limits) -> None:
        self.limits = limits
        self.bytes_read = 0
        self.element_started = 0  # bytes read when the last element we asked for ended
        self.text_chars = 0
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
            raise SpreadsheetError(NOT_XLSX) from error
        self.members = {info.filename.lstrip("/"): info for info in infos}
        if "xl/workbook.xml" not in self.members:
            raise SpreadsheetError(NOT_XLSX)

    # -- budget -------------------------------------------------------------------------------

    def spend_bytes(self, count: int) -> None:
        self.bytes_read += count
        if self.bytes_read > self.limits.max_xml_bytes:
            raise SpreadsheetError(self._too_big())
        # The parser holds the element it is building until it ends: one that goes on for
        # megabytes (a row of a million empty cells) is refused before it is built.
        if self.bytes_read - self.element_started > self.limits.max_element_bytes:
            raise SpreadsheetError(
                "Part of this workbook holds a single row or cell of more than "
                f"{self.limits.max_element_bytes // 1024 // 1024} MB, far more than a plan "
                "holds (often formatting copied to every cell of a row), so we stopped reading "
                "it. Copy the plan's table alone into a new workbook and upload that."
            )

    def _too_big(self) -> str:
        return (
            "This workbook unpacks to more than "
            f"{self.limits.max_xml_bytes // 1024 // 1024} MB of data, far more than a plan "
            "holds, so we stopped reading it. Copy the plan's table alone into a new workbook "
            "and upload that."
        )

    def _spend_text(self, count: int) -> None:
        self.text_chars += count
        if self.text_chars > self.limits.max_text_chars:
            raise SpreadsheetError(
                f"This workbook holds more than {self.limits.max_text_chars:,} characters of "
                "text, far more than a plan holds, so we stopped reading it. Copy the plan's "
                "table alone into a new workbook and upload that."
            )

    def _elements(
        self, path: str, events: tuple[str, ...] = ("end",), tags: tuple[str, ...] | None = None
    ) -> Iterator[tuple[str, Any]]:
        """(event, element) pairs of one XML part, streamed within the budget.

        ``tags`` are local names; both the transitional and the strict namespace are asked for.
        """
        info = self.members.get(path)
        if info is None:
            return
        if self.bytes_read + info.file_size > self.limits.max_xml_bytes:
            raise SpreadsheetError(self._too_big())
        wanted = None
        if tags is not None:
            wanted = [f"{{{ns}}}{tag}" for ns in NAMESPACES for tag in tags]
        self.element_started = self.bytes_read
        try:
            with self.zip.open(info) as raw:
                stream = io.BufferedReader(_Counted(raw, self), buffer_size=1 << 16)
                checked = False
                for event, element in etree.iterparse(
                    stream,
                    events=events,
                    tag=wanted,
                    resolve_entities=False,
                    load_dtd=False,
                    no_network=True,
                    huge_tree=False,
                ):
                    if not checked:
                        if element.getroottree().docinfo.doctype:
                            raise SpreadsheetError(DAMAGED)
                        checked = True
                    yield event, element
                    self.element_started = self.bytes_read
        except SpreadsheetError:
            raise
        except (
            etree.LxmlError,
            zipfile.BadZipFile,
            EOFError,
            OSError,
            ValueError,
            NotImplementedError,  # a compression method zipfile doesn't know
            RuntimeError,  # an encrypted member
        ) as error:
            raise SpreadsheetError(DAMAGED) from error

    # -- the workbook's parts -----------------------------------------------------------------

    def read(self, wanted: str | None) -> Sheet:
        sheets, epoch = self._workbook()
        if not sheets:
            raise SpreadsheetError("This workbook has no sheets.")
        names = [name for name, _, _ in sheets]
        if wanted is not None:
            chosen = next((s for s in sheets if s[0] == wanted), None)
            if chosen is None:
                raise SpreadsheetError(
                    f"The workbook has no sheet called “{wanted}”; its sheets are "
                    + ", ".join(f"“{n}”" for n in names)
                    + "."
                )
        else:
            chosen = next((s for s in sheets if s[0].strip().lower() == "plan"), None)
            chosen = chosen or next((s for s in sheets if s[2]), sheets[0])
        dates, percents = self._styles()
        strings = self._shared_strings()
        rows = self._sheet_rows(chosen[1], strings, dates, percents, epoch)
        return Sheet(name=chosen[0], rows=rows, sheet_names=names)

    def _workbook(self) -> tuple[list[tuple[str, str, bool]], datetime]:
        """Each sheet's (name, path inside the zip, visible), and the workbook's date epoch."""
        targets = {}
        for _, element in self._elements("xl/_rels/workbook.xml.rels"):
            if _local(element.tag) == "Relationship":
                target = element.get("Target", "")
                path = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join("xl", target))
                )
                targets[element.get("Id")] = path
        sheets: list[tuple[str, str, bool]] = []
        epoch = CALENDAR_WINDOWS_1900
        for _, element in self._elements("xl/workbook.xml"):
            name = _local(element.tag)
            if name == "sheet":
                relation = next(
                    (value for key, value in element.attrib.items() if _local(key) == "id"), None
                )
                path = targets.get(relation)
                if path in self.members:
                    visible = element.get("state", "visible") == "visible"
                    sheets.append((element.get("name", ""), path, visible))
            elif name == "workbookPr" and element.get("date1904") in {"1", "true"}:
                epoch = CALENDAR_MAC_1904
        return sheets, epoch

    def _styles(self) -> tuple[set[int], set[int]]:
        """Which cell styles (by index) show a number as a date, and which as a percentage."""
        formats: dict[int, str] = dict(BUILTIN_FORMATS)
        styles: list[int] = []
        for _, element in self._elements("xl/styles.xml", tags=("numFmt", "xf")):
            if _local(element.tag) == "numFmt":
                with contextlib.suppress(ValueError):
                    formats[int(element.get("numFmtId", ""))] = element.get("formatCode", "")
            elif _local(element.getparent().tag) == "cellXfs":
                given = element.get("numFmtId", "0")
                styles.append(int(given) if given.isdigit() else 0)
                if len(styles) > EXCEL_STYLES:
                    raise SpreadsheetError(DAMAGED)
            element.clear()
        dates, percents = set(), set()
        for index, format_id in enumerate(styles):
            code = formats.get(format_id, "General")
            if is_date_format(code):
                dates.add(index)
            elif "%" in re.sub(r'"[^"]*"|\\.', "", code):
                percents.add(index)
        return dates, percents

    def _shared_strings(self) -> list[str]:
        strings: list[str] = []
        limit = self.limits.max_strings
        for _, element in self._elements("xl/sharedStrings.xml", tags=("si",)):
            first = element[0] if len(element) == 1 else None
            text = (first.text or "") if first is not None and first.tag in _T else _string(element)
            self._spend_text(len(text))
            strings.append(text)
            if len(strings) > limit:
                raise SpreadsheetError(
                    f"This workbook holds more than {limit:,} different pieces of text, far "
                    "more than a plan holds, so we stopped reading it. Copy the plan's table "
                    "alone into a new workbook and upload that."
                )
            element.clear()
            if len(strings) % 512 == 0:  # drop the items read, a batch at a time
                while element.getprevious() is not None:
                    del element.getparent()[0]
        return strings

    def _sheet_rows(
        self,
        path: str,
        strings: list[str],
        dates: set[int],
        percents: set[int],
        epoch: datetime,
    ) -> list[list[str]]:
        limits = self.limits
        found: dict[int, list[str]] = {}
        cells_seen = 0
        row_number = 0
        # Whole rows, each dropped once read; ``spend_bytes`` refuses a row too long to hold.
        # Empty cells (styled, with no value) cost one length check each.
        for _, row in self._elements(path, tags=("row",)):
            given = row.get("r")
            row_number = int(given) if given and given.isdigit() else row_number + 1
            count = len(row)
            cells_seen += count
            if cells_seen > limits.max_cells or count > EXCEL_COLUMNS:
                found_where = (
                    f"This sheet has more than {limits.max_cells:,} cells"
                    if cells_seen > limits.max_cells
                    else f"Row {row_number:,} has more than {EXCEL_COLUMNS:,} cells"
                )
                raise SpreadsheetError(
                    f"{found_where}, far more than a plan holds (often formatting copied to "
                    "every cell), so we stopped reading it. Copy the plan's table alone into a "
                    "new workbook and upload that."
                )
            current: dict[int, str] = {}
            column = -1
            skipped = None  # the reference of the last empty cell, placed only when needed
            for cell in row:
                reference = cell.get("r")
                if not len(cell):  # no value
                    skipped, column = (reference, column) if reference else (None, column + 1)
                    continue
                match = _REF.match(reference) if reference else None
                if match:
                    column = _column_index(match.group(1))
                else:
                    before = _REF.match(skipped) if skipped else None
                    column = (_column_index(before.group(1)) if before else column) + 1
                skipped = None
                value = self._value(cell, strings, dates, percents, epoch, reference, column)
                if not value:
                    continue
                if column >= limits.max_columns:
                    where = reference or f"in column {_letter(column)}"
                    raise SpreadsheetError(
                        f"Cell {where} holds data, but we read only the first "
                        f"{limits.max_columns} columns (up to "
                        f"{_letter(limits.max_columns - 1)}). Move the plan's table to the "
                        "left or delete what is beyond it."
                    )
                current[column] = value
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]
            if not current:
                continue
            if row_number > limits.max_rows:
                raise SpreadsheetError(
                    f"Row {row_number:,} holds data; the most rows we accept is "
                    f"{limits.max_rows:,}. Split the plan into several files."
                )
            values = [""] * (max(current) + 1)
            for index, value in current.items():
                values[index] = value
            found[row_number] = values
        if not found:
            return []
        return [found.get(number, []) for number in range(1, max(found) + 1)]

    def _value(
        self,
        cell: Any,
        strings: list[str],
        dates: set[int],
        percents: set[int],
        epoch: datetime,
        reference: str | None,
        column: int,
    ) -> str:
        kind = cell.get("t", "n")
        where = f"Cell {reference or _letter(column)}"
        raw = None
        inline = None
        for child in cell:
            if child.tag in _V:
                raw = child.text
            elif child.tag in _IS:
                inline = _string(child)
        if kind == "inlineStr":
            text = inline or ""
            self._spend_text(len(text))
            return _text(text, self.limits, where)
        if raw is None:
            return ""
        if kind == "s":
            try:
                return _text(strings[int(raw)], self.limits, where)
            except (ValueError, IndexError) as error:
                raise SpreadsheetError(DAMAGED) from error
        if kind in {"str", "e"}:
            self._spend_text(len(raw))
            return _text(raw, self.limits, where)
        if kind == "b":
            return "TRUE" if raw.strip() in {"1", "true"} else "FALSE"
        if kind == "d":
            try:
                return _when(datetime.fromisoformat(raw.strip()))
            except ValueError:
                return _text(raw, self.limits, where)
        try:
            number = float(raw)
        except ValueError:
            return _text(raw, self.limits, where)
        if math.isnan(number) or math.isinf(number):
            return ""
        given_style = cell.get("s") or "0"
        style = int(given_style) if given_style.isdigit() else 0
        if style in dates:
            try:
                when = from_excel(number, epoch)
            except (ValueError, OverflowError):
                return _number(number, False)
            if when is None or isinstance(when, timedelta):
                return _number(number, False)
            return _when(when)
        return _number(number, style in percents)


NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
    "http://schemas.openxmlformats.org/package/2006/relationships",
)


_V = {f"{{{ns}}}v" for ns in NAMESPACES}
_T = {f"{{{ns}}}t" for ns in NAMESPACES}
_IS = {f"{{{ns}}}is" for ns in NAMESPACES}


def _string(element: Any) -> str:
    """The text of a string item: its own <t>, or its runs' <t>s, without phonetic readings."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def _csv_rows(data: bytes, limits: Limits) -> list[list[str]]:
    if b"\x00" in data:
        raise SpreadsheetError(
            "This file holds binary data, not text: save the sheet as CSV (UTF-8) and try again."
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SpreadsheetError(
            'The file\'s characters could not be read. Save it from Excel as "CSV UTF-8".'
        )
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[str]] = []
    cells_seen = 0
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            cells_seen += len(row)
            if cells_seen > limits.max_cells:
                raise SpreadsheetError(
                    f"This file has more than {limits.max_cells:,} cells, far more than a plan "
                    "holds, so we stopped reading it."
                )
            while row and not row[-1].strip():
                row.pop()
            if len(row) > limits.max_columns:
                raise SpreadsheetError(
                    f"Row {number:,} holds data in column {len(row)} "
                    f"({_letter(len(row) - 1)}), but we read only the first "
                    f"{limits.max_columns} columns. Delete what is beyond the plan's table."
                )
            if row and number > limits.max_rows:
                raise SpreadsheetError(
                    f"The file has more than {limits.max_rows:,} rows; the most we accept is "
                    f"{limits.max_rows:,}. Split the plan into several files."
                )
            rows.append(
                [
                    _text(cell, limits, f"Row {number}, column {_letter(index)}")
                    for index, cell in enumerate(row)
                ]
            )
    except csv.Error as error:
        if "field larger than field limit" in str(error):  # csv's own cap, 131,072
            raise SpreadsheetError(
                f"A cell holds more than {limits.max_cell_chars:,} characters; a cell can hold "
                "at most that many. Shorten it and upload the file again."
            ) from error
        raise SpreadsheetError(f"The CSV file is malformed: {error}.") from error
    return rows


def _trimmed(rows: list[list[str]]) -> list[list[str]]:
    """Without trailing empty cells and rows (spreadsheets report formatted blank ones)."""
    out = []
    for row in rows:
        while row and row[-1] == "":
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out
