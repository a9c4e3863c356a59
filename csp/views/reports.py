"""Scrutiny reports on the web: the list, the builder, a draft's page and issuing, the PDF.

Coordinators and committee clerks build and issue reports. Everyone who can see a partnership
sees its issued reports and may download them: an issued report's PDF is returned exactly as it
was stored when it was issued, whatever has changed in the plan since.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from csp import access, notifications
from csp.models import (
    Partnership,
    PartnershipRole,
    PeriodStatus,
    Plan,
    RenderKind,
    RenderState,
    ReportingPeriod,
    ReportRender,
    ReportSection,
    ScrutinyReport,
)
from csp.models.jobs import UNFINISHED
from csp.models.reports import DEFAULT_COMMITTEE
from csp.reports import issuing
from csp.reports.context import paragraphs, report_texts
from csp.tasks import request_render
from csp.views.common import refuse, visible_or_404

REPORT_MAKERS = ("coordinator", "clerk")
RENDER_REFRESH_SECONDS = 3


def report_partnership_ids(user: access.AnyUser) -> QuerySet[Partnership] | None:
    """The partnerships whose reports ``user`` may build and issue; ``None``: all (superuser)."""
    if user.is_superuser:
        return None
    if not user.is_authenticated:
        return Partnership.objects.none()
    return Partnership.objects.filter(
        pk__in=PartnershipRole.objects.filter(user_id=user.pk, role__in=REPORT_MAKERS).values(
            "partnership_id"
        )
    )


def makes_reports(user: access.AnyUser, partnership_id: int) -> bool:
    """May ``user`` build and issue this partnership's reports: coordinators, clerks, superusers."""
    if user.is_superuser:
        return True
    if not user.is_authenticated:
        return False
    return PartnershipRole.objects.filter(
        user_id=user.pk, partnership_id=partnership_id, role__in=REPORT_MAKERS
    ).exists()


def _plans_for(user: access.AnyUser) -> QuerySet[Plan]:
    plans = Plan.objects.select_related("partnership").order_by(
        "partnership__name", "-first_year", "title"
    )
    partnerships = report_partnership_ids(user)
    return plans if partnerships is None else plans.filter(partnership__in=partnerships)


def _with_details(report_set: QuerySet[ScrutinyReport]) -> QuerySet[ScrutinyReport]:
    return report_set.select_related(
        "plan", "partnership", "issued_by", "created_by"
    ).prefetch_related(Prefetch("periods", ReportingPeriod.objects.order_by("year", "quarter")))


# -- the list -------------------------------------------------------------------------------


def report_list(request: HttpRequest) -> HttpResponse:
    visible = Partnership.objects.visible_to(request.user)
    issued = _with_details(
        ScrutinyReport.objects.issued().filter(partnership__in=visible).defer("pdf")
    ).order_by("-issued_at", "-pk")
    drafts = (
        _with_details(
            ScrutinyReport.objects.drafts().filter(created_by_id=request.user.pk).defer("pdf")
        )
        if request.user.is_authenticated
        else ScrutinyReport.objects.none()
    )
    member_of = (
        set(access.member_partnership_ids(request.user).values_list("partnership_id", flat=True))
        if request.user.is_authenticated
        else set()
    )
    partnerships = report_partnership_ids(request.user)
    can_make = partnerships is None or partnerships.exists()
    return render(
        request,
        "reports_web/list.html",
        {
            "issued": issued,
            "drafts": drafts,
            "member_of": member_of,
            "can_make": can_make,
            "everyone": request.user.is_superuser,
        },
    )


# -- the builder ----------------------------------------------------------------------------


