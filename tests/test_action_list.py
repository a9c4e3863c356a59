"""The action list: who sees what, every filter, every sort, pagination and its query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as make

pytestmark = pytest.mark.django_db


def refs(response) -> list[str]:
    return [action.reference for action in response.context["table"].page.object_list]


def descriptions(response) -> list[str]:
    return [action.description for action in response.context["table"].page.object_list]


def test_a_member_sees_their_partnerships_actions_restricted_ones_included(alice, cast):
    response = alice.get("/actions/")
    assert response.status_code == 200
    assert sorted(refs(response)) == ["1.1.1", "1.1.2", "1.2.1", "2.1.1", "2.1.2"]
    assert "Far away action" not in response.content.decode()


def test_a_member_of_another_partnership_sees_only_theirs(client, cast):
    client.force_login(cast.charlie)
    assert descriptions(client.get("/actions/")) == ["Far away action"]


def test_a_visitor_is_asked_to_sign_in_when_nothing_is_public(client, cast):
    response = client.get("/actions/?lead=shire-police")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=/actions/%3Flead%3Dshire-police"


def test_a_visitor_sees_a_public_partnerships_actions_without_restricted_ones(client, cast):
    cast.castle.is_public = True
    cast.castle.save()
    response = client.get("/actions/")
    assert sorted(refs(response)) == ["1.1.1", "1.1.2", "1.2.1", "2.1.2"]
    assert "Covert operation" not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("plan=castle-2016-17", ["1.1.1", "1.1.2", "1.2.1", "2.1.1", "2.1.2"]),
        ("plan=elsewhere-2016-17", []),
        ("priority=2", ["2.1.1", "2.1.2"]),
        ("plan=castle-2016-17&objective=1.2", ["1.2.1"]),
        ("plan=castle-2016-17&objective=1.1&objective=2.1", ["1.1.1", "1.1.2", "2.1.1", "2.1.2"]),
        ("lead=shire-police", ["1.1.1", "2.1.1"]),
        ("lead=shire-police&lead=castle-council", ["1.1.1", "1.1.2", "2.1.1", "2.1.2"]),
        ("district=south", ["1.1.2", "1.2.1", "2.1.1", "2.1.2"]),
        ("district=north", ["1.1.1", "1.1.2", "1.2.1", "2.1.1", "2.1.2"]),
        ("status=at_risk", []),
        ("status=off_track", ["1.1.2", "2.1.1"]),
        ("status=complete&status=on_track", ["1.1.1", "1.2.1"]),
        ("status=none", ["2.1.2"]),
        ("period=2016-17-q2&status=on_track", ["1.2.1"]),
        ("period=2016-17-q2&status=at_risk", ["2.1.2"]),
        ("period=2016-17-q2&status=none", ["1.1.1", "1.1.2", "2.1.1"]),
        ("statutory=reoffending", ["2.1.1", "2.1.2"]),
        (
            "statutory=crime_and_disorder&statutory=reoffending",
            ["1.1.1", "1.1.2", "2.1.1", "2.1.2"],
        ),
        ("q=patrols", ["1.1.1"]),
        ("q=HUB OPEN", ["1.1.2"]),
        ("q=library", []),
        ("q=venue found", ["1.1.2"]),
        ("lead=castle-council&status=off_track&district=south", ["1.1.2"]),
    ],
)
def test_each_filter(alice, cast, query, expected):
    response = alice.get(f"/actions/?{query}")
    assert response.status_code == 200
    assert sorted(refs(response)) == expected


def test_officer_filter_by_id(alice, cast):
    assert refs(alice.get(f"/actions/?officer={cast.inspector.pk}")) == ["1.1.1"]


def test_period_defaults_to_the_latest_finished_one(alice, cast):
    response = alice.get("/actions/")
    assert response.context["listing"].period.slug == "2016-17-q1"
    assert "status for 2016/17 Q1" in response.content.decode()


def test_an_unknown_filter_value_is_explained_not_an_error(alice, cast):
    response = alice.get("/actions/?lead=no-such-agency")
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem with the filters" in html
    assert "Select a valid choice. no-such-agency is not one of the available choices." in html
    assert refs(response) == []


def test_an_unknown_period_falls_back_to_the_latest(alice, cast):
    response = alice.get("/actions/?period=2099-00-q1")
    assert response.context["listing"].period.slug == "2016-17-q1"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("reference", ["1.1.1", "1.1.2", "1.2.1", "2.1.1", "2.1.2"]),
        ("-reference", ["2.1.2", "2.1.1", "1.2.1", "1.1.2", "1.1.1"]),
        ("description", ["2.1.1", "1.2.1", "1.1.1", "1.1.2", "2.1.2"]),
        ("-description", ["2.1.2", "1.1.2", "1.1.1", "1.2.1", "2.1.1"]),
        ("leads", ["1.2.1", "1.1.2", "2.1.2", "1.1.1", "2.1.1"]),
        ("timescale", ["2.1.2", "1.1.2", "2.1.1", "1.1.1", "1.2.1"]),
        ("-timescale", ["1.2.1", "1.1.1", "2.1.1", "1.1.2", "2.1.2"]),
        ("status", ["2.1.2", "1.2.1", "1.1.1", "1.1.2", "2.1.1"]),
        ("-status", ["1.1.2", "2.1.1", "1.1.1", "1.2.1", "2.1.2"]),
        ("last_update", ["1.1.1", "1.1.2", "2.1.1", "1.2.1", "2.1.2"]),
    ],
)
def test_sorting_on_each_column(alice, cast, sort, expected):
    assert refs(alice.get(f"/actions/?sort={sort}")) == expected


def test_sorting_by_priority(alice, cast):
    got = refs(alice.get("/actions/?sort=-priority"))
    assert got[:2] == ["2.1.1", "2.1.2"] or got[:2] == ["2.1.2", "2.1.1"]


def test_pagination_and_page_size(alice, cast):
    objective = cast.burglary.objective
    for n in range(3, 63):
        make.action(objective, number=n, description=f"Extra {n:02d}")
    response = alice.get("/actions/?per_page=25&page=2")
    assert len(refs(response)) == 25
    assert response.context["table"].page.number == 2
    assert response.context["table"].paginator.count == 65
    assert len(refs(alice.get("/actions/?per_page=100"))) == 65
    assert len(refs(alice.get("/actions/?per_page=7"))) == 50  # unknown sizes fall back to 50
    assert alice.get("/actions/?per_page=25&page=99").context["table"].page.number == 3
    assert alice.get("/actions/?page=zero").context["table"].page.number == 1


def test_the_query_count_does_not_grow_with_the_page_size(alice, cast):
    objective = cast.burglary.objective
    for n in range(3, 203):
        action = make.action(objective, number=n, description=f"Extra {n}", lead=cast.police)
        make.update(action, cast.q1, "on_track", cast.north)
    counts = {}
    for size, page in ((25, 1), (200, 1), (25, 3)):
        with CaptureQueriesContext(connection) as queries:
            response = alice.get(
                f"/actions/?per_page={size}&page={page}&lead=shire-police&status=on_track&q=Extra&sort=-status"
            )
        assert len(refs(response)) == size
        counts[(size, page)] = len(queries)
    assert len(set(counts.values())) == 1, counts
    assert counts[(25, 1)] <= 8, counts
    print("queries per page:", counts)
    count_queries = [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(count_queries) == 1


def test_a_filtered_url_is_readable_and_kept_in_links(alice, cast):
    html = alice.get("/actions/?lead=shire-police&period=2016-17-q1").content.decode()
    assert "/actions/export.csv?lead=shire-police&amp;period=2016-17-q1" in html
    assert "sort=reference" in html or "sort=-reference" in html
