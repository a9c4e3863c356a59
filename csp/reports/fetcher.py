"""What WeasyPrint may read while it makes a PDF: ``data:`` URIs and the project's static files.

WeasyPrint's own fetcher opens whatever URL a document names: ``file:///etc/passwd``, a server
on the internal network, anything on the internet. The report templates escape what people
typed, so no such URL is known to get in, but nothing stopped one that did. ``StaticOnlyFetcher``
answers ``data:`` URIs (the status chart) and files that Django's staticfiles finders or the
collected static storage hold, read from disk, never over the network; anything else is
refused, logged, and left out of the PDF as a broken image would be.

A template refers to a static file by the ``file:`` URI ``static_file_url`` gives. A ``file:``
URL is read only if it lies in a static folder as written (a ``..`` is refused) and is the very
file the finders give for that name: what the site would serve at ``/static/`` anyway.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)


class RefusedURL(ValueError):
    """A URL the PDF may not read; WeasyPrint logs it and leaves the resource out."""


def static_file_url(name: str) -> str:
    """The URI under which a PDF reads the static file ``name`` (e.g. ``"img/logo.png"``)."""
    path = _find(name)
    if path is None:
        raise LookupError(f"No static file named {name!r}")
    return path.as_uri()


def _find(name: str) -> Path | None:
    """Where the static file ``name`` is: as the finders find it, else as collected."""
    found = finders.find(name)
    if isinstance(found, list):  # only when asked for all; kept for the type checker
        found = found[0] if found else None
    if found:
        return Path(os.path.normpath(found))
    if settings.STATIC_ROOT and staticfiles_storage.exists(name):
        return Path(os.path.normpath(staticfiles_storage.path(name)))
    return None


def _static_folders() -> list[tuple[str, Path]]:
    """Every folder static files are found in, with the prefix its files' names carry."""
    folders: list[tuple[str, Path]] = []
    for finder in finders.get_finders():
        for prefix, root in getattr(finder, "locations", []):  # FileSystemFinder
            folders.append((prefix, Path(os.path.normpath(root))))
        for storage in getattr(finder, "storages", {}).values():  # AppDirectoriesFinder
            prefix = getattr(storage, "prefix", None) or ""
            folders.append((prefix, Path(os.path.normpath(storage.location))))
    if settings.STATIC_ROOT:
        folders.append(("", Path(os.path.normpath(settings.STATIC_ROOT))))
    return folders


def static_file(url: str) -> Path | None:
    """The static file a ``file:`` URL names, or ``None`` if it names anything else.

    The path must lie in a static folder as written (no ``..``) and be the very file the
    finders give for its name there: what the site itself would serve as that static file.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in {"", "localhost"}:
        return None
    raw = unquote(parts.path)
    if "\0" in raw or ".." in Path(raw).parts or not raw.startswith("/"):
        return None
    path = Path(os.path.normpath(raw))
    for prefix, folder in _static_folders():
        if not path.is_relative_to(folder):
            continue
        name = "/".join(filter(None, [prefix, path.relative_to(folder).as_posix()]))
        if _find(name) == path and path.is_file():
            return path
    return None


class StaticOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher, for ``data:`` URIs and the project's static files only."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=5)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        path = static_file(url)
        if path is not None:
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": kind}
            )
        logger.warning(
            "Refused to read %s for a PDF: only data: URIs and static files are allowed",
            url[:300],
        )
        raise RefusedURL(f"Not a data: URI or a static file: {url[:300]}")
