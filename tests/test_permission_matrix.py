"""Who may do what, as one matrix: every role, on every page and action, in each partnership.

In the manner of NetBox's and healthchecks' permission tests. Every page of ``csp/urls.py`` that
takes a partnership's object is requested by every kind of visitor, once for Castle's object and
once for Elsewhere's:

* signed out, on a partnership without the public view: asked to sign in (302 to the sign-in page);
* a signed-in user of another partnership: 404, the page's existence not even confirmed;
* a member whose role lacks the right: 403;
* a member whose role has it, and a superuser: 200, or 302 onwards after a POST.

A POST that is refused must change nothing: the database is compared before and after. A POST
that is allowed must change what it says it changes, so a case cannot pass by doing nothing.

The second matrix writes an update through the period page: an officer writes only the actions
their organisation leads (and "All partners" actions, as any member organisation); viewers and
clerks write none.

PDFs are not rendered: a stand-in replaces the renderer, since who may see a PDF is decided
before it is made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from csp.access import audience
from csp.models import (
    Action,
    ActionLead,
    ActionWatch,
    AgencyReportRender,
    Amendment,
    Evidence,
    ImportJob,
    JobState,
    Membership,
    Organisation,
    Partnership,
    PeriodStatus,
    PersonalLink,
    Plan,
    QuarterlyUpdate,
    Reminder,
    ReportingPeriod,
    ReportState,
    ScrutinyReport,
    UpdateComment,
    UpdateState,
    UpdateStatus,
)
from csp.models.reports import RenderKind, RenderState, ReportRender, audience_key
from csp.reports import issuing
from csp.views.imports import SESSION_KEY
from tests import factories as make
from tests.cast import Cast, build_cast
from tests.html import form_fields

pytestmark = pytest.mark.django_db

FAKE_PDF = b"%PDF-1.7\nstand-in bytes\n%%EOF\n"

IMPORT_CSV = (
    "Priority,Strategic objective,Action,Lead,Period,Status,Update\n"
    "Safer streets,Cut burglary,Visit victims,Shire Police,2016/17 Q1,Green,12 visits\n"
    ",,Mark property,Castle Council,,,\n"
)

# The visitors, in the order of every row of expected codes below.
USERS = ("anonymous", "alice", "olive", "dave", "bob", "clara", "charlie", "superuser")
#  alice: Castle coordinator       olive: Castle officer, Castle Council (leads hub, burglary)
#  bob:   Castle viewer            dave:  Castle officer, Shire Police (leads patrols, covert)
#  clara: Castle clerk             charlie: viewer in Elsewhere only


# -- the world the cases act on -----------------------------------------------------------------


@dataclass
class World:
    """The cast, and the few more objects a matrix needs in each partnership."""

    cast: Cast
    superuser: User
    # Castle
    submitted: QuarterlyUpdate  # hub, South, Q2 (open): awaiting review
    q4: ReportingPeriod  # reported
    reported: QuarterlyUpdate  # hub, North, Q4: accepted, locked
    draft: ScrutinyReport  # covers Q1
    issued: ScrutinyReport  # covers Q4
    # Elsewhere
    far_trust: Organisation  # a member of Elsewhere only
    e_q1: ReportingPeriod  # closed
    e_q2: ReportingPeriod  # open
    e_q3: ReportingPeriod  # reported
    e_submitted: QuarterlyUpdate  # faraway, Q2, awaiting review
    e_reported: QuarterlyUpdate  # faraway, Q3, accepted, locked
    e_draft: ScrutinyReport
    e_issued: ScrutinyReport
    rendered: ReportRender  # the Castle draft's PDF, made in the background
    e_rendered: ReportRender
    # Agency reports made in the background for what Castle's members see, and charlie
    agency_rendered: AgencyReportRender
    e_agency_rendered: AgencyReportRender
    link: PersonalLink  # Castle Council's, for Q2
    e_link: PersonalLink  # Far Trust's, for Elsewhere's Q2
    evidence: Evidence  # a file attached to ``submitted``
    e_evidence: Evidence  # and to ``e_submitted``

    def user(self, name: str) -> User | None:
        if name == "anonymous":
            return None
        if name == "superuser":
            return self.superuser
        return getattr(self.cast, name)


def reported_update(action: Action, period: ReportingPeriod, district=None) -> QuarterlyUpdate:
    """An accepted update in ``period``, which is then marked reported (and so locked)."""
    update = make.update(action, period, UpdateStatus.ON_TRACK, district, progress="As reported")
    ReportingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.REPORTED)
    period.refresh_from_db()
    return update


def submitted_update(action, period, district, organisation, author) -> QuarterlyUpdate:
    return make.update(
        action,
        period,
        UpdateStatus.AT_RISK,
        district,
        state=UpdateState.SUBMITTED,
        organisation=organisation,
        author=author,
        submitted_at=timezone.now(),
        progress="Waiting for review",
    )


def issued_report(partnership, plan, periods, by) -> ScrutinyReport:
    """An issued report with stand-in bytes, as tests/test_issued_reports.py makes them."""
    report = ScrutinyReport.objects.create(
        partnership=partnership,
        plan=plan,
        state=ReportState.ISSUED,
        pdf=FAKE_PDF,
        sha256=hashlib.sha256(FAKE_PDF).hexdigest(),
        size=len(FAKE_PDF),
        issued_at=timezone.now(),
        issued_by=by,
    )
    report.periods.set(periods)
    return report


def draft_report(partnership, plan, periods, by) -> ScrutinyReport:
    report = ScrutinyReport.objects.create(partnership=partnership, plan=plan, created_by=by)
    report.periods.set(periods)
    return report


def rendered_pdf(report: ScrutinyReport) -> ReportRender:
    """A finished background render of a draft, holding stand-in bytes."""
    return ReportRender.objects.create(
        report=report,
        kind=RenderKind.DRAFT,
        state=RenderState.DONE,
        pdf=FAKE_PDF,
        size=len(FAKE_PDF),
        finished_at=timezone.now(),
    )


def agency_rendered(organisation: Organisation, for_whom: User) -> AgencyReportRender:
    """A finished background agency report, for what ``for_whom`` sees, holding stand-in bytes."""
    return AgencyReportRender.objects.create(
        organisation=organisation,
        audience=audience_key(audience(for_whom)),
        state=JobState.DONE,
        pdf=FAKE_PDF,
        size=len(FAKE_PDF),
        finished_at=timezone.now(),
    )


def personal_link(period, organisation, by) -> PersonalLink:
    ReportingPeriod.objects.filter(pk=period.pk).update(
        deadline=timezone.localdate() + timedelta(days=30)
    )
    period.refresh_from_db()
    return PersonalLink.create(
        period=period,
        organisation=organisation,
        holder_name="Pat Partner",
        holder_email="pat@example.invalid",
        grace_days=7,
        created_by=by,
    )


def evidence_for(update: QuarterlyUpdate) -> Evidence:
    item = Evidence(update=update, name="report.pdf", kind="pdf", size=len(FAKE_PDF))
    item.file.save(".pdf", ContentFile(FAKE_PDF), save=False)
    item.save()
    return item


def build_world() -> World:
    cast = build_cast()
    superuser = User.objects.create_superuser("root", "root@example.invalid", "pw")
    q4 = make.period(cast.plan, 2016, 4, status=PeriodStatus.OPEN)
    far_trust = make.organisation(name="Far Trust", slug="far-trust")
    Membership.objects.create(partnership=cast.elsewhere, organisation=far_trust)
    e_q1 = make.period(cast.other_plan, 2016, 1, status=PeriodStatus.CLOSED)
    e_q2 = make.period(cast.other_plan, 2016, 2, status=PeriodStatus.OPEN)
    e_q3 = make.period(cast.other_plan, 2016, 3, status=PeriodStatus.OPEN)
    e_reported = reported_update(cast.faraway, e_q3)
    reported = reported_update(cast.hub, q4, cast.north)
    draft = draft_report(cast.castle, cast.plan, [cast.q1], cast.alice)
    e_draft = draft_report(cast.elsewhere, cast.other_plan, [e_q1], superuser)
    submitted = submitted_update(cast.hub, cast.q2, cast.south, cast.council, cast.olive)
    e_submitted = submitted_update(cast.faraway, e_q2, None, cast.police, None)
    return World(
        cast=cast,
        superuser=superuser,
        submitted=submitted,
        q4=q4,
        reported=reported,
        draft=draft,
        issued=issued_report(cast.castle, cast.plan, [q4], cast.alice),
        far_trust=far_trust,
        e_q1=e_q1,
        e_q2=e_q2,
        e_q3=e_q3,
        e_submitted=e_submitted,
        e_reported=e_reported,
        e_draft=e_draft,
        e_issued=issued_report(cast.elsewhere, cast.other_plan, [e_q3], superuser),
        rendered=rendered_pdf(draft),
        e_rendered=rendered_pdf(e_draft),
        agency_rendered=agency_rendered(cast.council, cast.alice),
        e_agency_rendered=agency_rendered(far_trust, cast.charlie),
        link=personal_link(cast.q2, cast.council, cast.alice),
        e_link=personal_link(e_q2, far_trust, superuser),
        evidence=evidence_for(submitted),
        e_evidence=evidence_for(e_submitted),
    )


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """Built once for the module, as ``TestCase.setUpTestData`` would: each test runs in a
    savepoint inside this transaction and is rolled back to it, so every test starts from the
    same world (the matrix has hundreds of tests; building the cast for each would triple the
    time). Treat the objects as read-only: the views fetch their own copies."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(shared_world, db, monkeypatch) -> World:
    # Who may see a PDF is decided before it is made: no rendering here.
    monkeypatch.setattr(issuing, "report_pdf", lambda self, **kwargs: FAKE_PDF)
    monkeypatch.setattr(
        "csp.views.agency_report.render_agency_pdf", lambda report, progress=None: FAKE_PDF
    )
    return shared_world