class ReportForm(forms.Form):
    periods = forms.MultipleChoiceField(
        label="Periods covered",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one period for the report to cover."},
    )
    committee = forms.CharField(label="Committee", max_length=300, initial=DEFAULT_COMMITTEE)
    meeting_day = forms.IntegerField(required=False, min_value=1, max_value=31)
    meeting_month = forms.IntegerField(required=False, min_value=1, max_value=12)
    meeting_year = forms.IntegerField(required=False, min_value=2000, max_value=2100)
    title = forms.CharField(label="Title", max_length=300, required=False)
    author = forms.CharField(label="Author", max_length=200, required=False)
    contact = forms.CharField(label="Contact", max_length=300, required=False)
    large_print = forms.BooleanField(label="Large print", required=False)
    sections = forms.MultipleChoiceField(
        label="Sections to include",
        choices=ReportSection.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    purpose = forms.CharField(label="Purpose of the report", required=False, widget=forms.Textarea)
    recommendation = forms.CharField(label="Recommendation", required=False, widget=forms.Textarea)
    implications = forms.CharField(label="Implications", required=False, widget=forms.Textarea)

    TEXTS = ("purpose", "recommendation", "implications")

    def __init__(self, *args, plan: Plan, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.plan = plan
        # The wording the report would use (the partnership's, else the built-in), so the clerk
        # edits it rather than starting from a blank box.
        self.default_texts = report_texts(plan)
        for name in self.TEXTS:
            self.fields[name].initial = getattr(self.default_texts, name)
        self.fields["sections"].initial = list(ReportSection.values)
        self.period_objects = {str(p.pk): p for p in plan.periods.order_by("year", "quarter")}
        self.fields["periods"].choices = [
            (pk, period.label) for pk, period in self.period_objects.items()
        ]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        parts = [data.get(f"meeting_{part}") for part in ("day", "month", "year")]
        data["meeting_date"] = None
        raw = [self.data.get(f"meeting_{part}", "").strip() for part in ("day", "month", "year")]
        if any(raw):
            if None in parts:
                self.add_error(
                    "meeting_day", "Enter the meeting date as a day, month and year, or leave it."
                )
            else:
                day, month, year = parts
                try:
                    data["meeting_date"] = datetime.date(year, month, day)
                except ValueError:
                    self.add_error("meeting_day", "The meeting date must be a real date.")
        # A text left as the default wording is stored blank: the report then follows the
        # partnership's wording.
        for name in self.TEXTS:
            text = (data.get(name) or "").strip()
            if paragraphs(text) == paragraphs(getattr(self.default_texts, name)):
                text = ""
            data[name] = text.replace("\r\n", "\n")
        return data

    def section_rows(self) -> list[tuple[str, str, bool]]:
        chosen = set(self["sections"].value() or [])
        return [(value, label, value in chosen) for value, label in ReportSection.choices]

    @property
    def chosen_periods(self) -> list[ReportingPeriod]:
        return [self.period_objects[pk] for pk in self.cleaned_data["periods"]]

    def period_rows(self) -> list[tuple[ReportingPeriod, bool]]:
        chosen = set(self["periods"].value() or [])
        return [(p, str(pk) in chosen) for pk, p in self.period_objects.items()]


def report_new(request: HttpRequest) -> HttpResponse:
    partnerships = report_partnership_ids(request.user)
    if partnerships is not None and not partnerships.exists():
        refuse(request, "Only coordinators and committee clerks can build reports.")
    plans = list(_plans_for(request.user))
    slug = request.POST.get("plan") or request.GET.get("plan")
    plan = next((p for p in plans if p.slug == slug), None)
    if not slug and len(plans) == 1:
        plan = plans[0]
    if plan is None:
        return render(
            request,
            "reports_web/choose_plan.html",
            {"plans": plans, "error": bool(slug)},
        )
    form = ReportForm(request.POST if request.method == "POST" else None, plan=plan)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = ScrutinyReport.objects.create(
            partnership_id=plan.partnership_id,
            plan=plan,
            committee=data["committee"],
            meeting_date=data["meeting_date"],
            title=data["title"],
            author=data["author"],
            contact=data["contact"],
            large_print=data["large_print"],
            purpose=data["purpose"],
            recommendation=data["recommendation"],
            implications=data["implications"],
            sections=[s for s in ReportSection.values if s in data["sections"]],
            created_by=request.user,
        )
        report.periods.set(form.chosen_periods)
        messages.success(request, "Draft report saved. Check it, then issue it.")
        return redirect(report)
    return render(
        request,
        "reports_web/new.html",
        {
            "plan": plan,
            "form": form,
            "several_plans": len(plans) > 1,
            "partnership": plan.partnership,
        },
    )


# -- one report -----------------------------------------------------------------------------


def _visible_report(request: HttpRequest, pk: int) -> ScrutinyReport:
    """The report, if this visitor may see it: issued ones to all who see the partnership,
    drafts to the partnership's coordinators and clerks only."""
    everything = ScrutinyReport.objects.select_related("plan", "partnership", "issued_by")
    visible = everything.filter(partnership__in=Partnership.objects.visible_to(request.user))
    report = visible_or_404(request, visible.defer("pdf"), everything.defer("pdf"), pk=pk)
    if not report.is_issued and not makes_reports(request.user, report.partnership_id):
        refuse(request, "Only coordinators and committee clerks can see draft reports.")
    return report


@require_http_methods(["GET", "HEAD", "POST"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    may_issue = makes_reports(request.user, report.partnership_id)
    if request.method == "POST":
        if not may_issue:
            refuse(request, "Only coordinators and committee clerks can issue reports.")
        if report.is_issued:
            messages.error(request, "This report has already been issued.")
            return redirect(report)
        still_open = _still_open(report)
        if still_open and not access.is_coordinator(request.user, report.partnership_id):
            # Only a coordinator can close a period: say who, rather than send a clerk to a
            # page that refuses them.
            messages.error(request, _who_closes(report, still_open))
            return redirect(report)
        if not report.renders_inline:
            return redirect(request_render(report, RenderKind.ISSUE, request.user))
        try:
            issuing.issue(report, request.user)
        except ValueError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Report issued. {report.periods_label} "
                f"{'is' if report.periods.count() == 1 else 'are'} now reported and locked.",
            )
        return redirect(report)
    periods = list(report.periods.order_by("year", "quarter"))
    renders = (
        list(report.renders.defer("pdf").filter(state__in=UNFINISHED))
        if may_issue and not report.is_issued
        else []
    )
    return render(
        request,
        "reports_web/detail.html",
        {
            "report": report,
            "periods": periods,
            "may_issue": may_issue,
            "partnership": report.partnership,
            "member": access.sees_restricted(request.user, report.partnership_id),
            "inline": report.is_issued or report.renders_inline,
            "under_way": {r.kind: r for r in renders},
            "still_open": [] if report.is_issued else _still_open(report),
            "closes_periods": access.is_coordinator(request.user, report.partnership_id),
            "coordinators": [
                access.display_name(u) for u in access.coordinators(report.partnership_id)
            ],
        },
    )


def _still_open(report: ScrutinyReport) -> list[ReportingPeriod]:
    return [p for p in report.periods.order_by("year", "quarter") if p.status == PeriodStatus.OPEN]


def _who_closes(report: ScrutinyReport, still_open: list[ReportingPeriod]) -> str:
    names = [access.display_name(u) for u in access.coordinators(report.partnership_id)]
    open_ = f"{notifications.labels(still_open)} {'is' if len(still_open) == 1 else 'are'}"
    it = "it" if len(still_open) == 1 else "them"
    if not names:
        return (
            f"{open_} still open, and only a coordinator can close {it}; this partnership has "
            "none at the moment. Ask the site's administrator to name one."
        )
    return (
        f"{open_} still open, and only a coordinator can close {it} before the report is "
        f"issued: {notifications.labels_of(names)}. Use “Ask the coordinator to close {it}” "
        "below to e-mail them."
    )


@require_POST
def report_ask_to_close(request: HttpRequest, pk: int) -> HttpResponse:
    """E-mail the coordinators, asking them to close the periods a draft report covers."""
    report = _visible_report(request, pk)
    if not makes_reports(request.user, report.partnership_id):
        refuse(request, "Only coordinators and committee clerks can issue reports.")
    still_open = _still_open(report)
    if report.is_issued or not still_open:
        messages.info(request, "Every period this report covers is closed already.")
        return redirect(report)
    links = [request.build_absolute_uri(reverse("period-review", args=[p.pk])) for p in still_open]
    told = notifications.ask_to_close(
        still_open, cast(User, request.user), links, report.display_title
    )
    if told:
        names = notifications.labels_of([access.display_name(u) for u in told])
        messages.success(
            request,
            f"{names} {'has' if len(told) == 1 else 'have'} been asked by e-mail to close "
            f"{notifications.labels(still_open)}.",
        )
    else:
        messages.error(
            request,
            "No coordinator could be e-mailed (none has an e-mail address, or the mail server "
            "did not answer). " + _who_closes(report, still_open),
        )
    return redirect(report)


@require_http_methods(["GET", "HEAD"])
def report_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft as HTML: the very document its PDF is made from, readable on screen.

    An issued report is its stored PDF: the HTML would be made from the plan as it is now,
    which may have changed since (by an amendment), so the record itself is offered instead.
    """
    report = _visible_report(request, pk)
    if report.is_issued:
        return redirect("report-pdf", report.pk)
    html = issuing.report_html(report)
    response = HttpResponse(html)
    # The print stylesheet is inline in the document (WeasyPrint reads it so): allow exactly
    # that stylesheet by its hash, and nothing else inline.
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for css in re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    )
    response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", f"style-src 'self' {hashes}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    if not report.is_issued:
        if not report.renders_inline:
            # Too long to make while the browser waits: the report's page offers a button to
            # make it in the background instead.
            messages.info(request, "This report is too long to preview straight away.")
            return redirect(report)
        response = HttpResponse(issuing.report_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{report.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response
    etag = f'"{report.sha256}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        data = ScrutinyReport.objects.filter(pk=report.pk).values_list("pdf", flat=True).get()
        response = HttpResponse(bytes(data), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
        response["Content-Length"] = str(report.size)
    response["ETag"] = etag
    response["Cache-Control"] = "private"
    return response


# -- long reports, made in the background -----------------------------------------------------


def _report_render(request: HttpRequest, pk: int, render_pk: int) -> ReportRender:
    """The render, if this visitor may see it: the partnership's coordinators and clerks."""
    report = _visible_report(request, pk)
    if not makes_reports(request.user, report.partnership_id):
        refuse(request, "Only coordinators and committee clerks can make reports.")
    render = get_object_or_404(report.renders.defer("pdf"), pk=render_pk)
    render.report = report
    return render


@require_http_methods(["POST"])
def report_render_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a long draft's PDF in the background, and show how it is going."""
    report = _visible_report(request, pk)
    if not makes_reports(request.user, report.partnership_id):
        refuse(request, "Only coordinators and committee clerks can make reports.")
    if report.is_issued:
        return redirect(report)
    return redirect(request_render(report, RenderKind.DRAFT, request.user))


@require_http_methods(["GET", "HEAD"])
def report_render(request: HttpRequest, pk: int, render_pk: int) -> HttpResponse:
    """How a background render is going; the file when it is done; why, if it failed.

    While it is under way the page reloads itself every few seconds (a meta refresh: it works
    without JavaScript and is not script, so the Content Security Policy allows it).
    """
    render_ = _report_render(request, pk, render_pk)
    render_.give_up_if_stale()
    report = render_.report
    response = render(
        request,
        "reports_web/render.html",
        {
            "render": render_,
            "report": report,
            "partnership": report.partnership,
            "refresh_seconds": RENDER_REFRESH_SECONDS,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def report_render_pdf(request: HttpRequest, pk: int, render_pk: int) -> HttpResponse:
    """A draft's PDF made in the background (an issued report's is at ``report-pdf``)."""
    render_ = _report_render(request, pk, render_pk)
    if render_.kind != RenderKind.DRAFT or render_.state != RenderState.DONE:
        raise Http404("This PDF is not ready.")
    data = ReportRender.objects.only("pdf").get(pk=render_.pk).pdf_bytes()
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{render_.report.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
