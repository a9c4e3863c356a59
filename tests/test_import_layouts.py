"""Plans laid out the way councils lay them out, imported after the mapping step alone.

Each layout below is written from the patterns of real published CSP action plans: titles above
the table, levels under other names ("Workstream" above "Goal", "Delivery area", "Aims"), no
objective level at all, a quarter in a column's heading, two update columns for two quarters,
update columns per district, real Excel date cells, job roles where an officer is meant,
abbreviations of one body, an abbreviation that fits two, and "and" inside a body's name. Each
is made as a real .xlsx, read by the reader, mapped (by our guess, adjusted only where a person
would have to say what a column means) and imported; then every field is checked.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from csp.importers.leads import MEMBER, NEW, LeadChoice, name_key
from csp.importers.mapping import ColumnChoice, guess_mapping
from csp.importers.plan_import import PlanImport
from csp.importers.reader import read_rows
from csp.models import Action, District, Officer, Organisation, Plan
from csp.quarters import FinancialQuarter
from tests import factories as make

pytestmark = pytest.mark.django_db


def xlsx(rows: list[list[object]], number_formats: dict[str, str] | None = None) -> list[list[str]]:
    """The rows as Excel would save them (dates as date cells), read back by our reader."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Action plan"
    for row in rows:
        sheet.append(row)
    for cell, number_format in (number_formats or {}).items():
        sheet[cell].number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    return read_rows("plan.xlsx", buffer.getvalue())


@pytest.fixture
def area():
    partnership = make.partnership(name="Riverside CSP", slug="riverside")
    north = District.objects.create(partnership=partnership, name="Rochford", slug="rochford")
    south = District.objects.create(
        partnership=partnership, name="Castle Point", slug="castle-point"
    )
    police = make.organisation(name="Essex Police", slug="essex-police", short_name="EP")
    council = make.organisation(name="Castle Point Borough Council", slug="cpbc", short_name="CPBC")
    rdc = make.organisation(name="Rochford District Council", slug="rdc", short_name="RDC")
    make.officer(police, name="Emma Clark", initials="EC")
    partnership.organisations.add(police, council, rdc)
    partnership.north, partnership.south = north, south
    return partnership


def actions_of(plan: Plan) -> dict[str, dict]:
    found = {}
    for action in (
        Action.objects.in_plan(plan)
        .select_related("objective__priority", "objective__theme")
        .prefetch_related("leads__organisation", "leads__officer", "measures", "updates__figures")
    ):
        found[action.reference] = {
            "priority": action.objective.priority.title,
            "objective": action.objective.title,
            "theme": action.objective.theme.title if action.objective.theme else "",
            "action": action.description,
            "outcomes": action.outcomes,
            "leads": [
                (
                    lead.organisation.slug if lead.organisation else None,
                    lead.officer.name if lead.officer else None,
                )
                for lead in action.leads.all()
            ],
            "lead_as_written": action.lead_as_written,
            "timescale": action.timescale,
            "due": action.due.label if action.due else None,
            "measures": [(m.description, m.target_text) for m in action.measures.all()],
            "updates": sorted(
                (
                    u.period.label,
                    u.district.name if u.district else "",
                    u.status,
                    u.progress,
                    u.risks,
                    tuple(sorted(f.value for f in u.figures.all())),
                )
                for u in action.updates.all()
            ),
        }
    return found


def imported(partnership, rows, **options) -> tuple[PlanImport, Plan]:
    plan_import = PlanImport(partnership, rows, plan_slug="imported", **options)
    assert plan_import.ok, [str(p) for p in plan_import.problems]
    return plan_import, plan_import.commit(confirm_new_organisations=True)


# -- 1: levels under other names, titles above, quarters in headings, job roles --


