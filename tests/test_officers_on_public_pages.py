"""Public pages name officers only where they lead something the visitor may see (issue 13, item 8).

Shire Police is a member of Castle, whose public view is on, and leads in Elsewhere, which is
private. An officer of the police who leads only in Elsewhere, or only Castle's restricted
action, or who signs in to Elsewhere alone, is never named to a signed-out visitor or to
someone outside that partnership: not on the agency page, the action pages and filters, the
search, the exports or the agency report.
"""

import io

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from csp.models import ActionLead, Officer, PartnershipRole, Role
from tests import factories as make

pytestmark = pytest.mark.django_db

PRIVATE = "Pat Private"  # leads only Elsewhere's action
RESTRICTED = "Rita Restricted"  # leads only Castle's restricted action
ELSEWHERE_WRITER = "Eve Elsewhere"  # leads nothing; signs in to Elsewhere only
HIDDEN = (PRIVATE, RESTRICTED, ELSEWHERE_WRITER)


@pytest.fixture
def officers(public):
    cast = public
    ActionLead.objects.filter(action=cast.faraway).update(
        officer=make.officer(cast.police, name=PRIVATE, initials="PP")
    )
    ActionLead.objects.filter(action=cast.covert).update(
        officer=make.officer(cast.police, name=RESTRICTED, initials="RR")
    )
    eve = User.objects.create_user("eve", "eve@example.invalid", "pw")
    make.officer(cast.police, name=ELSEWHERE_WRITER, user=eve)
    PartnershipRole.objects.create(user=eve, partnership=cast.elsewhere, role=Role.OFFICER)
    return cast


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode()


def test_a_signed_out_visitor_sees_only_the_officer_leading_a_public_action(client, officers):
    html = page(client, "/agencies/shire-police/")
    assert "Ida Inspector (II)" in html
    for name in HIDDEN:
        assert name not in html


def test_a_member_of_the_public_partnership_sees_its_restricted_lead_too(client, officers):
    client.force_login(officers.bob)
    html = page(client, "/agencies/shire-police/")
    assert "Ida Inspector" in html
    assert RESTRICTED in html
    assert PRIVATE not in html
    assert ELSEWHERE_WRITER not in html


def test_a_member_of_the_private_partnership_sees_its_own_officers(client, officers):
    client.force_login(officers.charlie)
    html = page(client, "/agencies/shire-police/")
    assert PRIVATE in html
    assert ELSEWHERE_WRITER in html
    assert RESTRICTED not in html  # Castle's restricted action is for Castle's members


def test_the_queryset_rule(officers):
    def names(user):
        return set(Officer.objects.visible_to(user).values_list("name", flat=True))

    assert names(AnonymousUser()) == {"Ida Inspector"}
    assert names(officers.charlie) == {"Ida Inspector", PRIVATE, ELSEWHERE_WRITER}
    assert names(officers.bob) == {"Ida Inspector", RESTRICTED, "Olive Oakes"}
    root = User.objects.create_superuser("root", "root@example.invalid", "pw")
    assert names(root) == set(Officer.objects.values_list("name", flat=True))


@pytest.mark.parametrize(
    "url",
    [
        "/agencies/",
        "/actions/?plan=castle-2016-17",
        "/actions/?plan=castle-2016-17&officer={private}&officer={restricted}",
        "/actions/?q=Pat",
        "/actions/?q=Rita",
        "/actions/export.csv?plan=castle-2016-17&period=2016-17-q1",
        "/actions/export.xlsx?plan=castle-2016-17&period=2016-17-q1",
        "/plans/castle-2016-17/",
        "/plans/castle-2016-17/export.csv",
        "/actions/{patrols}/",
    ],
)
def test_no_public_page_names_them(client, officers, url):
    private = Officer.objects.get(name=PRIVATE)
    restricted = Officer.objects.get(name=RESTRICTED)
    url = url.format(private=private.pk, restricted=restricted.pk, patrols=officers.patrols.pk)
    if ".xlsx" in url:
        response = client.get(url)
        workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        text = repr([[c.value for c in row] for row in workbook.active.iter_rows()])
    else:
        text = page(client, url)
    for name in HIDDEN:
        assert name not in text
    assert "(PP)" not in text and "(RR)" not in text  # nor by initials


def test_the_plan_xlsx_does_not_name_them(client, officers):
    response = client.get(reverse("plan-export-xlsx", args=["castle-2016-17"]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    text = repr([[c.value for c in row] for row in workbook["Plan"].iter_rows()])
    assert "Ida Inspector" in text
    for name in HIDDEN:
        assert name not in text


def test_the_agency_report_does_not_name_them(client, officers):
    response = client.get(reverse("agency-report", args=["shire-police"]))
    assert response.status_code == 200
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Ida Inspector" in text
    for name in HIDDEN:
        assert name not in text
