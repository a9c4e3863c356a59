import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from csp.models import PartnershipRole, Role
from tests import factories as make

pytestmark = pytest.mark.django_db


def test_home_lists_public_partnerships_and_their_plans(client):
    plan = make.plan(
        make.partnership(is_public=True),
        title="Partnership Plan 2016/17",
        version_label="Version 2 – July 2016",
    )
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert plan.partnership.name in html
    assert "Partnership Plan 2016/17</a> (Version 2 – July 2016)" in html
    assert f'href="/plans/{plan.slug}/"' in html


def test_home_hides_private_partnerships_from_visitors_and_outsiders(client):
    private = make.plan(make.partnership(name="Private CSP"))
    assert "Private CSP" not in client.get("/").content.decode()
    outsider = User.objects.create_user("outsider")
    client.force_login(outsider)
    assert "Private CSP" not in client.get("/").content.decode()
    PartnershipRole.objects.create(user=outsider, partnership=private.partnership, role=Role.VIEWER)
    assert "Private CSP" in client.get("/").content.decode()


def test_home_does_not_use_the_gov_uk_crown_or_font(client):
    html = client.get("/").content.decode()
    assert "govuk-header__logotype" not in html
    assert "GDS Transport" not in html


def test_the_home_page_asks_for_coordinated_partnerships_once(
    client, cast, django_assert_max_num_queries
):
    client.force_login(cast.alice)
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for n in range(4):
        more = make.partnership(name=f"More {n}", slug=f"more-{n}")
        PartnershipRole.objects.create(user=cast.alice, partnership=more, role=Role.COORDINATOR)
    with django_assert_max_num_queries(len(few)):
        client.get("/")
