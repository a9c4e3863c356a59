"""Workbooks written part by part, as a hostile or unusual program might write them.

openpyxl only writes well-behaved files; the reader must also survive files that claim one thing
and hold another. ``workbook(...)`` builds a minimal .xlsx from its XML parts, streaming any
part given as an iterable of byte chunks, so a test can make a gigabyte-sized part that takes a
megabyte on disk.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def sheet_xml(rows: Iterable[str]) -> Iterable[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
    for row in rows:
        yield row.encode()
    yield b"</sheetData></worksheet>"


def shared_strings_xml(strings: Iterable[str]) -> Iterable[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()
    for text in strings:
        yield f"<si><t>{text}</t></si>".encode()
    yield b"</sst>"


def workbook(
    sheets: dict[str, Iterable[bytes] | bytes],
    *,
    shared_strings: Iterable[bytes] | bytes | None = None,
    styles: bytes | None = None,
    extra: dict[str, bytes] | None = None,
    hidden: Iterable[str] = (),
) -> bytes:
    hidden = set(hidden)
    entries = "".join(
        f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"'
        + (' state="hidden"' if name in hidden else "")
        + "/>"
        for n, name in enumerate(sheets, start=1)
    )
    relations = "".join(
        f'<Relationship Id="rId{n}" Type="{RELS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>{entries}</sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{relations}</Relationships>",
        )
        for n, part in enumerate(sheets.values(), start=1):
            _write(archive, f"xl/worksheets/sheet{n}.xml", part)
        if shared_strings is not None:
            _write(archive, "xl/sharedStrings.xml", shared_strings)
        if styles is not None:
            archive.writestr("xl/styles.xml", styles)
        for path, data in (extra or {}).items():
            archive.writestr(path, data)
    return buffer.getvalue()


def _write(archive: zipfile.ZipFile, path: str, part: Iterable[bytes] | bytes) -> None:
    if isinstance(part, bytes):
        archive.writestr(path, part)
        return
    with archive.open(path, "w", force_zip64=True) as handle:
        for chunk in part:
            handle.write(chunk)


def repeated(chunk: bytes, times: int) -> Iterable[bytes]:
    for _ in range(times):
        yield chunk


def lie_about_size(data: bytes, path: str, claimed: int) -> bytes:
    """The same zip, whose directory says ``path`` unpacks to ``claimed`` bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            target.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED)
    patched = bytearray(out.getvalue())
    # Rewrite the uncompressed size in the central directory entry (offset 24 from its
    # signature) and in the local header (offset 22): what a hand-made bomb would do.
    name = path.encode()
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (start := patched.find(signature, start)) != -1:
            name_at = start + (46 if signature == b"PK\x01\x02" else 30)
            if patched[name_at : name_at + len(name)] == name:
                patched[start + offset : start + offset + 4] = claimed.to_bytes(4, "little")
            start += 4
    return bytes(patched)
