"""Reading an uploaded plan spreadsheet (XLSX or CSV) into rows of text, refusing what we can't.

Every refusal is a ``SpreadsheetError`` whose message says what was wrong and what to do, for
the person who uploaded the file; nothing here raises anything else for bad input.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import PurePath

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000


class SpreadsheetError(ValueError):
    """The file cannot be read as a plan spreadsheet; the message says why."""


def read_rows(name: str, data: bytes) -> list[list[str]]:
    """The file's first sheet (or its "Plan" sheet) as rows of stripped text."""
    if len(data) > MAX_BYTES:
        raise SpreadsheetError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the largest we accept is "
            f"{MAX_BYTES // 1024 // 1024} MB. Split the plan or remove pictures from it."
        )
    if not data:
        raise SpreadsheetError("The file is empty.")
    suffix = PurePath(name or "").suffix.lower()
    if suffix == ".xlsx" or (not suffix and data[:2] == b"PK"):
        rows = _xlsx_rows(data)
    elif suffix in {".csv", ".txt"}:
        rows = _csv_rows(data)
    else:
        shown = suffix or "a file without an extension"
        raise SpreadsheetError(
            f"We can't read {shown}: upload an Excel workbook (.xlsx) or a CSV file. "
            "From Word, copy the table into Excel first."
        )
    if len(rows) > MAX_ROWS:
        raise SpreadsheetError(
            f"The file has {len(rows):,} rows; the most we accept is {MAX_ROWS:,}."
        )
    return rows


def _cell(value: object) -> str:
    # Imported here only while the rest of this module is being rewritten elsewhere.
    from csp.spreadsheet_cells import restore

    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    # Our own exports write a text that looks like a formula with a leading apostrophe.
    text = str(value).replace("\r\n", "\n").replace("\x00", "").strip()
    return restore(text).strip()


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        OSError,
        ValueError,
        TypeError,
    ) as error:
        raise SpreadsheetError(
            "This is not an Excel workbook we can read (.xlsx). If it is an older .xls file or a "
            "password-protected one, open it in Excel and save it as .xlsx."
        ) from error
    try:
        sheet = workbook["Plan"] if "Plan" in workbook.sheetnames else workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell(value) for value in row])
            if len(rows) > MAX_ROWS:
                break
    except Exception as error:  # a corrupt part inside a well-formed zip
        raise SpreadsheetError("Part of this workbook is damaged and can't be read.") from error
    finally:
        workbook.close()
    return _trimmed(rows)


def _csv_rows(data: bytes) -> list[list[str]]:
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
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [[_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as error:
        raise SpreadsheetError(f"The CSV file is malformed: {error}.") from error
    return _trimmed(rows)


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