def snapshot() -> dict[str, Any]:
    """What a refused POST must leave exactly as it was."""
    return {
        "updates": sorted(
            QuarterlyUpdate.objects.values_list(
                "pk", "state", "status", "progress", "return_comment", "version", "organisation"
            )
        ),
        "periods": sorted(ReportingPeriod.objects.values_list("pk", "status")),
        "amendments": sorted(Amendment.objects.values_list("pk", "closed_at")),
        "plans": sorted(Plan.objects.values_list("pk", flat=True)),
        "actions": Action.objects.count(),
        "organisations": Organisation.objects.count(),
        "reports": sorted(ScrutinyReport.objects.values_list("pk", "state")),
        "renders": ReportRender.objects.count(),
        "reminders": Reminder.objects.count(),
        "links": sorted(PersonalLink.objects.values_list("pk", "revoked_at")),
        "comments": UpdateComment.objects.count(),
        "watches": ActionWatch.objects.count(),
        "evidence": Evidence.objects.count(),
    }


# -- the cases ----------------------------------------------------------------------------------

# Rows of expected codes, one per visitor in the order of USERS.
#                anon alice olive dave bob clara charlie super
Row = tuple[int, int, int, int, int, int, int, int]
EVERYONE: Row = (200, 200, 200, 200, 200, 200, 200, 200)
SIGNED_IN: Row = (302, 200, 200, 200, 200, 200, 200, 200)
# Castle's objects
MEMBERS: Row = (302, 200, 200, 200, 200, 200, 404, 200)
COORDINATOR: Row = (302, 200, 403, 403, 403, 403, 404, 200)
COORDINATOR_POST: Row = (302, 302, 403, 403, 403, 403, 404, 302)
WRITERS: Row = (302, 200, 200, 200, 403, 403, 404, 200)
REPORT_MAKERS: Row = (302, 200, 403, 403, 403, 200, 404, 200)
REPORT_MAKERS_POST: Row = (302, 302, 403, 403, 403, 302, 404, 302)
# Elsewhere's objects: Castle's members find nothing; charlie, a viewer there, is refused
# whatever a viewer is refused.
E_MEMBERS: Row = (302, 404, 404, 404, 404, 404, 200, 200)
E_VIEWER_REFUSED: Row = (302, 404, 404, 404, 404, 404, 403, 200)
E_VIEWER_REFUSED_POST: Row = (302, 404, 404, 404, 404, 404, 403, 302)

