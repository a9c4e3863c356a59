"""Files attached to updates as evidence: what may be attached, and attaching it.

A file is taken for what its first bytes say it is, not for its name or what the browser
claims: a PDF, a PNG, JPEG or GIF image, a Word, Excel or PowerPoint file (OOXML or 97–2003),
or an OpenDocument file; anything else is refused by name. It may be at most
``EVIDENCE_MAX_MB``; an upload is cut off as soon as one file passes that (``LimitedUploads``),
so a huge file never reaches the disk whole. An update holds at most ``MAX_PER_UPDATE`` files.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

from csp.models import Evidence, QuarterlyUpdate
from csp.models.cycle import EVIDENCE_TYPES

MAX_PER_UPDATE = 10
# Office files are zip archives: which of their parts says which kind each is.
_OOXML_PARTS = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}
_ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
_OLE_SUFFIXES = {".doc": "doc", ".xls": "xls", ".ppt": "ppt"}


def max_bytes() -> int:
    return int(settings.EVIDENCE_MAX_MB) * 1024 * 1024


def sniff(upload: UploadedFile) -> str | None:
    """The kind of file ``upload`` is (a key of ``EVIDENCE_TYPES``), or ``None``."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # An OLE compound file: Word, Excel and PowerPoint 97–2003 alike; the name tells which.
        name = (upload.name or "").lower()
        return next((k for s, k in _OLE_SUFFIXES.items() if name.endswith(s)), None)
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(upload)
    return None


def _zip_kind(upload: UploadedFile) -> str | None:
    """Which office format a zip archive is, read from its list of parts (never unpacked)."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return None
                return _ODF_TYPES.get(archive.read("mimetype").decode("ascii", "replace").strip())
            if "[Content_Types].xml" in names:
                for prefix, kind in _OOXML_PARTS.items():
                    if any(n.startswith(prefix) for n in names):
                        return kind
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return None
    finally:
        upload.seek(0)
    return None


@dataclass
class Refusal:
    name: str
    why: str

    def __str__(self) -> str:
        return f"{self.name} was not attached: {self.why}"


def check(upload: UploadedFile, update: QuarterlyUpdate | None, already: int) -> str | Refusal:
    """The kind of ``upload`` if it may be attached (``already`` files are there), else why not."""
    name = _display_name(upload.name)
    if getattr(upload, "csp_too_big", False) or upload.size > max_bytes():
        return Refusal(name, f"it is larger than {settings.EVIDENCE_MAX_MB} MB.")
    if upload.size == 0:
        return Refusal(name, "it is empty.")
    if already >= MAX_PER_UPDATE:
        return Refusal(name, f"an update can have at most {MAX_PER_UPDATE} files.")
    kind = sniff(upload)
    if kind is None:
        allowed = "PDF, images (PNG, JPEG, GIF), Word, Excel, PowerPoint or OpenDocument files"
        return Refusal(name, f"only {allowed} can be attached.")
    return kind


def attach(
    update: QuarterlyUpdate, uploads: list[UploadedFile], user: Any
) -> tuple[list[Evidence], list[Refusal]]:
    """Attach each of ``uploads`` that may be, through the storage API; say why not the others."""
    attached: list[Evidence] = []
    refused: list[Refusal] = []
    count = update.evidence.count()
    for upload in uploads:
        verdict = check(upload, update, count)
        if isinstance(verdict, Refusal):
            refused.append(verdict)
            continue
        evidence = Evidence(
            update=update,
            name=_display_name(upload.name),
            kind=verdict,
            size=upload.size,
            uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        evidence.file.save(EVIDENCE_TYPES[verdict][0], upload, save=False)
        evidence.save()
        attached.append(evidence)
        count += 1
    return attached, refused


def _display_name(name: str | None) -> str:
    """The uploaded file's own name, without any folder a browser sent, at most 200 chars."""
    base = (name or "file").replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    cleaned = "".join(c for c in base if c.isprintable())
    return cleaned[-200:] or "file"


class LimitedUploads(FileUploadHandler):
    """Stops reading a file as soon as it passes ``EVIDENCE_MAX_MB``: the rest of it is skipped,
    and the file arrives empty, marked ``csp_too_big`` for ``check`` to refuse by name.

    Put first in a request's upload handlers (``request.upload_handlers.insert(0, …)``) before
    anything reads its POST data.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = max_bytes()
        self.seen = 0
        self.too_big: list[str] = []

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.seen = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.seen += len(raw_data)
        if self.seen > self.limit:
            self.too_big.append(self.file_name or "file")
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def too_big(request: HttpRequest) -> list[Refusal]:
    """The files the request's ``LimitedUploads`` cut off, as refusals to show."""
    handlers = getattr(request, "upload_handlers", [])
    names = [name for h in handlers if isinstance(h, LimitedUploads) for name in h.too_big]
    return [
        Refusal(_display_name(n), f"it is larger than {settings.EVIDENCE_MAX_MB} MB.")
        for n in names
    ]


__all__ = ["MAX_PER_UPDATE", "LimitedUploads", "Refusal", "attach", "check", "sniff", "too_big"]