WORKSTREAMS = [
    ["Riverside Community Safety Partnership"],
    ["Delivery Plan 2019/20 – Version 3"],
    [],
    [
        "Ref",
        "Workstream",
        "Goal",
        "Actions",
        "Lead agency",
        "Lead officer",
        "By when",
        "Q1 RAG",
        "Q1 progress (Apr–Jun 2019)",
        "Q2 RAG",
        "Q2 progress (Jul–Sep 2019)",
    ],
    [
        "1.1.1",
        "Protecting vulnerable people",
        "Reduce repeat domestic abuse",
        "Run MARAC every month",
        "Essex Police",
        "Domestic Abuse Coordinator",
        "Q4",
        "Green",
        "12 cases heard",
        "Amber",
        "Chair on leave",
    ],
    [
        "1.1.2",
        "",
        "",
        "Train frontline staff",
        "Castle Point Borough Council",
        "Emma Clark",
        "Sept 19",
        "G",
        "Two sessions",
        "",
        "",
    ],
    [
        "2.1.1",
        "Tackling anti-social behaviour",
        "Reduce youth ASB in town centres",
        "Detached youth work on Friday nights",
        "Riverside Youth Service",
        "",
        "Ongoing",
        "",
        "",
        "Red",
        "Funding gap",
    ],
]


def test_workstreams_goals_and_quarterly_columns(area):
    rows = xlsx(WORKSTREAMS)
    mapping, _, why = guess_mapping(rows, default_year=2019)
    assert why.startswith("Row 4 was taken as the headings: it names columns we recognise")
    assert [mapping.choice(i).key for i in range(11)] == [
        "reference",
        "priority",
        "objective",
        "action",
        "lead",
        "lead_officer",
        "timescale",
        "status",
        "update",
        "status",
        "update",
    ]
    assert mapping.choice(8).period == FinancialQuarter(2019, 1)
    assert mapping.choice(10).period == FinancialQuarter(2019, 2)
    plan_import, plan = imported(area, rows, first_year=2019, plan_title="Delivery Plan")
    assert plan_import.new_organisations == ["Riverside Youth Service"]
    assert (plan.first_year, plan.last_year) == (2019, 2019)
    assert actions_of(plan) == {
        "1.1.1": {
            "priority": "Protecting vulnerable people",
            "objective": "Reduce repeat domestic abuse",
            "theme": "",
            "action": "Run MARAC every month",
            "outcomes": "",
            # A job role is the officer of the row's organisation, never an organisation.
            "leads": [("essex-police", "Domestic Abuse Coordinator")],
            "lead_as_written": "Essex Police – Domestic Abuse Coordinator",
            "timescale": "Q4",
            "due": "2019/20 Q4",
            "measures": [],
            "updates": [
                ("2019/20 Q1", "", "on_track", "12 cases heard", "", ()),
                ("2019/20 Q2", "", "at_risk", "Chair on leave", "", ()),
            ],
        },
        "1.1.2": {
            "priority": "Protecting vulnerable people",
            "objective": "Reduce repeat domestic abuse",
            "theme": "",
            "action": "Train frontline staff",
            "outcomes": "",
            "leads": [("cpbc", "Emma Clark")],
            "lead_as_written": "Castle Point Borough Council – Emma Clark",
            "timescale": "Sept 19",
            "due": "2019/20 Q2",
            "measures": [],
            "updates": [("2019/20 Q1", "", "on_track", "Two sessions", "", ())],
        },
        "2.1.1": {
            "priority": "Tackling anti-social behaviour",
            "objective": "Reduce youth ASB in town centres",
            "theme": "",
            "action": "Detached youth work on Friday nights",
            "outcomes": "",
            "leads": [("riverside-youth-service", None)],
            "lead_as_written": "Riverside Youth Service",
            "timescale": "Ongoing",
            "due": None,
            "measures": [],
            "updates": [("2019/20 Q2", "", "off_track", "Funding gap", "", ())],
        },
    }
    officer = Officer.objects.get(name="Domestic Abuse Coordinator")
    assert officer.organisation.slug == "essex-police"
    assert officer.job_title == "Domestic Abuse Coordinator"
    # The new body joined the partnership: the next import matches it by itself.
    assert area.organisations.filter(slug="riverside-youth-service").exists()


# -- 2: no objective level, date cells, one quarter for the whole sheet, empty priorities --


NO_OBJECTIVES = [
    ["Priority", "Action", "Owner", "Completion date", "Status", "Progress"],
    [
        "Safer roads",
        "Speed watch in villages",
        "Essex Police",
        date(2021, 3, 31),
        "On track",
        "6 sites",
    ],
    [
        "",
        "Average speed cameras on the A127",
        "CPBC",
        datetime(2020, 12, 1, 0, 0),
        "Complete",
        "Live",
    ],
    ["Hate crime", "", "", "", "", ""],
    ["Fraud", "Scam awareness talks", "RDC", date(2031, 3, 31), "Not started", ""],
]


