"""Scrutiny reports on the web: the list, the builder, a draft's page and issuing, the PDF.

Coordinators and committee clerks build and issue reports. Everyone who can see a partnership
sees its issued reports and may download them: an issued report's PDF is returned exactly as it
was stored when it was issued, whatever has changed in the plan since.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from csp import access, notifications
from csp.models import (
    CopyForm,
    Partnership,
    PartnershipRole,
    PeriodStatus,
    Plan,
    RenderKind,
    RenderState,
    ReportingPeriod,
    ReportRender,
    ReportSection,
    ReportState,
    ScrutinyReport,
)
from csp.models.jobs import UNFINISHED
from csp.reports import issuing
from csp.reports.context import ReportTexts, paragraphs, plan_facts, report_texts
from csp.reports.render import document_context, in_print
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
    """The builder's form, for a new draft and for editing one.

    Every text starts as the wording the report will use (the report's own, else the
    partnership's, else the standard wording), so the clerk edits words rather than facing a
    blank box. A text left as the partnership's or the standard wording is stored blank, so the
    draft goes on following the partnership's wording until the clerk writes its own.
    """

    periods = forms.MultipleChoiceField(
        label="Periods covered",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one period for the report to cover."},
    )
    committee = forms.CharField(
        label="Committee",
        max_length=300,
        error_messages={"required": "Enter the committee the report goes to."},
    )
    meeting_day = forms.IntegerField(required=False, min_value=1, max_value=31)
    meeting_month = forms.IntegerField(required=False, min_value=1, max_value=12)
    meeting_year = forms.IntegerField(required=False, min_value=2000, max_value=2100)
    title = forms.CharField(label="Title", max_length=300, required=False)
    author = forms.CharField(label="Author", max_length=200, required=False)
    contact = forms.CharField(label="Contact", max_length=300, required=False)
    formats_contact = forms.CharField(label="Formats line", max_length=300, required=False)
    large_print = forms.BooleanField(label="Large print", required=False)
    sections = forms.MultipleChoiceField(
        label="Sections to include",
        choices=ReportSection.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    purpose = forms.CharField(label="Purpose of the report", required=False, widget=forms.Textarea)
    recommendation = forms.CharField(label="Recommendation", required=False, widget=forms.Textarea)
    statutory_background = forms.CharField(
        label="Statutory background", required=False, widget=forms.Textarea
    )
    highlights = forms.CharField(label="Highlights", required=False, widget=forms.Textarea)
    consultation = forms.CharField(label="Consultation", required=False, widget=forms.Textarea)
    implications = forms.CharField(label="Implications", required=False, widget=forms.Textarea)
    background_papers = forms.CharField(
        label="Background papers", required=False, widget=forms.Textarea
    )

    # Texts that follow the partnership's wording while they are left as it is.
    TEXTS = ("purpose", "recommendation", "statutory_background", "implications")
    NAMES = ("committee", "contact", "formats_contact")
    OWN = ("title", "author", "highlights", "consultation", "background_papers")
    HINTS = {
        "purpose": "Paragraphs separated by a blank line. {periods} is replaced by the periods "
        "the report covers.",
        "recommendation": "What the Committee is asked to do.",
        "statutory_background": "Paragraphs separated by a blank line.",
        "highlights": "What has been achieved, for the Committee to see first. One item per "
        "paragraph, with a blank line between: its first line is its heading, the lines after "
        "it say more.",
        "consultation": "Who was consulted on the plan or the report, and how. Paragraphs "
        "separated by a blank line. Leave it blank to leave the section out.",
        "implications": "Paragraphs separated by a blank line, each starting with its heading, "
        'for example "Financial: …".',
        "background_papers": 'One paper per line. Leave it blank for "None".',
    }

    def __init__(  # type: ignore[no-untyped-def]
        self, *args, plan: Plan, report: ScrutinyReport | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.report = report
        # The wording the report would use if left as it is: the partnership's, else standard.
        self.default_texts = report_texts(plan, facts=plan_facts(plan))
        for name in (*self.TEXTS, *self.NAMES):
            own = getattr(report, name, "") if report else ""
            self.fields[name].initial = own or getattr(self.default_texts, name)
        for name in self.OWN:
            self.fields[name].initial = getattr(report, name, "") if report else ""
        self.fields["sections"].initial = (
            list(report.sections or []) if report else list(ReportSection.values)
        )
        self.fields["large_print"].initial = report.large_print if report else False
        self.period_objects = {str(p.pk): p for p in plan.periods.order_by("year", "quarter")}
        self.fields["periods"].choices = [
            (pk, period.label) for pk, period in self.period_objects.items()
        ]
        if report is not None:
            self.fields["periods"].initial = [str(p.pk) for p in report.periods.all()]
            if report.meeting_date:
                day = report.meeting_date
                self.fields["meeting_day"].initial = day.day
                self.fields["meeting_month"].initial = day.month
                self.fields["meeting_year"].initial = day.year

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
        # A text left as the partnership's or the standard wording is stored blank: the report
        # then follows the partnership's wording.
        for name in self.TEXTS:
            text = (data.get(name) or "").strip()
            if paragraphs(text) == paragraphs(getattr(self.default_texts, name)):
                text = ""
            data[name] = text.replace("\r\n", "\n")
        for name in self.NAMES:
            text = " ".join((data.get(name) or "").split())
            if text == getattr(self.default_texts, name):
                text = ""
            data[name] = text
        for name in self.OWN:
            data[name] = (data.get(name) or "").strip().replace("\r\n", "\n")
        return data

    def text_fields(self) -> list[tuple[forms.BoundField, str]]:
        return [
            (self[name], self.HINTS[name])
            for name in (
                "purpose",
                "recommendation",
                "statutory_background",
                "highlights",
                "consultation",
                "implications",
                "background_papers",
            )
        ]

    def section_rows(self) -> list[tuple[str, str, bool]]:
        chosen = set(self["sections"].value() or [])
        return [(value, label, value in chosen) for value, label in ReportSection.choices]

    @property
    def chosen_periods(self) -> list[ReportingPeriod]:
        return [self.period_objects[pk] for pk in self.cleaned_data["periods"]]

    def period_rows(self) -> list[tuple[ReportingPeriod, bool]]:
        chosen = {str(v) for v in (self["periods"].value() or [])}
        return [(p, str(pk) in chosen) for pk, p in self.period_objects.items()]

    def values(self) -> dict[str, object]:
        """The report's fields from the cleaned form."""
        data = self.cleaned_data
        return {
            "committee": data["committee"],
            "meeting_date": data["meeting_date"],
            "title": data["title"],
            "author": data["author"],
            "contact": data["contact"],
            "formats_contact": data["formats_contact"],
            "large_print": data["large_print"],
            "purpose": data["purpose"],
            "recommendation": data["recommendation"],
            "statutory_background": data["statutory_background"],
            "highlights": data["highlights"],
            "consultation": data["consultation"],
            "background_papers": data["background_papers"],
            "implications": data["implications"],
            "sections": [s for s in ReportSection.values if s in data["sections"]],
        }


def _builder(request: HttpRequest, template_context: dict[str, object]) -> HttpResponse:
    return render(request, "reports_web/new.html", template_context)


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
        report = ScrutinyReport.objects.create(
            partnership_id=plan.partnership_id,
            plan=plan,
            created_by=request.user,
            **form.values(),
        )
        report.periods.set(form.chosen_periods)
        messages.success(request, "Draft report saved. Check it, then issue it.")
        return redirect(report)
    return _builder(
        request,
        {
            "plan": plan,
            "form": form,
            "several_plans": len(plans) > 1,
            "partnership": plan.partnership,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft, until it is issued. Two people saving the same draft: the later save is
    refused, with what they typed kept in the form, so nothing is lost or silently replaced."""
    report = _visible_report(request, pk)
    if not makes_reports(request.user, report.partnership_id):
        refuse(request, "Only coordinators and committee clerks can edit reports.")
    if report.is_issued:
        messages.info(
            request,
            "An issued report cannot be changed. Make a new version of it to correct it.",
        )
        return redirect(report)
    plan = report.plan
    form = ReportForm(request.POST if request.method == "POST" else None, plan=plan, report=report)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            revision = int(request.POST.get("revision", ""))
        except ValueError:
            revision = -1
        if report.claim_revision(revision):
            with transaction.atomic():
                ScrutinyReport.objects.filter(pk=report.pk, state=ReportState.DRAFT).update(
                    **form.values()
                )
                report.periods.set(form.chosen_periods)
            messages.success(request, "Draft report saved.")
            return redirect(report)
        current = ScrutinyReport.objects.get(pk=report.pk)
        if current.is_issued:
            messages.error(
                request,
                "This report was issued while you were editing it, so your changes were not "
                "saved. Make a new version of it to correct it.",
            )
            return redirect(report)
        conflict = current
    return _builder(
        request,
        {
            "plan": plan,
            "form": form,
            "report": report,
            "revision": conflict.revision if conflict else report.revision,
            "conflict": conflict,
            "partnership": plan.partnership,
        },
    )


@require_http_methods(["POST"])
def report_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft copy of an issued report, to correct and issue as its next version."""
    report = _visible_report(request, pk)
    if not makes_reports(request.user, report.partnership_id):
        refuse(request, "Only coordinators and committee clerks can make reports.")
    if not report.is_issued:
        return redirect("report-edit", report.pk)
    copy = report.new_version(request.user)
    messages.success(
        request,
        f"Version {copy.version} is a draft copy of the issued report. Correct it, then issue it.",
    )
    return redirect("report-edit", copy.pk)


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


def _wording(report: ScrutinyReport) -> ReportTexts:
    """The wording the draft would be issued with, to warn of what is still standard."""
    return report_texts(
        report.plan,
        purpose=report.purpose or None,
        recommendation=report.recommendation or None,
        implications=report.implications or None,
        committee=report.committee or None,
        formats_contact=report.formats_contact or None,
    )


@dataclass
class Download:
    url: str
    label: str


def _downloads(report: ScrutinyReport, member: bool) -> list[Download]:
    """The forms of the report this visitor may download, as links."""
    pdf, docx = reverse("report-pdf", args=[report.pk]), reverse("report-docx", args=[report.pk])
    own = "large print" if report.large_print else "standard print"
    other, other_value = (
        ("standard print", "standard") if report.large_print else ("large print", "large")
    )
    if report.is_issued:
        kept = issuing.kept_forms(report)
        wanted = [(False, CopyForm.PDF), (False, CopyForm.LARGE_PRINT_PDF), (False, CopyForm.DOCX)]
        if report.public_differs:
            wanted += [
                (True, CopyForm.PDF),
                (True, CopyForm.LARGE_PRINT_PDF),
                (True, CopyForm.DOCX),
            ]
        if not member:
            wanted = [(True, form) for _, form in wanted[:3]]
    else:
        kept = None
        wanted = [
            (False, CopyForm.PDF),
            (False, CopyForm.LARGE_PRINT_PDF),
            (False, CopyForm.DOCX),
            (True, CopyForm.PDF),
            (True, CopyForm.DOCX),
        ]
    links = []
    for public, form in wanted:
        if kept is not None and (public, form) not in kept:
            continue
        large = form == CopyForm.LARGE_PRINT_PDF
        query = []
        if form != CopyForm.DOCX and large != report.large_print:
            query.append(f"print={other_value}")
        if public and (member or not report.is_issued):
            query.append("version=public")
        if form == CopyForm.DOCX:
            label = "Word document"
        else:
            label = f"PDF, {other if large != report.large_print else own}"
        if public and (member or not report.is_issued):
            label = f"Public version: {label}"
        url = (docx if form == CopyForm.DOCX else pdf) + (f"?{'&'.join(query)}" if query else "")
        links.append(Download(url, label))
    return links


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
    member = access.sees_restricted(request.user, report.partnership_id)
    wording = _wording(report) if may_issue and not report.is_issued else None
    return render(
        request,
        "reports_web/detail.html",
        {
            "report": report,
            "periods": periods,
            "may_issue": may_issue,
            "partnership": report.partnership,
            "member": member,
            "inline": report.is_issued or report.renders_inline,
            "under_way": {r.kind: r for r in renders},
            "still_standard": [_WORDING_NAMES[k] for k in wording.still_standard]
            if wording
            else [],
            "missing": [_WORDING_NAMES[k] for k in wording.missing] if wording else [],
            "downloads": _downloads(report, member)
            if report.is_issued or report.renders_inline
            else [],
            "later_versions": list(report.next_versions.order_by("version", "pk"))
            if member
            else [],
            "still_open": [] if report.is_issued else _still_open(report),
            "closes_periods": access.is_coordinator(request.user, report.partnership_id),
            "coordinators": [
                access.display_name(u) for u in access.coordinators(report.partnership_id)
            ],
        },
    )


_WORDING_NAMES = {
    "purpose": "the purpose",
    "recommendation": "the recommendation",
    "implications": "the implications",
    "committee": "the committee's name",
    "formats": "who to contact for other formats",
}


def _wants(request: HttpRequest, report: ScrutinyReport) -> tuple[bool, bool]:
    """(large print, public version) asked for in the query string; a visitor who may not see
    restricted items always gets the public version."""
    printed = request.GET.get("print", "")
    large = report.large_print if printed not in ("standard", "large") else printed == "large"
    member = access.sees_restricted(request.user, report.partnership_id)
    return large, request.GET.get("version") == "public" or not member


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
    """The draft as a page of the site: the very document its PDF is made from, read on screen.

    An issued report is its stored PDF: the HTML would be made from the plan as it is now,
    which may have changed since (by an amendment), so the record itself is offered instead.
    """
    report = _visible_report(request, pk)
    large, public = _wants(request, report)
    if report.is_issued:
        url = reverse("report-pdf", args=[report.pk])
        return redirect(url + ("?version=public" if request.GET.get("version") == "public" else ""))
    content = in_print(issuing.report_content(report, public=public), large)
    response = render(
        request,
        "reports_web/preview.html",
        {
            **document_context(content),
            "report": report,
            "partnership": report.partnership,
            "wide_layout": True,
            "web": True,  # wide tables scroll in their own boxes on a narrow screen
            "downloads": _downloads(report, True) if report.renders_inline else [],
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _file(data: bytes, content_type: str, filename: str, disposition: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _issued_file(
    request: HttpRequest, report: ScrutinyReport, *, form: str, public: bool
) -> HttpResponse:
    """One of an issued report's kept forms, exactly as issued, with its checksum as ETag."""
    try:
        data = issuing.issued_form(report, public=public, form=form)
    except issuing.FormNotKept as error:
        raise Http404(str(error)) from error
    main = not (public and report.public_differs) and form == (
        CopyForm.LARGE_PRINT_PDF if report.large_print else CopyForm.PDF
    )
    checksum = report.sha256 if main else hashlib.sha256(data).hexdigest()
    etag = f'"{checksum}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response: HttpResponse = HttpResponseNotModified()
    else:
        docx = form == CopyForm.DOCX
        response = _file(
            data,
            DOCX_TYPE if docx else "application/pdf",
            report.file_name(
                large_print=form == CopyForm.LARGE_PRINT_PDF,
                public=public and report.public_differs,
                extension="docx" if docx else "pdf",
            ),
            "attachment",
        )
        response["Content-Length"] = str(len(data))
    response["ETag"] = etag
    response["Cache-Control"] = "private"
    return response


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _too_long(request: HttpRequest, report: ScrutinyReport) -> HttpResponse:
    # Too long to make while the browser waits: the report's page offers a button to
    # make it in the background instead.
    messages.info(request, "This report is too long to preview straight away.")
    return redirect(report)


@require_http_methods(["GET", "HEAD"])
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as PDF: a draft made now (inline), an issued one exactly as issued.
    ``?print=large`` or ``standard``, ``?version=public``."""
    report = _visible_report(request, pk)
    large, public = _wants(request, report)
    if report.is_issued:
        form = CopyForm.LARGE_PRINT_PDF if large else CopyForm.PDF
        return _issued_file(request, report, form=form, public=public)
    if not report.renders_inline:
        return _too_long(request, report)
    data = issuing.report_pdf(report, public=public, large_print=large)
    response = _file(
        data,
        "application/pdf",
        report.file_name(large_print=large, public=public),
        "inline",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def report_docx(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as a Word document, for a council's committee system; as ``report_pdf``."""
    report = _visible_report(request, pk)
    _, public = _wants(request, report)
    if report.is_issued:
        return _issued_file(request, report, form=CopyForm.DOCX, public=public)
    if not report.renders_inline:
        return _too_long(request, report)
    data = issuing.report_docx(report, public=public)
    response = _file(
        data, DOCX_TYPE, report.file_name(public=public, extension="docx"), "attachment"
    )
    response["Cache-Control"] = "private, no-store"
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