Builder = Callable[[World], Any]


@dataclass(frozen=True)
class Case:
    label: str  # the url name, and which object when it matters
    url: str  # url name
    args: Builder
    codes: Row
    method: str = "GET"
    data: Builder = lambda w: {}
    writes: frozenset[str] = field(default_factory=frozenset)  # whose POST changes the database
    # Runs with the visitor's client before the request (the import preview's session).
    prepare: Callable[[Client, World], None] | None = None
    # Where a GET that is allowed sends its visitor on, when it is a redirect.
    onward: Builder | None = None

    @property
    def id(self) -> str:
        return f"{self.label}-{self.method}"


def seed_import(which: str) -> Callable[[Client, World], None]:
    """Store an upload and put its token in the visitor's session, as the upload step would."""

    def prepare(client: Client, w: World) -> None:
        partnership = w.cast.castle if which == "castle" else w.cast.elsewhere
        # A file per test: confirming an import deletes it, and files are not rolled back.
        path = default_storage.save("imports/matrix.csv", ContentFile(IMPORT_CSV.encode()))
        session = client.session
        session[SESSION_KEY] = {
            "token": {
                "partnership": partnership.pk,
                "name": "plan.csv",
                "path": path,
                "plan_slug": f"imported-{which}",
                "title": f"Imported into {which}",
                "first_year": 2016,
                # Castle's organisations are elsewhere on the site for Elsewhere: chosen, as
                # the check page's lead choices would have them.
                "leads": {}
                if which == "castle"
                else {
                    "shire police": {"use": "site", "organisation": w.cast.police.slug},
                    "castle council": {"use": "site", "organisation": w.cast.council.slug},
                },
            }
        }
        session.save()

    return prepare


def seed_import_job(which: str) -> Callable[[Client, World], None]:
    """An upload being imported by the background worker, as pressing Import leaves it."""
    seed = seed_import(which)

    def prepare(client: Client, w: World) -> None:
        seed(client, w)
        partnership = w.cast.castle if which == "castle" else w.cast.elsewhere
        session = client.session
        entry = session[SESSION_KEY]["token"]
        job = ImportJob.objects.create(partnership=partnership, token="token", options=entry)
        entry["job"] = job.pk
        session.save()

    return prepare


def upload_data(w: World) -> dict[str, Any]:
    return {
        "plan": "",
        "title": "Imported plan",
        "first_year": "2016",
        "file": SimpleUploadedFile("plan.csv", IMPORT_CSV.encode(), content_type="text/csv"),
    }


def deadline(quarter: str, year: str) -> dict[str, str]:
    return {"quarter": quarter, "deadline_day": "14", "deadline_month": "1", "deadline_year": year}


COORDINATORS = frozenset({"alice", "superuser"})
MAKERS = frozenset({"alice", "clara", "superuser"})
SUPERUSER = frozenset({"superuser"})


def c(label, url, args, codes, **kwargs) -> Case:
    return Case(label=label, url=url, args=args, codes=codes, **kwargs)