def test_a_plan_without_objectives_keeps_its_empty_priorities(area):
    rows = xlsx(NO_OBJECTIVES)
    assert rows[1][3] == "2021-03-31"  # a real date cell
    mapping, _, _ = guess_mapping(rows)
    assert mapping.keys == {"priority", "action", "lead", "timescale", "status", "update"}
    mapping.period = FinancialQuarter(2020, 3)  # chosen once for the whole sheet
    plan_import, plan = imported(area, rows, mapping=mapping, first_year=2020)
    warnings = [str(w) for w in plan_import.warnings]
    assert (
        "Row 5, column D “Completion date”: “31/03/2031” is due in 2030/31 Q4, far outside the "
        "plan's years (2020/21 to 2020/21): check it." in warnings
    )
    found = actions_of(plan)
    assert [p.title for p in plan.priorities.order_by("number")] == [
        "Safer roads",
        "Hate crime",
        "Fraud",
    ]
    assert plan.priorities.get(title="Hate crime").objectives.count() == 0
    assert set(found) == {"1.1.1", "1.1.2", "3.1.1"}
    # Each priority has one unnamed objective, not invented text.
    assert {a["objective"] for a in found.values()} == {""}
    assert found["1.1.1"]["timescale"] == "31/03/2021"
    assert found["1.1.1"]["due"] == "2020/21 Q4"
    assert found["1.1.2"]["due"] == "2020/21 Q3"
    assert found["1.1.2"]["leads"] == [("cpbc", None)]
    assert found["3.1.1"]["leads"] == [("rdc", None)]
    assert found["1.1.1"]["updates"] == [("2020/21 Q3", "", "on_track", "6 sites", "", ())]
    assert found["1.1.2"]["updates"] == [("2020/21 Q3", "", "complete", "Live", "", ())]
    assert found["3.1.1"]["updates"] == [("2020/21 Q3", "", "not_started", "", "", ())]


def test_a_plan_whose_due_dates_run_past_its_years_is_offered_the_longer_span(area):
    rows = xlsx(NO_OBJECTIVES[:3])
    mapping, _, _ = guess_mapping(rows)
    mapping.period = FinancialQuarter(2019, 4)
    plan_import = PlanImport(area, rows, plan_slug="span", mapping=mapping, first_year=2019)
    assert plan_import.span_offer == 2020
    assert plan_import.last_year == 2019
    longer = PlanImport(
        area, rows, plan_slug="span", mapping=mapping, first_year=2019, extend_span=True
    )
    plan = longer.commit()
    assert (plan.first_year, plan.last_year) == (2019, 2020)


# -- 3: "Delivery area" and "Aims", two update columns for two quarters --


TWO_UPDATES = [
    ["Delivery area", "Aims", "Partner", "Timescale", "Background", "Latest position (March 2021)"],
    [
        "Serious violence",
        "Knife crime surrender bins",
        "Essex Police and RDC",
        "Q3 2020/21",
        "Bins bought",
        "Four bins installed",
    ],
    [
        "Serious violence",
        "Trading standards test purchases of knives",
        "Trading Standards and Licensing",
        "Q4 2020/21",
        "Officer recruited",
        "",
    ],
]


def test_two_update_columns_each_for_its_own_quarter(area):
    rows = xlsx(TWO_UPDATES)
    mapping, infos, _ = guess_mapping(rows)
    assert mapping.choice(0).key == "priority"
    assert mapping.choice(1).key == "action"  # no "Actions" column: the aims are the actions
    assert mapping.choice(5) == ColumnChoice("update", FinancialQuarter(2020, 4))
    assert mapping.choice(4).key == "ignore"  # "Background" means nothing we know …
    assert infos[4].holds_data  # … so the coordinator is shown it holds data
    mapping.columns[4] = ColumnChoice("update", FinancialQuarter(2020, 3))  # and maps it
    plan_import, plan = imported(area, rows, mapping=mapping)
    found = actions_of(plan)
    knives = found["1.1.1"]
    assert knives["objective"] == ""
    # "and" between two known bodies joins two leads …
    assert knives["leads"] == [("essex-police", None), ("rdc", None)]
    assert knives["due"] == "2020/21 Q3"
    assert knives["updates"] == [
        ("2020/21 Q3", "", "not_given", "Bins bought", "", ()),
        ("2020/21 Q4", "", "not_given", "Four bins installed", "", ()),
    ]
    # … but inside an unknown name it is part of the name: one body, not two.
    assert plan_import.new_organisations == ["Trading Standards and Licensing"]
    assert found["1.1.2"]["leads"] == [("trading-standards-and-licensing", None)]
    assert found["1.1.2"]["updates"] == [
        ("2020/21 Q3", "", "not_given", "Officer recruited", "", ())
    ]
    assert (plan.first_year, plan.last_year) == (2020, 2020)


