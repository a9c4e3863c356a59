"""Nothing a signed-out visitor can ask for costs more than a fixed budget (issue 13, "Every
request does bounded work"): every page and download they can reach is bounded by a cap in front
of it, a rate limit, the background path, or, behind them all, the request's budget of work.

What a signed-out visitor can reach with a public partnership: the home page, a plan's
dashboard and its exports, the template, the action list (search, filters, sort, pages) and its
exports, an action's page, the agencies, an agency's page and report, issued reports (stored
bytes), sign-in and password reset (and the admin's sign-in).
"""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction
from django.urls import reverse

from csp.budget import BudgetExceeded, RequestBudget
from csp.filters import FILTER_MAX_VALUES, SEARCH_MAX_LENGTH
from csp.models import AgencyReportRender
from csp.reports import agency
from csp.views import agency_report
from tests.test_issued_reports import FAKE_PDF

# Counts to a hundred million: tens of seconds on either database, unless stopped.
ENDLESS = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) "
    "SELECT count(*) FROM c"
)


@pytest.fixture
def tiny_budget(settings):
    """A budget spent before the first statement: every signed-out request runs out at once."""
    settings.ANONYMOUS_REQUEST_SECONDS = 1e-9


# -- the budget -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_statement_running_past_the_budget_is_stopped_mid_way():
    budget = RequestBudget(0.5)
    start = time.monotonic()
    with (
        pytest.raises(BudgetExceeded),
        transaction.atomic(),
        budget.applied(),
        connection.cursor() as cursor,
    ):
        cursor.execute(ENDLESS)
    assert time.monotonic() - start < 5  # stopped at about half a second, not tens
    # The connection outlives the request: it is left as it was, and still works.
    with connection.cursor() as cursor:
        cursor.execute(ENDLESS.replace("100000000", "300000"))  # past the budget, unstopped
        assert cursor.fetchone() == (300000,)
        if connection.vendor == "postgresql":
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("0",)


