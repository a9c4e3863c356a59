from datetime import date

import pytest

from csp.quarters import (
    FinancialQuarter,
    due_quarter_from_timescale,
    financial_year_label,
    financial_year_of,
)


def test_q1_is_april_to_june_of_the_first_year():
    q = FinancialQuarter(2016, 1)
    assert (q.start, q.end) == (date(2016, 4, 1), date(2016, 6, 30))


def test_q4_is_january_to_march_of_the_next_year():
    q = FinancialQuarter(2016, 4)
    assert (q.start, q.end) == (date(2017, 1, 1), date(2017, 3, 31))


@pytest.mark.parametrize(
    ("quarter", "start", "end"),
    [(2, date(2016, 7, 1), date(2016, 9, 30)), (3, date(2016, 10, 1), date(2016, 12, 31))],
)
def test_middle_quarters(quarter, start, end):
    q = FinancialQuarter(2016, quarter)
    assert (q.start, q.end) == (start, end)


def test_q4_end_handles_a_leap_year():
    assert FinancialQuarter(2019, 4).end == date(2020, 3, 31)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2016, 4, 1), FinancialQuarter(2016, 1)),
        (date(2016, 6, 30), FinancialQuarter(2016, 1)),
        (date(2016, 7, 1), FinancialQuarter(2016, 2)),
        (date(2016, 12, 31), FinancialQuarter(2016, 3)),
        (date(2017, 1, 1), FinancialQuarter(2016, 4)),
        (date(2017, 3, 31), FinancialQuarter(2016, 4)),
    ],
)
def test_it_finds_the_quarter_containing_a_day(day, expected):
    assert FinancialQuarter.containing(day) == expected
    assert expected.start <= day <= expected.end


def test_financial_year_of_march_is_the_year_before():
    assert financial_year_of(date(2017, 3, 31)) == 2016
    assert financial_year_of(date(2017, 4, 1)) == 2017


def test_label_and_slug():
    q = FinancialQuarter(2016, 1)
    assert q.label == "2016/17 Q1"
    assert q.slug == "2016-17-q1"
    assert str(q) == "2016/17 Q1"


def test_century_boundary_label():
    assert financial_year_label(1999) == "1999/00"
    assert FinancialQuarter(2099, 2).slug == "2099-00-q2"


@pytest.mark.parametrize("text", ["2016/17 Q1", "2016-17-q1", " 2016/17 q1 ", "2016-17 Q1"])
def test_it_parses_labels_and_slugs(text):
    assert FinancialQuarter.parse(text) == FinancialQuarter(2016, 1)


@pytest.mark.parametrize(
    "text", ["2016/18 Q1", "2016/17 Q5", "2016 Q1", "Q1 2016/17", "", "2016-17-q0"]
)
def test_it_refuses_what_is_not_a_quarter(text):
    with pytest.raises(ValueError):
        FinancialQuarter.parse(text)


def test_next_and_previous_cross_the_year():
    assert FinancialQuarter(2016, 4).next() == FinancialQuarter(2017, 1)
    assert FinancialQuarter(2017, 1).previous() == FinancialQuarter(2016, 4)


def test_quarters_sort_in_time_order():
    quarters = [FinancialQuarter(2017, 1), FinancialQuarter(2016, 4), FinancialQuarter(2016, 1)]
    assert sorted(quarters) == [
        FinancialQuarter(2016, 1),
        FinancialQuarter(2016, 4),
        FinancialQuarter(2017, 1),
    ]


def test_it_refuses_quarter_five():
    with pytest.raises(ValueError):
        FinancialQuarter(2016, 5)


@pytest.mark.parametrize(
    ("timescale", "expected"),
    [
        ("Q1-4", FinancialQuarter(2016, 4)),
        ("Q1 –-4", FinancialQuarter(2016, 4)),
        ("Q3-4", FinancialQuarter(2016, 4)),
        ("Q2 -Sept 16", FinancialQuarter(2016, 2)),
        ("Q3 – Oct 16", FinancialQuarter(2016, 3)),
        ("Apr-25", FinancialQuarter(2025, 1)),
        ("Q1-4 ongoing", FinancialQuarter(2016, 4)),
        ("Ongoing", None),
        ("November annually", None),
        ("", None),
    ],
)
def test_due_quarter_from_timescale(timescale, expected):
    assert due_quarter_from_timescale(timescale, first_year=2016) == expected


@pytest.mark.parametrize(
    ("written", "due"),
    [("Q4 2017/18", FinancialQuarter(2017, 4)), ("31/03/2017", FinancialQuarter(2016, 4))],
)
def test_a_named_year_or_a_date_gives_the_due_quarter_wherever_it_is_derived(written, due):
    """The demo loader and the generator use the same rule as the importer."""
    assert due_quarter_from_timescale(written, 2016) == due