CASES = [
    # -- pages about no one partnership
    c("home", "home", lambda w: [], EVERYONE),
    c("action-list", "action-list", lambda w: [], SIGNED_IN),
    c("agency-list", "agency-list", lambda w: [], SIGNED_IN),
    c("my-updates", "my-updates", lambda w: [], SIGNED_IN),
    c("report-list", "report-list", lambda w: [], EVERYONE),
    c("report-new", "report-new", lambda w: [], (302, 200, 403, 403, 403, 200, 403, 200)),
    # -- Castle's
    c("plan-dashboard", "plan-dashboard", lambda w: [w.cast.plan.slug], MEMBERS),
    c("plan-export-xlsx", "plan-export-xlsx", lambda w: [w.cast.plan.slug], MEMBERS),
    c("plan-export-csv", "plan-export-csv", lambda w: [w.cast.plan.slug], MEMBERS),
    c("action-detail", "action-detail", lambda w: [w.cast.hub.pk], MEMBERS),
    c("action-detail-restricted", "action-detail", lambda w: [w.cast.covert.pk], MEMBERS),
    c(
        "action-follow",
        "action-follow",
        lambda w: [w.cast.hub.pk],
        (302, 302, 302, 302, 302, 302, 404, 302),  # anyone who may see it
        method="POST",
        data=lambda w: {"follow": "yes"},
        writes=frozenset({"alice", "olive", "dave", "bob", "clara", "superuser"}),
    ),
    c("evidence", "evidence", lambda w: [w.evidence.pk], MEMBERS),
    c(
        "personal-link-evidence",
        "personal-link-evidence",
        lambda w: [w.link.pk, w.link.token(), w.evidence.pk],
        EVERYONE,
    ),
    c("agency-detail", "agency-detail", lambda w: [w.cast.council.slug], MEMBERS),
    c("agency-report", "agency-report", lambda w: [w.cast.council.slug], MEMBERS),
    # Made for what Castle's members see: theirs alone (a superuser sees more, so gets its own).
    c(
        "agency-report-render",
        "agency-report-render",
        lambda w: [w.cast.council.slug, w.agency_rendered.pk],
        (302, 200, 200, 200, 200, 200, 404, 404),
    ),
    c(
        "agency-report-render-pdf",
        "agency-report-render-pdf",
        lambda w: [w.cast.council.slug, w.agency_rendered.pk],
        (302, 200, 200, 200, 200, 200, 404, 404),
    ),
    c("period-new", "period-new", lambda w: [w.cast.plan.slug], COORDINATOR),
    c(
        "period-new",
        "period-new",
        lambda w: [w.cast.plan.slug],
        COORDINATOR_POST,
        method="POST",
        data=lambda w: deadline("2016-17-q3", "2017"),
        writes=COORDINATORS,
    ),
    c("period-review", "period-review", lambda w: [w.cast.q2.pk], COORDINATOR),
    c(
        "period-close",
        "period-close",
        lambda w: [w.cast.q2.pk],
        COORDINATOR_POST,
        method="POST",
        data=lambda w: {"confirm": "yes"},
        writes=COORDINATORS,
    ),
    c(
        "period-close-unconfirmed",
        "period-close",
        lambda w: [w.cast.q2.pk],
        COORDINATOR,  # the question: what is missing and returned, and "close anyway?"
        method="POST",
    ),
    c(
        "period-reopen",
        "period-reopen",
        lambda w: [w.cast.q1.pk],
        COORDINATOR_POST,
        method="POST",
        writes=COORDINATORS,
    ),
    c(
        "period-report",
        "period-report",
        lambda w: [w.cast.q1.pk],
        COORDINATOR_POST,
        method="POST",
        writes=COORDINATORS,
    ),
    c(
        "review-accept",
        "review-accept",
        lambda w: [w.cast.q2.pk, w.submitted.pk],
        COORDINATOR_POST,
        method="POST",
        data=lambda w: {"version": w.submitted.version},
        writes=COORDINATORS,
    ),
    c(
        "review-return",
        "review-return",
        lambda w: [w.cast.q2.pk, w.submitted.pk],
        COORDINATOR_POST,
        method="POST",
        data=lambda w: {"version": w.submitted.version, "comment": "Say which venue"},
        writes=COORDINATORS,
    ),
    c(
        "review-comment",
        "review-comment",
        lambda w: [w.cast.q2.pk, w.submitted.pk],
        COORDINATOR_POST,
        method="POST",
        data=lambda w: {"text": "Which venue?"},
        writes=COORDINATORS,
    ),
    c(
        "review-accept-all",
        "review-accept-all",
        lambda w: [w.cast.q2.pk],
        COORDINATOR_POST,
        method="POST",
        data=lambda w: {"updates": f"{w.submitted.pk}:{w.submitted.version}", "confirm": "yes"},
        writes=COORDINATORS,
    ),
    c(
        "review-remind",
        "review-remind",
        lambda w: [w.cast.q2.pk],
        COORDINATOR_POST,
        method="POST",
        data=lambda w: {"organisation": w.cast.police.pk},  # owes patrols and covert
        writes=COORDINATORS,
    ),
    c(
        "review-amend",
        "review-amend",
        lambda w: [w.q4.pk, w.reported.pk],
        COORDINATOR_POST,
        method="POST",
        data=lambda w: {"reason": "Wrong district"},
        writes=COORDINATORS,
    ),
    c("plan-import", "plan-import", lambda w: [w.cast.castle.slug], COORDINATOR),
    c(
        "plan-import",
        "plan-import",
        lambda w: [w.cast.castle.slug],
        COORDINATOR_POST,
        method="POST",
        data=upload_data,  # stores the file for the preview; the database is untouched
    ),
    c(
        "plan-import-preview",
        "plan-import-preview",
        lambda w: [w.cast.castle.slug, "token"],
        COORDINATOR,
        prepare=seed_import("castle"),
    ),
    c(
        "plan-import-preview",
        "plan-import-preview",
        lambda w: [w.cast.castle.slug, "token"],
        COORDINATOR_POST,
        method="POST",
        data=lambda w: {"action": "import"},
        prepare=seed_import("castle"),
        writes=COORDINATORS,
    ),
    c(
        "plan-import-job",
        "plan-import-job",
        lambda w: [w.cast.castle.slug, "token"],
        COORDINATOR,
        prepare=seed_import_job("castle"),
    ),
    c("period-updates", "period-updates", lambda w: [w.cast.q2.pk], WRITERS),
    c("period-links", "period-links", lambda w: [w.cast.q2.pk], COORDINATOR),
    c(
        "period-links",
        "period-links",
        lambda w: [w.cast.q2.pk],
        (302, 200, 403, 403, 403, 403, 404, 200),  # the new link is shown on the page, once
        method="POST",
        data=lambda w: {
            "organisation": w.cast.council.pk,
            "holder_name": "Sam",
            "holder_email": "sam@example.invalid",
            "grace_days": "3",
        },
        writes=COORDINATORS,
    ),
    c(
        "period-link-revoke",
        "period-link-revoke",
        lambda w: [w.cast.q2.pk, w.link.pk],
        COORDINATOR_POST,
        method="POST",
        writes=COORDINATORS,
    ),
    c(
        "period-link-send",
        "period-link-send",
        lambda w: [w.cast.q2.pk, w.link.pk],
        COORDINATOR_POST,  # e-mails it again; the database is untouched
        method="POST",
    ),
    # The token is the key, whoever holds it: signed in or not, anyone with it gets the page.
    c("personal-link", "personal-link", lambda w: [w.link.pk, w.link.token()], EVERYONE),
    c(
        "report-new",
        "report-new",
        lambda w: [],
        (302, 302, 403, 403, 403, 302, 403, 302),
        method="POST",
        data=lambda w: {"plan": w.cast.plan.slug, "periods": [w.cast.q2.pk], "committee": "C"},
        writes=MAKERS,
    ),
    c("report-detail-draft", "report-detail", lambda w: [w.draft.pk], REPORT_MAKERS),
    c(
        "report-detail-draft",
        "report-detail",
        lambda w: [w.draft.pk],
        REPORT_MAKERS_POST,
        method="POST",  # issues it
        writes=MAKERS,
    ),
    c(
        "report-ask-to-close",
        "report-ask-to-close",
        lambda w: [w.draft.pk],
        REPORT_MAKERS_POST,  # e-mails the coordinators; the database is untouched
        method="POST",
    ),
    c("report-preview-draft", "report-preview", lambda w: [w.draft.pk], REPORT_MAKERS),
    c("report-pdf-draft", "report-pdf", lambda w: [w.draft.pk], REPORT_MAKERS),
    c("report-detail-issued", "report-detail", lambda w: [w.issued.pk], MEMBERS),
    c(
        "report-detail-issued",
        "report-detail",
        lambda w: [w.issued.pk],
        # Makers are told it is issued already; no one changes it.
        (302, 302, 403, 403, 403, 302, 404, 302),
        method="POST",
    ),
    # An issued report's preview is its stored PDF: members are sent there.
    c(
        "report-preview-issued",
        "report-preview",
        lambda w: [w.issued.pk],
        (302, 302, 302, 302, 302, 302, 404, 302),
        onward=lambda w: reverse("report-pdf", args=[w.issued.pk]),
    ),
    c(
        "report-render-new",
        "report-render-new",
        lambda w: [w.draft.pk],
        REPORT_MAKERS_POST,
        method="POST",  # queues a background render of the draft's PDF
        writes=MAKERS,
    ),
    c("report-render", "report-render", lambda w: [w.draft.pk, w.rendered.pk], REPORT_MAKERS),
    c(
        "report-render-pdf",
        "report-render-pdf",
        lambda w: [w.draft.pk, w.rendered.pk],
        REPORT_MAKERS,
    ),
    c("report-pdf-issued", "report-pdf", lambda w: [w.issued.pk], MEMBERS),
    # -- Elsewhere's
    c("plan-dashboard-elsewhere", "plan-dashboard", lambda w: [w.cast.other_plan.slug], E_MEMBERS),
    c(
        "plan-export-xlsx-elsewhere",
        "plan-export-xlsx",
        lambda w: [w.cast.other_plan.slug],
        E_MEMBERS,
    ),
    c(
        "plan-export-csv-elsewhere",
        "plan-export-csv",
        lambda w: [w.cast.other_plan.slug],
        E_MEMBERS,
    ),
    c("action-detail-elsewhere", "action-detail", lambda w: [w.cast.faraway.pk], E_MEMBERS),
    c(
        "action-follow-elsewhere",
        "action-follow",
        lambda w: [w.cast.faraway.pk],
        (302, 404, 404, 404, 404, 404, 302, 302),
        method="POST",
        data=lambda w: {"follow": "yes"},
        writes=frozenset({"charlie", "superuser"}),
    ),
    c("evidence-elsewhere", "evidence", lambda w: [w.e_evidence.pk], E_MEMBERS),
    c(
        "review-comment-elsewhere",
        "review-comment",
        lambda w: [w.e_q2.pk, w.e_submitted.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        data=lambda w: {"text": "Which venue?"},
        writes=SUPERUSER,
    ),
    c("agency-detail-elsewhere", "agency-detail", lambda w: [w.far_trust.slug], E_MEMBERS),
    c("agency-report-elsewhere", "agency-report", lambda w: [w.far_trust.slug], E_MEMBERS),
    c(
        "agency-report-render-elsewhere",
        "agency-report-render",
        lambda w: [w.far_trust.slug, w.e_agency_rendered.pk],
        (302, 404, 404, 404, 404, 404, 200, 404),
    ),
    c(
        "agency-report-render-pdf-elsewhere",
        "agency-report-render-pdf",
        lambda w: [w.far_trust.slug, w.e_agency_rendered.pk],
        (302, 404, 404, 404, 404, 404, 200, 404),
    ),
    c("period-new-elsewhere", "period-new", lambda w: [w.cast.other_plan.slug], E_VIEWER_REFUSED),
    c(
        "period-new-elsewhere",
        "period-new",
        lambda w: [w.cast.other_plan.slug],
        E_VIEWER_REFUSED_POST,
        method="POST",
        data=lambda w: deadline("2016-17-q4", "2017"),
        writes=SUPERUSER,
    ),
    c("period-review-elsewhere", "period-review", lambda w: [w.e_q2.pk], E_VIEWER_REFUSED),
    c(
        "period-close-elsewhere",
        "period-close",
        lambda w: [w.e_q2.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        data=lambda w: {"confirm": "yes"},
        writes=SUPERUSER,
    ),
    c(
        "period-reopen-elsewhere",
        "period-reopen",
        lambda w: [w.e_q1.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        writes=SUPERUSER,
    ),
    c(
        "period-report-elsewhere",
        "period-report",
        lambda w: [w.e_q1.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        writes=SUPERUSER,
    ),
    c(
        "review-accept-elsewhere",
        "review-accept",
        lambda w: [w.e_q2.pk, w.e_submitted.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        data=lambda w: {"version": w.e_submitted.version},
        writes=SUPERUSER,
    ),
    c(
        "review-return-elsewhere",
        "review-return",
        lambda w: [w.e_q2.pk, w.e_submitted.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        data=lambda w: {"version": w.e_submitted.version, "comment": "More detail"},
        writes=SUPERUSER,
    ),
    c(
        "review-accept-all-elsewhere",
        "review-accept-all",
        lambda w: [w.e_q2.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        data=lambda w: {
            "updates": f"{w.e_submitted.pk}:{w.e_submitted.version}",
            "confirm": "yes",
        },
        writes=SUPERUSER,
    ),
    c(
        "review-remind-elsewhere",
        "review-remind",
        lambda w: [w.e_q2.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        data=lambda w: {"organisation": w.far_trust.pk},
    ),
    c(
        "review-amend-elsewhere",
        "review-amend",
        lambda w: [w.e_q3.pk, w.e_reported.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        data=lambda w: {"reason": "Wrong figure"},
        writes=SUPERUSER,
    ),
    c("plan-import-elsewhere", "plan-import", lambda w: [w.cast.elsewhere.slug], E_VIEWER_REFUSED),
    c(
        "plan-import-elsewhere",
        "plan-import",
        lambda w: [w.cast.elsewhere.slug],
        E_VIEWER_REFUSED_POST,
        method="POST",
        data=upload_data,
    ),
    c(
        "plan-import-preview-elsewhere",
        "plan-import-preview",
        lambda w: [w.cast.elsewhere.slug, "token"],
        E_VIEWER_REFUSED,
        prepare=seed_import("elsewhere"),
    ),
    c(
        "plan-import-job-elsewhere",
        "plan-import-job",
        lambda w: [w.cast.elsewhere.slug, "token"],
        E_VIEWER_REFUSED,
        prepare=seed_import_job("elsewhere"),
    ),
    c(
        "plan-import-preview-elsewhere",
        "plan-import-preview",
        lambda w: [w.cast.elsewhere.slug, "token"],
        E_VIEWER_REFUSED_POST,
        method="POST",
        data=lambda w: {"action": "import"},
        prepare=seed_import("elsewhere"),
        writes=SUPERUSER,
    ),
    c("period-updates-elsewhere", "period-updates", lambda w: [w.e_q2.pk], E_VIEWER_REFUSED),
    c("period-links-elsewhere", "period-links", lambda w: [w.e_q2.pk], E_VIEWER_REFUSED),
    c(
        "period-link-revoke-elsewhere",
        "period-link-revoke",
        lambda w: [w.e_q2.pk, w.e_link.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        writes=SUPERUSER,
    ),
    c(
        "period-link-send-elsewhere",
        "period-link-send",
        lambda w: [w.e_q2.pk, w.e_link.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
    ),
    c(
        "report-new-elsewhere",
        "report-new",
        lambda w: [],
        # Not an object's address: a coordinator or clerk of Castle is shown the plans they may
        # report on (Elsewhere's is not among them), and nothing is made.
        (302, 200, 403, 403, 403, 200, 403, 302),
        method="POST",
        data=lambda w: {"plan": w.cast.other_plan.slug, "periods": [w.e_q2.pk], "committee": "C"},
        writes=SUPERUSER,
    ),
    c("report-detail-draft-elsewhere", "report-detail", lambda w: [w.e_draft.pk], E_VIEWER_REFUSED),
    c(
        "report-detail-draft-elsewhere",
        "report-detail",
        lambda w: [w.e_draft.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        writes=SUPERUSER,
    ),
    c(
        "report-ask-to-close-elsewhere",
        "report-ask-to-close",
        lambda w: [w.e_draft.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
    ),
    c(
        "report-preview-draft-elsewhere",
        "report-preview",
        lambda w: [w.e_draft.pk],
        E_VIEWER_REFUSED,
    ),
    c("report-pdf-draft-elsewhere", "report-pdf", lambda w: [w.e_draft.pk], E_VIEWER_REFUSED),
    c(
        "report-render-new-elsewhere",
        "report-render-new",
        lambda w: [w.e_draft.pk],
        E_VIEWER_REFUSED_POST,
        method="POST",
        writes=SUPERUSER,
    ),
    c(
        "report-render-elsewhere",
        "report-render",
        lambda w: [w.e_draft.pk, w.e_rendered.pk],
        E_VIEWER_REFUSED,
    ),
    c(
        "report-render-pdf-elsewhere",
        "report-render-pdf",
        lambda w: [w.e_draft.pk, w.e_rendered.pk],
        E_VIEWER_REFUSED,
    ),
    c("report-detail-issued-elsewhere", "report-detail", lambda w: [w.e_issued.pk], E_MEMBERS),
    c("report-pdf-issued-elsewhere", "report-pdf", lambda w: [w.e_issued.pk], E_MEMBERS),
]


def signed_in_client(w: World, who: str) -> Client:
    client = Client()
    user = w.user(who)
    if user is not None:
        client.force_login(user)
    return client


def check(world: World, case: Case, who: str, expected: int, writes: frozenset[str]) -> None:
    """Make the case's request as ``who``; check the code and what changed in the database."""
    client = signed_in_client(world, who)
    if case.prepare is not None:
        case.prepare(client, world)
    url = reverse(case.url, args=case.args(world))
    before = snapshot()

    response = client.post(url, case.data(world)) if case.method == "POST" else client.get(url)

    assert response.status_code == expected, f"{case.method} {url} as {who}"
    if response.status_code == 302 and case.onward is not None:
        onward = response["Location"] == case.onward(world)
        to_sign_in = not onward and response["Location"].startswith(reverse("login"))
        assert onward or to_sign_in, response["Location"]
        assert not to_sign_in or who == "anonymous", response["Location"]
    elif response.status_code == 302:
        to_sign_in = response["Location"].startswith(reverse("login"))
        # Only the signed-out are sent to sign in; a member's 302 is the page after a success.
        assert to_sign_in == (who == "anonymous"), response["Location"]
    if case.method == "POST":
        changed = snapshot() != before
        assert changed == (who in writes), (
            f"POST {url} as {who} {'changed' if changed else 'left'} the database"
        )


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_matrix(world, case, who):
    check(world, case, who, case.codes[USERS.index(who)], case.writes)


# With Castle's public view on, the signed-out and other partnerships' users see what the public
# sees; everything else still needs a member with the right role, and changes nothing.
#                                    anon charlie
PUBLIC: dict[str, tuple[int, int]] = {
    "home-GET": (200, 200),
    "action-list-GET": (200, 200),
    "agency-list-GET": (200, 200),
    "my-updates-GET": (302, 200),
    "report-list-GET": (200, 200),
    "report-new-GET": (302, 403),
    "plan-dashboard-GET": (200, 200),
    "plan-export-xlsx-GET": (200, 200),
    "plan-export-csv-GET": (200, 200),
    "action-detail-GET": (200, 200),
    "action-detail-restricted-GET": (302, 404),
    # The public view shows reported updates only: the submitted one's file is public now,
    # once it is submitted (a draft's would not be), as the update itself is.
    "evidence-GET": (200, 200),
    "agency-detail-GET": (200, 200),
    "agency-report-GET": (200, 200),
    # Made for what members see: never for the public.
    "agency-report-render-GET": (404, 404),
    "agency-report-render-pdf-GET": (404, 404),
    "period-new-GET": (302, 403),
    "period-new-POST": (302, 403),
    "period-review-GET": (302, 403),
    "period-close-POST": (302, 403),
    "period-close-unconfirmed-POST": (302, 403),
    "period-reopen-POST": (302, 403),
    "period-report-POST": (302, 403),
    "review-accept-POST": (302, 403),
    "review-return-POST": (302, 403),
    "review-amend-POST": (302, 403),
    "review-comment-POST": (302, 403),
    "review-accept-all-POST": (302, 403),
    "review-remind-POST": (302, 403),
    "plan-import-GET": (302, 403),
    "plan-import-POST": (302, 403),
    "plan-import-preview-GET": (302, 403),
    "plan-import-preview-POST": (302, 403),
    # Not the period review's 403: the period page looks among the user's own partnerships only.
    "period-updates-GET": (302, 404),
    "period-links-GET": (302, 403),
    "period-links-POST": (302, 403),
    "period-link-revoke-POST": (302, 403),
    "period-link-send-POST": (302, 403),
    "report-new-POST": (302, 403),
    "report-detail-draft-GET": (302, 403),
    "report-detail-draft-POST": (302, 403),
    "report-ask-to-close-POST": (302, 403),
    "report-preview-draft-GET": (302, 403),
    "report-pdf-draft-GET": (302, 403),
    "report-detail-issued-GET": (200, 200),
    "report-detail-issued-POST": (302, 403),
    "report-preview-issued-GET": (302, 302),  # to the stored PDF
    "report-pdf-issued-GET": (200, 200),
}


@pytest.mark.parametrize("who", ["anonymous", "charlie"])
@pytest.mark.parametrize(
    "case", [case for case in CASES if case.id in PUBLIC], ids=lambda case: f"public-{case.id}"
)
def test_public_matrix(world, case, who):
    Partnership.objects.filter(pk=world.cast.castle.pk).update(is_public=True)
    check(world, case, who, PUBLIC[case.id][who == "charlie"], frozenset())


def test_every_case_is_named_once():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert set(PUBLIC) <= set(ids)


def test_the_matrix_covers_every_page_that_takes_an_object():
    """A page added to csp/urls.py with an object in its address needs a row here."""
    from csp.urls import urlpatterns

    covered = {case.url for case in CASES}
    with_object = {
        p.name
        for p in urlpatterns
        if getattr(p, "name", None)
        and "<" in str(p.pattern)
        and not str(p.pattern).startswith("accounts/")
    }
    assert with_object - covered == set()


# -- writing updates through the period page ----------------------------------------------------


@pytest.fixture
def watch(world) -> Action:
    """A fresh "All partners" action of Castle, with no update yet (leaflets has one in Q2)."""
    cast = world.cast
    action = make.action(cast.leaflets.objective, description="Set up neighbourhood watch")
    ActionLead.objects.create(action=action, all_partners=True)
    # Those who may not write work for Castle Council too, which leads the hub and is a member
    # of Castle: only their role (or partnership) keeps them out.
    for user in (cast.bob, cast.clara, cast.charlie):
        make.officer(cast.council, name=f"{user.username.title()} Officer", user=user)
    return action


# Target: (the action, by name) in North, Q2, and which organisation each writer reports for.
TARGETS = {
    "hub": {"olive": "council"},  # Castle Council leads it
    "patrols": {"dave": "police"},  # Shire Police leads it
    "watch": {"olive": "council", "dave": "police"},  # All partners: any member organisation
}
#                      anon alice olive dave bob clara charlie super
REFUSED_WRITE: Row = (302, 200, 200, 200, 403, 403, 404, 200)  # 200: "Nothing to save"


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("target", list(TARGETS))
def test_writing_an_update(world, watch, target, who):
    cast = world.cast
    user = world.user(who)
    action = watch if target == "watch" else getattr(cast, target)
    client = Client()
    if user is not None:
        client.force_login(user)
    url = reverse("period-updates", args=[cast.q2.pk])
    page = client.get(url)
    drawn = form_fields(page) if page.status_code == 200 else {}
    slot = f"s{action.pk}-{cast.north.pk}"
    # Posted whether or not the page offered the form: forged fields must be ignored.
    forged = {
        f"{slot}-version": "0",
        f"{slot}-status": UpdateStatus.ON_TRACK,
        f"{slot}-progress": f"Written by {who}",
        f"{slot}-risks": "",
    }
    before = snapshot()

    response = client.post(url, drawn | forged | {"intent": "draft"})

    writers = TARGETS[target]
    expected = 302 if who in writers else REFUSED_WRITE[USERS.index(who)]
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    written = QuarterlyUpdate.objects.filter(action=action, period=cast.q2, district=cast.north)
    if who in writers:
        assert f'name="{slot}-progress"' in page.content.decode()
        update = written.get()
        assert update.state == UpdateState.DRAFT
        assert update.progress == f"Written by {who}"
        assert update.author == user
        assert update.organisation == getattr(cast, writers[who])
    else:
        assert f'name="{slot}-progress"' not in page.content.decode()
        assert not written.exists()
        assert snapshot() == before
