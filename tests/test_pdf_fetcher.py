"""WeasyPrint reads only data: URIs and the project's static files while it makes a PDF.

With its default fetcher, a ``<link>`` or ``<img>`` naming ``file:///etc/passwd`` or an
internal server would have been read into the PDF; nothing in the templates is known to let
one in, but nothing stopped one either (issue 13, item 11).
"""

from __future__ import annotations

import base64
import io
import logging
import socket
from pathlib import Path

import pytest
from django.test import override_settings
from pypdf import PdfReader

from csp.reports import fetcher
from csp.reports.fetcher import RefusedURL, StaticOnlyFetcher, static_file, static_file_url
from csp.reports.render import html_to_pdf

# A one-pixel PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
LIBERATION_SERIF = Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf")


@pytest.fixture
def static(tmp_path):
    """A static folder of our own (a stylesheet, an image, a font) and a secret outside it."""
    folder = tmp_path / "static"
    (folder / "img").mkdir(parents=True)
    (folder / "css").mkdir()
    (folder / "img" / "pixel.png").write_bytes(PIXEL)
    (folder / "css" / "report.css").write_text('p.mark::after { content: " STATIC-CSS-LOADED"; }')
    if LIBERATION_SERIF.exists():
        (folder / "fonts").mkdir()
        (folder / "fonts" / "serif.ttf").write_bytes(LIBERATION_SERIF.read_bytes())
    secret = tmp_path / "secret.css"
    secret.write_text('p.mark::after { content: " SECRET-LEAKED"; }')
    with override_settings(STATICFILES_DIRS=[str(folder)], STATIC_ROOT=None):
        yield folder