# -- 4: a period column of real dates, abbreviations of one body, one that fits two --


ABBREVIATIONS = [
    ["Strategic priority", "Objective", "Action", "Lead", "Reporting date", "RAG", "Update"],
    [
        "Drugs",
        "Disrupt county lines",
        "Cuckooing visits",
        "WMP",
        date(2022, 6, 30),
        "A",
        "40 visits",
    ],
    [
        "Drugs",
        "Disrupt county lines",
        "Closure orders",
        "W Mids Police",
        date(2022, 9, 30),
        "R",
        "None yet",
    ],
    [
        "Drugs",
        "Disrupt county lines",
        "Test purchase",
        "West Midlands Police",
        date(2022, 9, 30),
        "G",
        "Done",
    ],
    ["Drugs", "Treatment", "Outreach", "BCT", date(2022, 9, 30), "G", "Clinic open"],
]


def test_abbreviations_of_one_body_are_offered_as_one_and_an_ambiguous_one_is_asked(area):
    make.organisation(name="Birmingham Carers Trust", slug="bct-1")
    make.organisation(name="Black Country Trust", slug="bct-2")
    area.organisations.add(*Organisation.objects.filter(slug__in=["bct-1", "bct-2"]))
    rows = xlsx(ABBREVIATIONS)
    mapping, _, _ = guess_mapping(rows)
    assert mapping.choice(4).key == "period"  # its cells read as dates
    plan_import = PlanImport(area, rows, plan_slug="imported", mapping=mapping)
    groups = {g.shown: g for g in plan_import.groups}
    assert set(groups) == {"BCT", "West Midlands Police / W Mids Police / WMP"}
    police = groups["West Midlands Police / W Mids Police / WMP"]
    assert police.choice == LeadChoice(NEW, name="West Midlands Police", short_name="WMP")
    bct = groups["BCT"]
    assert bct.choice is None  # asked, not guessed
    assert [m.slug for m in bct.members] == ["bct-1", "bct-2"]
    assert not plan_import.ok
    assert "“BCT” could be Birmingham Carers Trust or Black Country Trust: choose which." in [
        p.message for p in plan_import.problems_that_stop
    ]
    plan_import, plan = imported(
        area, rows, mapping=mapping, leads={bct.key: LeadChoice(MEMBER, "bct-2")}
    )
    found = actions_of(plan)
    west_midlands = Organisation.objects.get(name="West Midlands Police")
    assert west_midlands.short_name == "WMP"
    assert Organisation.objects.filter(name__icontains="mids").count() == 0
    assert [found[r]["leads"] for r in ("1.1.1", "1.1.2", "1.1.3")] == [
        [(west_midlands.slug, None)]
    ] * 3
    assert found["1.2.1"]["leads"] == [("bct-2", None)]
    assert found["1.1.1"]["updates"] == [("2022/23 Q1", "", "at_risk", "40 visits", "", ())]
    assert found["1.1.2"]["updates"] == [("2022/23 Q2", "", "off_track", "None yet", "", ())]


def test_names_differing_only_in_case_or_spacing_become_one_new_organisation(area):
    rows = xlsx(
        [
            ["Priority", "Objective", "Action", "Lead"],
            ["P", "O", "One", "Victim  Support"],
            ["P", "O", "Two", "victim support"],
            ["P", "O", "Three", "VICTIM SUPPORT."],
        ]
    )
    plan_import, plan = imported(area, rows)
    assert [g.names for g in plan_import.groups] == [
        ["VICTIM SUPPORT", "Victim Support", "victim support"]
    ]
    assert Organisation.objects.filter(name__iexact="victim support").count() == 1
    assert {tuple(a["leads"]) for a in actions_of(plan).values()} == {
        ((Organisation.objects.get(name__iexact="victim support").slug, None),)
    }