@pytest.mark.django_db
def test_no_statement_starts_once_the_budget_is_spent():
    budget = RequestBudget(0.05)
    with budget.applied(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        while budget.remaining() > 0:  # the request's own work spends it too
            sum(range(10_000))
        with pytest.raises(BudgetExceeded):
            cursor.execute("SELECT 1")


def test_a_signed_out_request_over_its_budget_gets_a_page_saying_so(client, public, tiny_budget):
    response = client.get(reverse("action-list"), {"q": "patrols"})

    assert response.status_code == 503
    assert response["Retry-After"] == "60" and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "<title>This would take too long to answer" in html
    assert "Try a shorter search, or fewer filters at once" in html


def test_members_are_not_held_to_it(alice, public, tiny_budget):
    assert alice.get(reverse("action-list"), {"q": "patrols"}).status_code == 200


def test_every_page_a_signed_out_visitor_reaches_runs_within_the_budget(
    client, public, tiny_budget, monkeypatch
):
    monkeypatch.setattr("csp.views.agency_report.render_agency_pdf", lambda *a: FAKE_PDF)
    pages = [
        reverse("home"),
        reverse("plan-dashboard", args=[public.plan.slug]),
        reverse("action-list"),
        reverse("action-export-xlsx"),
        reverse("action-detail", args=[public.hub.pk]),
        reverse("agency-list"),
        reverse("agency-detail", args=[public.police.slug]),
        reverse("agency-report", args=[public.police.slug]),
        reverse("report-list"),
        reverse("plan-export-xlsx", args=[public.plan.slug]),
    ]
    for url in pages:
        assert client.get(url).status_code == 503, url  # the budget was applied to each


def test_a_streamed_export_is_made_within_the_budget_and_stops_when_it_runs_out(
    client, public, settings
):
    settings.ANONYMOUS_REQUEST_SECONDS = 5
    whole = b"".join(client.get(reverse("action-export-csv")).streaming_content)
    assert b"Evening patrols in the town centre" in whole

    response = client.get(reverse("action-export-csv"))
    response.wsgi_request.budget.seconds = 0  # spent by the time the body is read
    cut = b"".join(response.streaming_content)
    assert b"Evening patrols" not in cut and len(cut) < len(whole)  # ended, without a 500


def test_the_budget_stops_an_agency_report_being_laid_out(client, public, monkeypatch):
    """WeasyPrint asks no more of the database, so its pages charge the budget themselves."""
    spent, laid_out = [], []
    monkeypatch.setattr(RequestBudget, "remaining", lambda self: -1.0 if spent else 1.0)
    gather, lay_out = agency_report.build_agency_report, agency.html_to_pdf

    def gather_then_spend(*args):  # type: ignore[no-untyped-def]
        report = gather(*args)
        spent.append(True)  # the budget runs out as the report starts to be laid out
        return report

    def laying_out(*args):  # type: ignore[no-untyped-def]
        laid_out.append(True)
        return lay_out(*args)

    monkeypatch.setattr(agency_report, "build_agency_report", gather_then_spend)
    monkeypatch.setattr(agency, "html_to_pdf", laying_out)
    response = client.get(reverse("agency-report", args=[public.police.slug]))
    assert laid_out and response.status_code == 503


# -- caps in front of it ----------------------------------------------------------------------


def test_a_search_longer_than_the_cap_is_refused_with_a_message(client, public):
    response = client.get(reverse("action-list"), {"q": "x" * (SEARCH_MAX_LENGTH + 1)})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Search for at most {SEARCH_MAX_LENGTH} characters at a time." in html
    assert "0 actions" in html
    exported = client.get(reverse("action-export-csv"), {"q": "x" * (SEARCH_MAX_LENGTH + 1)})
    assert b"".join(exported.streaming_content).decode("utf-8-sig").count("\n") == 1  # header


def test_more_filter_values_than_the_cap_are_refused_with_a_message(client, public):
    leads = [public.police.slug] * (FILTER_MAX_VALUES + 1)
    response = client.get(reverse("action-list"), {"lead": leads})
    html = response.content.decode()
    assert response.status_code == 200 and "0 actions" in html
    assert f"Choose at most {FILTER_MAX_VALUES} at once (the address asked for 51)." in html
    officers = [str(public.inspector.pk)] * (FILTER_MAX_VALUES + 1)
    assert (
        "Choose at most"
        in client.get(reverse("action-list"), {"officer": officers}).content.decode()
    )
    assert (
        client.get(reverse("action-list"), {"lead": leads[:FILTER_MAX_VALUES]}).status_code == 200
    )


def test_a_page_number_past_any_list_shows_the_last_page(client, public):
    response = client.get(reverse("action-list"), {"page": "9" * 25})
    assert response.status_code == 200
    assert "Evening patrols in the town centre" in response.content.decode()


def test_a_signed_out_visitor_cannot_export_more_than_the_cap(client, public, settings):
    settings.ANONYMOUS_EXPORT_MAX_ACTIONS = 2
    for url in (
        reverse("action-export-csv"),
        reverse("action-export-xlsx"),
        reverse("plan-export-csv", args=[public.plan.slug]),
        reverse("plan-export-xlsx", args=[public.plan.slug]),
    ):
        response = client.get(url)
        assert response.status_code == 422, url
        html = response.content.decode()
        assert "This export is too large" in html
        assert "A visitor who is not signed in can export up to 2 at a time." in html
    # Narrowed to fit, it goes ahead.
    fits = client.get(reverse("action-export-csv"), {"lead": public.council.slug})
    assert fits.status_code == 200


def test_members_export_the_lot(alice, public, settings):
    settings.ANONYMOUS_EXPORT_MAX_ACTIONS = 2
    assert alice.get(reverse("action-export-csv")).status_code == 200
    assert alice.get(reverse("plan-export-xlsx", args=[public.plan.slug])).status_code == 200


def test_a_signed_out_visitors_longer_agency_report_goes_to_the_background(
    client, public, settings
):
    settings.ANONYMOUS_INLINE_MAX_ACTIONS = 1  # Shire Police leads two public actions
    response = client.get(reverse("agency-report", args=[public.police.slug]))
    assert response.status_code == 302
    assert response["Location"] == AgencyReportRender.objects.get().get_absolute_url()


# -- rate limits on the expensive ones --------------------------------------------------------


@pytest.fixture
def limits(settings, monkeypatch):
    # All asks within one window of the rate limits' clock, which a real clock may cross.
    from types import SimpleNamespace

    from csp import ratelimit

    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 999_920.0))
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "export": (2, 300),
        "sign-in": (2, 60),
        "password-reset": (1, 300),
    }


def test_exports_are_rate_limited(client, public, limits):
    url = reverse("action-export-csv")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(reverse("plan-export-csv", args=[public.plan.slug])).status_code == 429
    assert client.get(reverse("action-list")).status_code == 200  # the list itself is not


def test_signing_in_is_rate_limited_per_address_not_its_form(client, cast, limits):
    url = reverse("login")
    for _ in range(5):
        assert client.get(url).status_code == 200
    wrong = {"username": "nobody", "password": "wrong"}
    assert client.post(url, wrong).status_code == 200  # the form again, with its error
    assert client.post(url, wrong).status_code == 200
    response = client.post(url, wrong)
    assert (
        response.status_code == 429
        and "You have tried to sign in too often" in response.content.decode()
    )
    assert client.post(url, wrong, REMOTE_ADDR="198.51.100.9").status_code == 200
    admin_sign_in = reverse("admin:login")
    assert client.post(admin_sign_in, wrong).status_code == 429


def test_password_reset_emails_are_rate_limited(client, cast, limits, mailoutbox):
    url = reverse("password_reset")
    assert client.post(url, {"email": "alice@example.invalid"}).status_code == 302
    response = client.post(url, {"email": "alice@example.invalid"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert len(mailoutbox) <= 1
