"""The mapping step's own rules: the heading row, each column's guess, quarters in headings,
the JSON form of a mapping, and fuzzing: nothing a sheet or a mapping file holds is a crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csp.importers.mapping import (
    ColumnChoice,
    Mapping,
    column_index,
    column_letter,
    find_header_row,
    guess_column,
    guess_mapping,
    mapping_problems,
    period_in_text,
)
from csp.importers.plan_import import PlanImport
from csp.models import Organisation
from csp.quarters import FinancialQuarter
from tests import factories as make


def test_the_heading_row_is_found_below_titles_and_the_reason_says_so():
    rows = [
        ["Castle Point and Rochford CSP – Partnership Plan 2016/17"],
        [],
        ["Version 2 – July 2016"],
        ["Priority", "Strategic objective", "Actions", "Lead", "Timescale"],
        ["Safeguarding", "To safeguard victims", "Home safety visits", "Essex Police", "Q1-4"],
    ]
    index, why = find_header_row(rows)
    assert index == 3
    assert why == (
        "Row 4 was taken as the headings: it names columns we recognise (“Priority”, "
        "“Strategic objective”, “Actions”, “Lead”, …)."
    )
    assert find_header_row([]) == (
        0,
        "Row 1 was taken as the headings: it is the first row with anything in it.",
    )


@pytest.mark.parametrize(
    ("heading", "samples", "expected"),
    [
        ("Strategic Priority", [], ColumnChoice("priority")),
        (" Objectives ", [], ColumnChoice("objective")),
        ("Lead Agency/Officer:", [], ColumnChoice("lead")),
        ("Status (RAG)", [], ColumnChoice("status")),
        ("Who is responsible?", [], ColumnChoice("lead")),
        ("Q3 progress (Oct–Dec 2019)", [], ColumnChoice("update", FinancialQuarter(2019, 3))),
        ("Position at March 2021", [], ColumnChoice("update", FinancialQuarter(2020, 4))),
        ("Quarter 2 2020/21 RAG", [], ColumnChoice("status", FinancialQuarter(2020, 2))),
        ("Rochford comments", [], ColumnChoice("update", None, "Rochford")),
        ("", ["Green", "Amber", "R"], ColumnChoice("status")),
        ("", ["2016/17 Q1", "2016/17 Q2"], ColumnChoice("period")),
        ("", ["Rochford", "rochford"], ColumnChoice("district")),
        ("Notes", ["anything at all"], ColumnChoice()),
        # When an update was made is not an update: "Last update" of our own exports.
        ("Last update", ["2016/17 Q1", "", "2016/17 Q2"], ColumnChoice()),
        ("Last updated", ["2021-03-31"], ColumnChoice()),
        ("Latest update", ["Hub opened in May"], ColumnChoice("update")),
        # The districts an action covers, not the district an update is for.
        ("Districts", ["All", "Rochford"], ColumnChoice("areas")),
        ("Area covered", ["Rochford and Castle Point"], ColumnChoice("areas")),
        ("District", ["Rochford"], ColumnChoice("district")),
    ],
)
def test_each_column_is_guessed_from_its_heading_or_else_its_cells(heading, samples, expected):
    assert guess_column(heading, samples, districts=["Rochford"]).choice == expected


@pytest.mark.parametrize(
    ("text", "quarter"),
    [
        ("2016/17 Q1", FinancialQuarter(2016, 1)),
        ("Q1 16/17", FinancialQuarter(2016, 1)),
        ("Update June 2020", FinancialQuarter(2020, 1)),
        ("Jan–Mar 2021", FinancialQuarter(2020, 4)),
        ("2021-03-31", FinancialQuarter(2020, 4)),
        ("Q2", None),
        ("2016/18 Q1", None),
        ("Progress", None),
    ],
)
def test_quarters_named_in_headings(text, quarter):
    assert period_in_text(text) == quarter


def test_a_bare_quarter_takes_the_plans_year():
    assert period_in_text("Q2 update", 2019) == FinancialQuarter(2019, 2)


def test_column_letters_both_ways():
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert all(column_index(column_letter(i)) == i for i in range(0, 2000, 37))
    with pytest.raises(ValueError, match="is not a column letter"):
        column_index("A1")


def test_two_columns_for_one_field_are_a_problem_naming_both():
    rows = [["Action", "Lead", "Owner"], ["Visit", "Police", "Council"]]
    mapping, infos, _ = guess_mapping(rows)
    assert mapping.choice(2).key == "ignore"  # the guess keeps the first …
    mapping.columns[2] = ColumnChoice("lead")  # … but a person may map both
    errors, _ = mapping_problems(mapping, infos)
    assert errors == [
        "Column B “Lead” and column C “Owner” are both mapped to Lead agency: choose one, or "
        "give each its own quarter."
    ]


def test_a_mapping_goes_to_json_and_back():
    mapping = Mapping(
        header_row=3,
        columns={
            0: ColumnChoice("priority"),
            4: ColumnChoice("update", FinancialQuarter(2019, 3), "Rochford"),
        },
        period=FinancialQuarter(2019, 4),
        sheet="Plan",
    )
    data = mapping.to_json(["Workstream", "", "", "", "Rochford Q3"])
    assert data["columns"]["E"] == {
        "heading": "Rochford Q3",
        "field": "update",
        "period": "2019/20 Q3",
        "district": "Rochford",
    }
    assert Mapping.from_json(data, districts=["Rochford"]) == mapping


# -- fuzzing ------------------------------------------------------------------------------------

cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "Priority",
            "Action",
            "Lead",
            "Q1 RAG",
            "2016/17 Q1",
            "Green",
            "Rochford",
            "Q1-4",
            "Workstream",
            "Goal",
            "Background",
            "Mar 0217",
            "85%",
            "WMP",
            "and",
        ]
    ),
)
rows_strategy = st.lists(st.lists(cell, max_size=8), max_size=10)


@settings(max_examples=150, deadline=None)
@given(rows_strategy)
def test_guessing_a_mapping_never_fails(rows):
    mapping, infos, why = guess_mapping(rows, districts=["Rochford"])
    assert why.startswith("Row ")
    assert set(mapping.columns) <= {info.index for info in infos}
    mapping_problems(mapping, infos)


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        json_value,
        st.fixed_dictionaries(
            {"columns": st.dictionaries(st.sampled_from(["A", "B", "Z", "1", "AB"]), json_value)}
        ),
    )
)
def test_any_mapping_file_is_read_or_refused_with_a_reason(data):
    try:
        mapping = Mapping.from_json(data, districts=["Rochford"])
    except ValueError as error:
        assert str(error)
    else:
        assert all(isinstance(c, ColumnChoice) for c in mapping.columns.values())


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows_strategy,
    st.dictionaries(
        st.integers(min_value=0, max_value=7),
        st.sampled_from(
            [
                "priority",
                "objective",
                "action",
                "lead",
                "lead_officer",
                "timescale",
                "period",
                "status",
                "update",
                "figure",
                "measure",
                "target",
                "district",
                "reference",
                "ignore",
            ]
        ),
        max_size=8,
    ),
)
def test_any_mapping_over_any_sheet_previews_or_explains(rows, fields):
    partnership = make.partnership()
    mapping = Mapping(header_row=0, columns={i: ColumnChoice(k) for i, k in fields.items()})
    slug = f"fuzz-{partnership.pk}"
    plan_import = PlanImport(partnership, rows, plan_slug=slug, mapping=mapping, first_year=2016)
    assert all(str(p) for p in plan_import.problems)
    if plan_import.ok:
        plan = plan_import.commit(confirm_new_organisations=True)
        again = PlanImport(partnership, rows, plan_slug=slug, mapping=mapping)
        assert again.ok, [str(p) for p in again.problems]
        assert again.no_changes, dict(again.counts)
        assert plan.priorities.count() == len(plan_import.priorities)


FIXED = [
    "priority",
    "objective",
    "action",
    "lead",
    "timescale",
    "status",
    "update",
    "figure",
    "measure",
]
plan_cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "Safer streets",
            "Visit",
            "Essex Police",
            "WMP / W Mids Police",
            "Victim Support",
            "Domestic Abuse Coordinator",
            "Q1-4",
            "Mar 0217",
            "Green",
            "Purple",
            "85%",
            "one",
            "Visits (target: 100)",
            "Visits: 12",
            "2016-05-01",
        ]
    ),
)


@pytest.mark.django_db
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(plan_cell, min_size=3, max_size=len(FIXED)), min_size=1, max_size=8))
def test_any_cells_under_a_sound_mapping_import_then_reimport_as_no_changes(rows):
    partnership = make.partnership()
    police, _ = Organisation.objects.get_or_create(slug="essex-police", name="Essex Police")
    partnership.organisations.add(police)
    mapping = Mapping(
        header_row=0,
        columns={i: ColumnChoice(k) for i, k in enumerate(FIXED)},
        period=FinancialQuarter(2016, 2),
    )
    sheet = [FIXED, *rows]
    slug = f"fuzz-{partnership.pk}"
    plan_import = PlanImport(partnership, sheet, plan_slug=slug, mapping=mapping, first_year=2016)
    assert all(str(p) for p in plan_import.problems)
    if not plan_import.ok:
        with pytest.raises(ValueError):
            plan_import.commit(confirm_new_organisations=True)
        return
    plan_import.commit(confirm_new_organisations=True)
    again = PlanImport(partnership, sheet, plan_slug=slug, mapping=mapping)
    assert again.ok, [str(p) for p in again.problems]
    assert again.no_changes, dict(again.counts)
