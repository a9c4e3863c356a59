import pytest

from tests import factories as make

pytestmark = pytest.mark.django_db


def test_home_lists_partnerships_and_their_plans(client):
    plan = make.plan(title="Partnership Plan 2016/17", version_label="Version 2 – July 2016")
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert plan.partnership.name in html
    assert "Partnership Plan 2016/17 (Version 2 – July 2016)" in html


def test_home_does_not_use_the_gov_uk_crown_or_font(client):
    html = client.get("/").content.decode()
    assert "govuk-header__logotype" not in html
    assert "GDS Transport" not in html
