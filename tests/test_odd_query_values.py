"""Odd page numbers and ids in the query string answer a normal page, never a 500 (item 9).

``?page=99999999999999999999999`` made the action list a 500: the page's OFFSET overflowed the
database's 64-bit integer. An officer id as long, or written in other digits (``²``), did the
same through the action list's filter choices.
"""

import pytest
from django.contrib.auth.models import User

from tests import factories as make

pytestmark = pytest.mark.django_db

ODD = [
    "99999999999999999999999",
    "9223372036854775808",  # 2**63, one past SQLite's largest integer
    "-1",
    "0",
    "abc",
    "1e9",
    "1.5",
    "",
    " 2",
    "+2",
    "2_0",
    "\u00b2",  # superscript two: a digit to str.isdigit, not to int()
    "\u0661",  # Arabic-Indic one
    "9" * 5000,  # past Python's limit on converting digits to an int
    "%00",
]


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.invalid", "pw")


def pages(cast):
    """Every page with pagination or a numeric query parameter, and who may see it."""
    return [
        ("/actions/", "alice"),
        ("/actions/?plan=castle-2016-17", "anonymous"),
        ("/actions/export.csv", "alice"),
        ("/actions/export.xlsx", "alice"),
        ("/agencies/", "alice"),
        ("/agencies/shire-police/", "anonymous"),
        ("/reports/", "alice"),
        (f"/periods/{cast.q1.pk}/", "alice"),
        (f"/periods/{cast.q2.pk}/", "alice"),
        ("/updates/", "dave"),
        (f"/updates/{cast.q2.pk}/", "dave"),
        ("/plans/castle-2016-17/", "anonymous"),
        ("/", "anonymous"),
        ("/admin/csp/action/", "root"),
        ("/admin/csp/quarterlyupdate/", "root"),
        ("/admin/csp/officer/", "root"),
    ]


def sign_in(client, cast, root, who):
    if who == "root":
        client.force_login(root)
    elif who != "anonymous":
        client.force_login(getattr(cast, who))


@pytest.mark.parametrize("value", ODD)
def test_no_page_number_or_size_makes_a_server_error(client, public, root, value):
    client.raise_request_exception = False
    answers = {}
    for url, who in pages(public):
        client.logout()
        sign_in(client, public, root, who)
        joiner = "&" if "?" in url else "?"
        response = client.get(f"{url}{joiner}page={value}&per_page={value}&p={value}")
        answers[url] = response.status_code
    assert all(code < 500 for code in answers.values()), answers
    assert all(code in {200, 302} for code in answers.values()), answers


@pytest.fixture
def long_list(cast):
    objective = cast.patrols.objective
    for number in range(10, 70):
        make.action(objective, number=number, description=f"Extra action {number}")
    return cast


def shown(client, query: str):
    response = client.get(f"/actions/?{query}")
    assert response.status_code == 200
    table = response.context["table"]
    return table.page.number, table.paginator.per_page, len(table.page.object_list)


@pytest.mark.parametrize("value", ["99999999999999999999999", "9223372036854775808", "1000001"])
def test_a_page_past_the_end_shows_the_last_page(alice, long_list, value):
    # 65 actions, 25 a page: the last is page 3, with 15.
    assert shown(alice, f"per_page=25&page={value}") == (3, 25, 15)


@pytest.mark.parametrize("value", ["-1", "0", "abc", "1e9", "\u00b2", "9" * 5000])
def test_a_page_that_is_no_page_number_shows_the_first(alice, long_list, value):
    assert shown(alice, f"per_page=25&page={value}") == (1, 25, 25)


@pytest.mark.parametrize("value", ["99999999999999999999999", "-1", "abc", "0", "1e9", "7"])
def test_a_page_size_not_offered_is_the_default(alice, long_list, value):
    assert shown(alice, f"per_page={value}") == (1, 50, 50)


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    "param",
    ["officer", "objective", "priority", "lead", "district", "status", "statutory", "period"],
)
def test_no_filter_value_makes_a_server_error(client, public, param, value):
    client.raise_request_exception = False
    for url in ("/actions/", "/actions/export.csv"):
        for plan in ("", "&plan=castle-2016-17"):
            response = client.get(f"{url}?{param}={value}{plan}")
            assert response.status_code in {200, 302}, (url, plan, response.status_code)