def test_an_organisation_elsewhere_on_the_site_is_never_matched_silently(area):
    make.organisation(name="Victim Support", slug="victim-support")  # another partnership's
    rows = xlsx([["Priority", "Objective", "Action", "Lead"], ["P", "O", "One", "Victim Support"]])
    plan_import = PlanImport(area, rows, plan_slug="imported")
    group = plan_import.groups[0]
    assert group.choice is None and [o.slug for o in group.elsewhere] == ["victim-support"]
    assert not plan_import.ok
    # A new organisation of the same name would clash: refused with a reason, not a 500.
    clash = PlanImport(
        area,
        rows,
        plan_slug="imported",
        leads={group.key: LeadChoice(NEW, name="victim support")},
    )
    assert (
        "an organisation called “Victim Support” is already on the site" in clash.groups[0].problem
    )
    plan_import, plan = imported(area, rows, use_site_organisations=True)
    assert actions_of(plan)["1.1.1"]["leads"] == [("victim-support", None)]
    assert area.organisations.filter(slug="victim-support").exists()


# -- 5: one update column per district, measures with targets and figures --


PER_DISTRICT = [
    [
        "Priority",
        "Objective",
        "Action",
        "Lead",
        "Target",
        "Rochford RAG",
        "Rochford update",
        "Castle Point RAG",
        "Castle Point update",
        "Q2 figure",
    ],
    [
        "Safer streets",
        "Reassure residents",
        "Attend PACT meetings",
        "Essex Police – Emma Clark",
        "80% of meetings",
        "Green",
        "Attended 9 of 10",
        "Amber",
        "Two missed",
        "85%",
    ],
]


def test_update_columns_per_district_and_a_measure_with_its_figure(area):
    rows = xlsx(PER_DISTRICT)
    mapping, _, _ = guess_mapping(rows, districts=["Rochford", "Castle Point"])
    assert mapping.choice(5) == ColumnChoice("status", None, "Rochford")
    assert mapping.choice(8) == ColumnChoice("update", None, "Castle Point")
    assert mapping.choice(4).key == "target"
    # The figure is the quarter's, for both districts' updates: the coordinator says which.
    assert mapping.choice(9) == ColumnChoice("figure")  # "Q2" of no year we know yet
    mapping.columns[9] = ColumnChoice("figure", None, "Rochford")
    mapping.period = FinancialQuarter(2016, 2)
    _plan_import, plan = imported(area, rows, mapping=mapping, first_year=2016)
    found = actions_of(plan)["1.1.1"]
    assert found["leads"] == [("essex-police", "Emma Clark")]
    assert found["measures"] == [("80% of meetings", "80% of meetings")]
    assert found["updates"] == [
        ("2016/17 Q2", "Castle Point", "at_risk", "Two missed", "", ()),
        ("2016/17 Q2", "Rochford", "on_track", "Attended 9 of 10", "", (Decimal("85.00"),)),
    ]
    measure = Action.objects.in_plan(plan).get().measures.get()
    assert (measure.target_value, measure.unit) == (Decimal("80.00"), "%")


# -- 5b: the districts an action covers; one RAG for the quarter beside updates by district --


COVERED = [
    [
        "Priority",
        "Objective",
        "Action",
        "Lead",
        "Area covered",
        "Q1 RAG",
        "Q1 Rochford update",
        "Q1 Castle Point update",
        "Q1 risks",
    ],
    [
        "Safer streets",
        "Reassure residents",
        "Attend PACT meetings",
        "Essex Police",
        "Rochford and Castle Point",
        "Amber",
        "Attended 9 of 10",
        "Two missed",
        "Castle Point: chair on leave",
    ],
    [
        "Safer streets",
        "Reassure residents",
        "Street lighting survey",
        "CPBC",
        "Castle Point",
        "Green",
        "",
        "Survey done",
        "",
    ],
    ["Safer streets", "Reassure residents", "Leaflets", "RDC", "Both", "", "", "", ""],
]