@pytest.fixture
def no_network(monkeypatch):
    """Records every attempt to open a connection (and refuses it)."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", lambda self, *a: refuse(*a))
    return attempts


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def document(*body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><title>Test</title>'
        + "".join(b for b in body if b.startswith("<link"))
        + "</head><body><p class='mark'>Marked</p>"
        + "".join(b for b in body if not b.startswith("<link"))
        + "</body></html>"
    )


# The fetcher itself


def test_a_data_uri_is_read():
    response = StaticOnlyFetcher()("data:text/plain;base64," + base64.b64encode(b"hi").decode())
    assert response.read() == b"hi"


def test_a_static_file_is_read_through_the_finders(static):
    url = static_file_url("img/pixel.png")
    assert url == (static / "img" / "pixel.png").as_uri()
    response = StaticOnlyFetcher()(url)
    assert response.read() == PIXEL
    assert response.content_type == "image/png"
    assert StaticOnlyFetcher()(static_file_url("css/report.css")).content_type == "text/css"


def test_an_apps_static_file_is_read(db):
    response = StaticOnlyFetcher()(static_file_url("admin/css/base.css"))
    assert b"body" in response.read()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://attacker.example/share/x.png",
        "http://example.com/x.png",
        "https://example.com/x.css",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8000/static/img/pixel.png",
        "ftp://example.com/x.png",
        "gopher://example.com/",
        "javascript:alert(1)",
        "img/pixel.png",
        "../../../../etc/passwd",
        "/etc/passwd",
        "",
    ],
)
def test_anything_else_is_refused_and_logged(static, caplog, no_network, url):
    with caplog.at_level(logging.WARNING, logger="csp.reports.fetcher"), pytest.raises(RefusedURL):
        StaticOnlyFetcher()(url)
    assert "Refused to read" in caplog.text
    assert no_network == []


def test_a_path_out_of_the_static_folder_is_refused(static, tmp_path):
    inside = (static / "img" / "pixel.png").as_uri()
    for url in [
        inside.replace("/img/pixel.png", "/../secret.css"),
        inside.replace("/img/pixel.png", "/img/%2e%2e/%2e%2e/secret.css"),
        inside.replace("/img/pixel.png", "/img/..%2f..%2fsecret.css"),
        (tmp_path / "secret.css").as_uri(),
        inside + "%00.png",
        inside.replace("pixel.png", ""),  # the folder itself
        inside.replace("pixel.png", "missing.png"),
    ]:
        assert static_file(url) is None, url
        with pytest.raises(RefusedURL):
            StaticOnlyFetcher()(url)


def test_a_project_file_that_is_not_a_static_file_is_refused(db):
    settings_file = Path(fetcher.__file__).resolve().parent.parent / "settings.py"
    assert settings_file.exists()
    with pytest.raises(RefusedURL):
        StaticOnlyFetcher()(settings_file.as_uri())


def test_a_file_shadowed_by_another_of_the_same_name_is_refused(static, tmp_path):
    # Two folders hold img/pixel.png: only the one the finders give for that name is read.
    other = tmp_path / "other"
    (other / "img").mkdir(parents=True)
    (other / "img" / "pixel.png").write_bytes(b"not the pixel")
    with override_settings(STATICFILES_DIRS=[str(static), str(other)]):
        assert StaticOnlyFetcher()(static_file_url("img/pixel.png")).read() == PIXEL
        with pytest.raises(RefusedURL):
            StaticOnlyFetcher()((other / "img" / "pixel.png").as_uri())


def test_an_unknown_static_name_has_no_url(static):
    with pytest.raises(LookupError):
        static_file_url("img/nothing.png")


# Through WeasyPrint


def test_a_pdf_loads_its_own_stylesheet_image_and_font_but_nothing_else(
    static, tmp_path, no_network, caplog
):
    secret = (tmp_path / "secret.css").as_uri()
    font = (
        "<style>@font-face { font-family: ReportSerif; src: url("
        + static_file_url("fonts/serif.ttf")
        + "); } p.serif { font-family: ReportSerif; }"
        # The same font, from outside the static folders.
        + f"@font-face {{ font-family: OutsideSerif; src: url({LIBERATION_SERIF.as_uri()}); }}"
        + " p.outside { font-family: OutsideSerif; }</style>"
        if LIBERATION_SERIF.exists()
        else ""
    )
    html = document(
        f'<link rel="stylesheet" href="{static_file_url("css/report.css")}">',
        f'<link rel="stylesheet" href="{secret}">',
        font,
        '<p class="serif">In the static font</p>',
        '<p class="outside">In a font from elsewhere</p>',
        f'<img src="{static_file_url("img/pixel.png")}" alt="pixel">',
        '<img src="file:///etc/passwd" alt="passwd">',
        '<img src="http://169.254.169.254/latest/meta-data/" alt="metadata">',
        '<img src="../../../../../etc/passwd" alt="relative">',
        '<img src="https://example.com/tracker.png" alt="tracker">',
    )
    with caplog.at_level(logging.WARNING, logger="csp.reports.fetcher"):
        data = html_to_pdf(html)
    text = pdf_text(data)
    assert "STATIC-CSS-LOADED" in text
    assert "SECRET-LEAKED" not in text
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert len(page.images) == 1  # the static pixel, nothing else
    if LIBERATION_SERIF.exists():
        fonts = {str(f.get("/BaseFont")) for f in page["/Resources"]["/Font"].values()}
        assert any(name.endswith("+ReportSerif") for name in fonts), fonts
        assert not any("OutsideSerif" in name for name in fonts), fonts
    assert no_network == []
    refused = [r.getMessage() for r in caplog.records if "Refused" in r.getMessage()]
    assert any(secret in m for m in refused)
    assert any("file:///etc/passwd" in m for m in refused)
    assert any("169.254.169.254" in m for m in refused)
    assert any("example.com/tracker.png" in m for m in refused)


def test_an_svg_in_a_data_uri_cannot_reach_out_either(static, caplog, no_network):
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' width="10" height="10"><image width="10" height="10" xlink:href="file:///etc/passwd"/>'
        '<image width="10" height="10" href="http://169.254.169.254/x.png"/></svg>'
    )
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    with caplog.at_level(logging.WARNING, logger="csp.reports.fetcher"):
        html_to_pdf(document(f'<img src="{uri}" alt="chart">'))
    refused = [r.getMessage() for r in caplog.records if "Refused" in r.getMessage()]
    assert any("file:///etc/passwd" in m for m in refused), refused
    assert any("169.254.169.254" in m for m in refused), refused
    assert no_network == []


def test_a_static_stylesheet_reaches_its_neighbours_but_not_out(static, tmp_path, caplog):
    (static / "css" / "fonts.css").write_text(
        "@import url(report.css);\n"  # beside it: read
        "@import url(../../secret.css);\n"  # out of the static folder: refused
    )
    with caplog.at_level(logging.WARNING, logger="csp.reports.fetcher"):
        text = pdf_text(
            html_to_pdf(
                document(f'<link rel="stylesheet" href="{static_file_url("css/fonts.css")}">')
            )
        )
    assert "STATIC-CSS-LOADED" in text
    assert "SECRET-LEAKED" not in text
    assert "secret.css" in caplog.text


def test_the_default_fetcher_would_have_read_the_secret(static, tmp_path):
    # What the test above guards against: WeasyPrint's own fetcher reads any file.
    import weasyprint

    html = document(f'<link rel="stylesheet" href="{(tmp_path / "secret.css").as_uri()}">')
    assert "SECRET-LEAKED" in pdf_text(weasyprint.HTML(string=html, base_url=None).write_pdf())


# Real reports are unchanged


def pdf_facts(data: bytes) -> tuple[int, str, set[str]]:
    reader = PdfReader(io.BytesIO(data))
    fonts = set()
    for page in reader.pages:
        for font in page.get("/Resources", {}).get("/Font", {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")).split("+")[-1])
    return len(reader.pages), pdf_text(data), fonts


def with_default_fetcher(html: str) -> bytes:
    import weasyprint

    from csp.reports.render import PDF_VARIANT

    return weasyprint.HTML(string=html, base_url=None).write_pdf(
        pdf_variant=PDF_VARIANT, pdf_tags=True
    )


@pytest.mark.django_db
def test_a_scrutiny_report_renders_as_it_did(cast, caplog):
    from csp.reports.context import build_report
    from csp.reports.render import render_html, render_pdf

    content = build_report(cast.plan, [cast.q1])
    with caplog.at_level(logging.WARNING, logger="csp.reports.fetcher"):
        ours = pdf_facts(render_pdf(content))
    assert "Refused" not in caplog.text  # the chart is a data: URI; nothing else is fetched
    assert ours == pdf_facts(with_default_fetcher(render_html(content)))
    pages, text, fonts = ours
    assert pages >= 3
    assert "Liberation-Sans" in fonts
    assert "Progress on the action plan" in text


@pytest.mark.django_db
def test_an_agency_report_renders_as_it_did(cast):
    from csp.reports.agency import build_agency_report, render_agency_html, render_agency_pdf

    report = build_agency_report(cast.police, cast.alice)
    ours = pdf_facts(render_agency_pdf(report))
    assert ours == pdf_facts(with_default_fetcher(render_agency_html(report)))
    assert "Shire Police" in ours[1]