def test_the_districts_an_action_covers_and_one_status_for_the_quarters_district_updates(area):
    rows = xlsx(COVERED)
    mapping, _, _ = guess_mapping(rows, districts=["Rochford", "Castle Point"], default_year=2016)
    assert mapping.choice(4) == ColumnChoice("areas")
    assert mapping.choice(5) == ColumnChoice("status", FinancialQuarter(2016, 1))
    _plan_import, plan = imported(area, rows, first_year=2016)
    covered = {
        a.description: sorted(a.districts.values_list("name", flat=True))
        for a in Action.objects.in_plan(plan)
    }
    assert covered == {
        "Attend PACT meetings": ["Castle Point", "Rochford"],
        "Street lighting survey": ["Castle Point"],
        "Leaflets": [],  # "Both": every district
    }
    found = actions_of(plan)
    # The quarter's one RAG is each district update's; risks named "Castle Point:" are its own.
    assert found["1.1.1"]["updates"] == [
        ("2016/17 Q1", "Castle Point", "at_risk", "Two missed", "chair on leave", ()),
        ("2016/17 Q1", "Rochford", "at_risk", "Attended 9 of 10", "", ()),
    ]
    assert found["1.1.2"]["updates"] == [
        ("2016/17 Q1", "Castle Point", "on_track", "Survey done", "", ())
    ]
    # No update of the whole area was made of a status alone.
    assert found["1.1.3"]["updates"] == []
    # The same sheet again: no changes; a district taken off an action: that action changes.
    assert PlanImport(area, rows, plan_slug=plan.slug, first_year=2016).no_changes
    rows[1][4] = "Rochford"
    again = PlanImport(area, rows, plan_slug=plan.slug, first_year=2016)
    assert [a.change for a in again.actions] == ["changed", "same", "same"]
    again.commit()
    pact = Action.objects.in_plan(plan).get(description="Attend PACT meetings")
    assert list(pact.districts.values_list("name", flat=True)) == ["Rochford"]


def test_a_district_the_partnership_does_not_have_is_named_in_the_preview(area):
    rows = xlsx(COVERED)
    rows[2][4] = "Castle Point, Southend"
    plan_import = PlanImport(area, rows, plan_slug="imported", first_year=2016)
    assert not plan_import.ok
    assert [str(p) for p in plan_import.problems_that_stop] == [
        "Row 3, column E “Area covered”: “Southend” is not one of the partnership's districts "
        "(Castle Point, Rochford). Write “All” for every district."
    ]


# -- 6: merged action cells over several update rows; a bad timescale is named in the preview --


MERGED = [
    [
        "Theme",
        "Priority",
        "Strategic objective",
        "Actions",
        "Lead",
        "Timescale",
        "District",
        "Quarter",
        "Status",
        "Update",
    ],
    [
        "Young people",
        "Early help",
        "Divert from crime",
        "Sports nights",
        "RDC",
        "Mar 0217",
        "Rochford",
        "2016/17 Q1",
        "Green",
        "Weekly",
    ],
    ["", "", "", "", "", "", "Castle Point", "2016/17 Q1", "Amber", "Venue closed"],
]


def test_rows_under_a_merged_action_cell_add_its_updates_and_bad_cells_are_named(area):
    rows = xlsx(MERGED)
    plan_import = PlanImport(area, rows, plan_slug="imported", first_year=2016)
    assert [str(p) for p in plan_import.problems_that_stop] == [
        'Row 2, column F “Timescale”: Timescale "Mar 0217" names a year we cannot use: give a '
        'quarter such as "Q3", a month such as "Oct 16" or words such as "Ongoing". Correct '
        "the cell, or map the column to “Ignore”."
    ]
    rows[1][5] = "Mar 2017"
    plan_import, plan = imported(area, rows, first_year=2016)
    found = actions_of(plan)["1.1.1"]
    assert found["theme"] == "Young people"
    assert found["due"] == "2016/17 Q4"
    assert found["updates"] == [
        ("2016/17 Q1", "Castle Point", "at_risk", "Venue closed", "", ()),
        ("2016/17 Q1", "Rochford", "on_track", "Weekly", "", ()),
    ]


# -- re-importing --


def test_reimporting_an_unchanged_sheet_says_there_is_nothing_to_change(area):
    rows = xlsx(WORKSTREAMS)
    imported(area, rows, first_year=2019)
    again = PlanImport(area, rows, plan_slug="imported")
    assert again.ok, [str(p) for p in again.problems]
    assert again.no_changes
    assert again.new_organisations == []  # the organisation it made is the partnership's now
    assert dict(again.summary)["updates unchanged"] == 4


def test_reimporting_costs_a_fixed_number_of_queries_however_long_the_sheet(
    area, django_assert_max_num_queries
):
    def sheet(n):
        return [
            ["Priority", "Objective", "Action", "Lead", "Period", "Status", "Update"],
            *(
                [
                    f"P{i % 3}",
                    f"O{i % 7}",
                    f"Action {i}",
                    "Essex Police",
                    "2016/17 Q1",
                    "G",
                    f"u{i}",
                ]
                for i in range(n)
            ),
        ]

    for size in (10, 200):
        imported_once = PlanImport(area, sheet(size), plan_slug=f"q{size}", first_year=2016)
        imported_once.commit()
        changed = [[*row[:6], row[6] + " more"] for row in sheet(size)[1:]]
        with django_assert_max_num_queries(60):
            again = PlanImport(area, [sheet(size)[0], *changed], plan_slug=f"q{size}")
            again.commit()
        assert again.counts["updates changed"] == size


def test_the_name_key_ignores_case_spacing_punctuation_and_ampersands():
    assert name_key("Fire & Rescue") == name_key("fire  and rescue.")


def test_unnamed_levels_are_shown_as_such_on_the_pages(area, client):
    rows = xlsx([["Action", "Lead"], ["Speed watch", "Essex Police"]])
    _, plan = imported(area, rows, first_year=2020)
    action = Action.objects.in_plan(plan).get()
    assert str(action.objective) == "1.1 Objective not named"
    assert str(action.objective.priority) == "1. Priority not named"
    from django.contrib.auth.models import User

    from csp.models import PartnershipRole, Role

    user = User.objects.create(username="viewer")
    PartnershipRole.objects.create(user=user, partnership=area, role=Role.VIEWER)
    client.force_login(user)
    page = client.get(action.get_absolute_url()).content.decode()
    assert "1. Priority not named" in page
    assert "1.1 Objective not named" in page


def test_a_sheet_of_thousands_of_unknown_lead_names_is_refused_quickly(area):
    import time

    rows = [["Priority", "Objective", "Action", "Lead"]] + [
        ["P", "O", f"Action {n}", f"Body number {n} of many"] for n in range(3000)
    ]
    started = time.process_time()
    plan_import = PlanImport(area, rows, plan_slug="many", first_year=2020)
    assert time.process_time() - started < 10
    assert [p.message for p in plan_import.problems_that_stop] == [
        "the lead cells name 3,000 bodies that are not the partnership's organisations, far "
        "more than a partnership has: check that this is the column of who leads, or map it "
        "to “Ignore”."
    ]


def test_grouping_hundreds_of_names_costs_lookups_not_comparisons(area):
    import time

    from csp.importers.leads import group_names

    mentions = {f"Agency {n} of the county": [n] for n in range(399)}
    mentions["AOTC"] = [1]
    started = time.process_time()
    groups = group_names(mentions, [], [])
    assert time.process_time() - started < 2
    assert len(groups) == 400
    assert next(g for g in groups if g.names == ["AOTC"]).choice.use == "new"


def test_the_preview_shows_the_first_actions_of_a_long_priority(area, client):
    rows = [["Priority", "Objective", "Action"]] + [["P", "O", f"Action {n}"] for n in range(450)]
    plan_import = PlanImport(area, rows, plan_slug="long", first_year=2020)
    priority = next(iter(plan_import.priorities.values()))
    assert len(priority.preview) == 200
    assert priority.not_shown == 250


def test_cells_longer_than_their_field_are_problems_not_database_errors(area):
    rows = [
        ["Priority", "Objective", "Action", "Timescale", "Lead"],
        ["P" * 301, "O", "One", "Q1", "Essex Police"],
        ["P", "O", "Two", "T" * 201, "Essex Police"],
        ["P", "O", "Three", "Q2", "Some body " + "x" * 300],
    ]
    plan_import = PlanImport(area, rows, plan_slug="long", first_year=2020)
    assert [str(p) for p in plan_import.problems_that_stop] == [
        "Row 2, column A “Priority”: this priority is 301 characters long, more than the 300 "
        "one can have: is this the right column?",
        "Row 3, column D “Timescale”: this timescale is 201 characters long, more than the 200 "
        "one can have: is this the right column?",
    ]
    fixed = [rows[0], rows[3]]
    imported(area, fixed, first_year=2020)
    assert len(Organisation.objects.get(slug__startswith="some-body").name) == 200
