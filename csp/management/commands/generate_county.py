"""``python manage.py generate_county``: a county-scale synthetic data set, for benchmarks.

It builds, in the configured database, ``--partnerships`` Community Safety Partnerships in the
fictional county of Northshire, each with its districts, member organisations and their officers,
one adopted plan for 2016/17 to 2017/18 (priorities > strategic objectives > actions with their
leads) and five reporting periods, then exactly ``--actions`` actions and ``--updates`` quarterly
updates spread across them. Every value comes from one ``random.Random(--seed)``, so the same
arguments give the same data; rows are written with ``bulk_create`` inside one transaction.

Everything generated is found again by its slugs: partnerships ``{prefix}-partnership-01``,
plans ``{prefix}-plan-01`` and organisations ``{prefix}-org-…``. Running again with the same
prefix is refused unless ``--replace`` is given, which deletes the earlier set first. Names carry
the prefix in brackets, e.g. "Northshire Police (bench)", unless it is the default ``gen``, as
organisation and partnership names are unique.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, connection, models, transaction
from django.db.models import ExpressionWrapper, F, ProtectedError, Q, Value
from django.db.models.functions import Coalesce
from django.utils.text import slugify

from csp.models import (
    Action,
    ActionLead,
    ActionStatus,
    District,
    MeasureFigure,
    Membership,
    ObjectiveStrand,
    Officer,
    Organisation,
    OrganisationKind,
    Partnership,
    PeriodStatus,
    Plan,
    PlanStatus,
    Priority,
    PrioritySummary,
    QuarterlyUpdate,
    ReportingPeriod,
    StatutoryStrand,
    StrategicObjective,
    UpdateState,
    UpdateStatus,
)
from csp.quarters import FinancialQuarter, due_quarter_from_timescale

M = TypeVar("M", bound=models.Model)

DEFAULT_PREFIX = "gen"
PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,19}$")
BATCH_SIZE = 2000
COUNTY = "Northshire"
DASH = "\N{EN DASH}"  # as plans write them: "Version 2 - July 2016", "RDC - GB"
PLAN_FIRST_YEAR = 2016
PLAN_LAST_YEAR = 2017
# The plan's reporting periods, oldest first: the older ones reported or closed, the last open;
# with how fully each is reported relative to the others, the open one still coming in.
PERIODS: tuple[tuple[FinancialQuarter, PeriodStatus, float], ...] = (
    (FinancialQuarter(2016, 1), PeriodStatus.REPORTED, 1.0),
    (FinancialQuarter(2016, 2), PeriodStatus.REPORTED, 1.0),
    (FinancialQuarter(2016, 3), PeriodStatus.REPORTED, 1.0),
    (FinancialQuarter(2016, 4), PeriodStatus.CLOSED, 0.9),
    (FinancialQuarter(2017, 1), PeriodStatus.OPEN, 0.4),
)
# The most districts a partnership has: bounds how many updates can fit before anything is built.
MAX_DISTRICTS = 3

# --- Vocabulary ---------------------------------------------------------------------------

K = OrganisationKind
# name, short name, kind, responsible authority (Crime and Disorder Act 1998, s5)
COUNTY_ORGANISATIONS: tuple[tuple[str, str, str, bool], ...] = (
    ("Northshire Police", "NP", K.POLICE, True),
    ("Northshire Fire and Rescue Service", "NFRS", K.FIRE_RESCUE, True),
    ("Northshire County Council", "NCC", K.COUNCIL, True),
    (f"National Probation Service {DASH} Northshire", "NPS", K.PROBATION, True),
    ("Northshire and Wessex Community Rehabilitation Company", "NWCRC", K.PROBATION, True),
    ("NHS North Northshire Clinical Commissioning Group", "NN CCG", K.HEALTH, True),
    ("NHS South Northshire Clinical Commissioning Group", "SN CCG", K.HEALTH, True),
    (
        "Office of the Northshire Police, Fire and Crime Commissioner",
        "OPFCC",
        K.COMMISSIONER,
        False,
    ),
    ("Northshire Youth Offending Service", "YOS", K.COUNCIL, False),
    ("Northshire Trading Standards", "NTS", K.COUNCIL, False),
    ("Northshire Partnership NHS Foundation Trust", "NPFT", K.HEALTH, False),
    ("Northshire Hospitals NHS Trust", "NHT", K.HEALTH, False),
    ("Northshire Ambulance Service NHS Trust", "NAS", K.HEALTH, False),
    ("British Transport Police (Northshire)", "BTP", K.POLICE, False),
    ("HM Prison Wellmoor", "HMP Wellmoor", K.OTHER, False),
    ("Jobcentre Plus Northshire", "JCP", K.OTHER, False),
    ("Victim Support Northshire", "VS", K.VOLUNTARY, False),
    ("Northshire Women's Aid", "NWA", K.VOLUNTARY, False),
    ("Northshire Rape and Sexual Abuse Support Centre", "RASASC", K.VOLUNTARY, False),
    ("Crimestoppers Northshire", "Crimestoppers", K.VOLUNTARY, False),
    ("Northshire Neighbourhood Watch Association", "NWA-NW", K.VOLUNTARY, False),
    ("Northshire Council for Voluntary Service", "CVS", K.VOLUNTARY, False),
    ("Open Road Northshire", "Open Road", K.VOLUNTARY, False),
    ("Change Grow Live Northshire", "CGL", K.VOLUNTARY, False),
    ("Northshire Street Pastors", "Street Pastors", K.VOLUNTARY, False),
    ("Northshire Mind", "Mind", K.VOLUNTARY, False),
    ("Northshire Housing Partnership", "NHP", K.OTHER, False),
    ("Greenvale Homes", "Greenvale", K.OTHER, False),
    ("Northshire College", "NC", K.EDUCATION, False),
    ("University of Northshire", "UoN", K.EDUCATION, False),
    ("Northshire Chamber of Commerce", "NCoC", K.BUSINESS, False),
    ("Northshire Business Crime Reduction Partnership", "BCRP", K.BUSINESS, False),
    ("Northshire Safeguarding Adults Board", "NSAB", K.GROUP, False),
    ("Northshire Safeguarding Children Partnership", "NSCP", K.GROUP, False),
    ("Northshire Domestic Abuse Board", "DAB", K.GROUP, False),
    ("Northshire Drug and Alcohol Partnership", "DAAT", K.GROUP, False),
    ("Safer Northshire Roads Partnership", "SNRP", K.GROUP, False),
)
# Every partnership has these among its members, besides its own district councils.
CORE_MEMBERS = ("NP", "NFRS", "NCC", "NPS", "NWCRC")
CCG_SHORT_NAMES = ("NN CCG", "SN CCG")

DISTRICT_NAMES = (
    "Ashcombe", "Barrowfield", "Brackenhurst", "Bramleigh", "Castlemere", "Chalkford",
    "Cheswick", "Coldharbour", "Dunholt", "Eastwick", "Elmsford", "Fenmoor", "Foxley",
    "Glenbrook", "Greyhaven", "Hartwell", "Hollinsby", "Kingsmead", "Langley Marsh", "Lowfield",
    "Marchbury", "Merriton", "Millbrook Vale", "Northwold", "Oakendale", "Pelham Cross",
    "Quenby", "Ravensworth", "Redmarsh", "Rowanbury", "Saltmarsh", "Sandholme", "Sedgecombe",
    "Stanmoor", "Stoneleigh", "Thornwick", "Upton Fells", "Wealdham", "Westmere", "Whitcliffe",
    "Willowbrook", "Wolverton Vale", "Yarrowby", "Ambledown", "Birchwood", "Colbrook",
    "Dovecote", "Easterleigh", "Fallowmere", "Gorsebrook", "Heathcote", "Ingleby Moor",
    "Juniper Hill", "Kestrel Bay", "Lynford", "Marshfield", "Netherby", "Oxlode", "Penhallow",
    "Ridgeway", "Southmere", "Tarnside", "Underwood", "Valleyford", "Warrenby",
)  # fmt: skip
COUNCIL_KINDS = (("District Council", "DC"), ("Borough Council", "BC"), ("City Council", "CC"))

FIRST_NAMES = (
    "Amanda", "Andrew", "Angela", "Ben", "Carol", "Chris", "Claire", "Daniel", "David", "Debbie",
    "Emma", "Gary", "Gemma", "Graham", "Hannah", "Helen", "Ian", "James", "Jane", "Jo", "Julie",
    "Karen", "Kate", "Kevin", "Laura", "Lee", "Lisa", "Mark", "Michelle", "Neil", "Nicola",
    "Paul", "Priya", "Rachel", "Richard", "Sam", "Sarah", "Simon", "Steve", "Tom", "Tracey",
    "Yasmin",
)  # fmt: skip
SURNAMES = (
    "Ahmed", "Allen", "Baker", "Bennett", "Browne", "Carter", "Chapman", "Clark", "Cooper",
    "Davies", "Edwards", "Evans", "Fletcher", "Green", "Hall", "Harris", "Hughes", "Jackson",
    "Jones", "Khan", "King", "Lewis", "Marshall", "Mason", "Moore", "Morgan", "Patel", "Phillips",
    "Price", "Roberts", "Robinson", "Shaw", "Singh", "Smith", "Taylor", "Thomas", "Turner",
    "Walker", "Ward", "Watson", "White", "Wilson", "Wood", "Wright", "Young",
)  # fmt: skip
GENERAL_JOB_TITLES = ("Partnership Manager", "Project Coordinator", "Safeguarding Lead")
JOB_TITLES: dict[str, tuple[str, ...]] = {
    K.COUNCIL: ("Community Safety Officer", "Community Safety Manager", "Head of Service",
                "Anti-Social Behaviour Officer", "Licensing Manager", "Prevent Coordinator",
                "Domestic Abuse Coordinator", "Youth Offending Team Manager"),
    K.POLICE: ("Chief Inspector", "Partnership Inspector", "Neighbourhood Sergeant",
               "Crime Prevention Officer"),
    K.FIRE_RESCUE: ("Station Manager", "Community Safety Adviser", "Group Manager"),
    K.PROBATION: ("Senior Probation Officer", "Head of Service", "IOM Manager"),
    K.HEALTH: ("Public Health Manager", "Commissioning Manager", "Named Nurse for Safeguarding"),
    K.COMMISSIONER: ("Commissioning Manager", "Head of Partnerships", "Policy Officer"),
    K.VOLUNTARY: ("Service Manager", "Project Coordinator", "Volunteer Coordinator",
                  "Chief Executive"),
}  # fmt: skip

S = StatutoryStrand
# title, topics its objectives and actions are about, the statutory strands it most serves
PRIORITIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Safeguarding Vulnerable People from Harm",
     ("cuckooing", "scams targeting older residents", "hidden harm", "modern slavery"),
     (S.CRIME_AND_DISORDER,)),
    ("Tackling Domestic Abuse and Sexual Violence",
     ("domestic abuse", "coercive control", "stalking and harassment", "sexual violence"),
     (S.CRIME_AND_DISORDER, S.SERIOUS_VIOLENCE_REDUCTION)),
    ("Reducing Anti-Social Behaviour",
     ("anti-social behaviour", "nuisance motorcycles", "fly-tipping", "street drinking",
      "criminal damage"),
     (S.CRIME_AND_DISORDER,)),
    ("Reducing Reoffending",
     ("prolific offending", "reoffending by adults on licence", "first-time entry to the youth "
      "justice system", "offender homelessness"),
     (S.REOFFENDING,)),
    ("Tackling Drug and Alcohol Misuse",
     ("drug-related harm", "alcohol-related violence", "substance misuse among young people",
      "drug dealing in residential areas"),
     (S.SUBSTANCE_MISUSE,)),
    ("Reducing Serious Violence and Knife Crime",
     ("knife crime", "serious youth violence", "violence in the night-time economy",
      "weapon carrying"),
     (S.SERIOUS_VIOLENCE_INVOLVEMENT, S.SERIOUS_VIOLENCE_REDUCTION)),
    ("Protecting Young People from Exploitation",
     ("child criminal exploitation", "child sexual exploitation", "county lines",
      "online grooming"),
     (S.SERIOUS_VIOLENCE_INVOLVEMENT, S.CRIME_AND_DISORDER)),
    ("Building Safer and Stronger Communities",
     ("hate crime", "fear of crime", "community tensions", "radicalisation"),
     (S.CRIME_AND_DISORDER,)),
    ("Reducing Acquisition Crime",
     ("domestic burglary", "vehicle crime", "shoplifting", "rural and farm theft"),
     (S.CRIME_AND_DISORDER, S.SUBSTANCE_MISUSE)),
    ("Improving Road Safety",
     ("speeding in residential areas", "collisions involving young drivers",
      "drink and drug driving"),
     ()),
    ("Tackling Fraud and Scams",
     ("doorstep crime", "online fraud", "rogue traders"),
     (S.CRIME_AND_DISORDER,)),
)  # fmt: skip

OBJECTIVE_TEMPLATES = (
    "To reduce {topic} across the partnership area",
    "To safeguard residents at risk of {topic}",
    "To improve the multi-agency response to {topic}",
    "To raise awareness of {topic} among residents and frontline staff",
    "To identify and support those affected by {topic} at the earliest opportunity",
    "To target the offenders responsible for {topic}",
    "To reduce the harm caused by {topic} in the most affected neighbourhoods",
    "To increase residents' confidence to report {topic}",
    "To understand the scale of {topic} through better information sharing",
)

ACTION_VERBS = (
    "Deliver", "Develop and deliver", "Continue to deliver", "Coordinate", "Commission", "Review",
    "Promote", "Maintain", "Establish", "Roll out", "Support", "Undertake", "Extend", "Evaluate",
)  # fmt: skip
ACTION_OBJECTS = (
    "a programme of targeted patrols in {topic} hotspots",
    "awareness sessions on {topic} in secondary schools",
    "the multi-agency problem-solving group for {topic}",
    "training for frontline staff on recognising {topic}",
    "a communications campaign on {topic}",
    "home safety visits for residents at risk of {topic}",
    "the referral pathway for people affected by {topic}",
    "joint operations with partners to tackle {topic}",
    "diversionary activities for young people at risk of {topic}",
    "the Community Trigger and anti-social behaviour case review process",
    "data sharing between partners on {topic}",
    "an annual strategic assessment of {topic}",
    "a week of action on {topic}",
    "target hardening for repeat victims of {topic}",
    "the MARAC and the Independent Domestic Violence Advisor service",
    "outreach work in the night-time economy",
    "the Domestic Abuse Champions network",
    "Safer Streets funded CCTV and lighting improvements",
    "a Neighbourhood Watch recruitment drive",
    "the Integrated Offender Management cohort review",
)
ACTION_PURPOSES = (
    "to reduce repeat victimisation",
    "so that those at risk are identified early",
    "in line with the partnership strategic assessment",
    "to increase public confidence",
    "focusing on the wards with the highest demand",
    "working with the voluntary and community sector",
    "to reduce demand on emergency services",
    "and report outcomes to the partnership board each quarter",
    "using the Home Office toolkit",
    "with a focus on vulnerable and repeat victims",
)
ACTION_EXTRAS = (
    "Funding is from the PCC Community Safety Fund.",
    "Partners will share resources and intelligence through the tasking group.",
    "This follows the recommendations of the last Domestic Homicide Review.",
    "Activity will be targeted using police and council data.",
    "Links to the county-wide strategy agreed by the Responsible Authorities Group.",
    "Young people will be involved in designing the sessions.",
)
OUTCOME_PHRASES = (
    "Reduction in repeat incidents of {topic}",
    "Increased reporting of {topic}",
    "Number of sessions delivered and attendees",
    "{pct}% of attendees report feeling better informed",
    "Fewer first-time entrants to the youth justice system",
    "Number of referrals to specialist services",
    "Residents feel safer, as measured by the annual survey",
    "Reduction in {topic} compared with 2015/16",
    "At least {n} vulnerable residents supported",
    "Case reviews completed within 28 days",
)
TIMESCALES: tuple[tuple[str, int], ...] = (
    ("Q1-4", 30), ("Ongoing", 18), ("Q2 - Sept 16", 5), ("Q1 - June 16", 4), ("Q3 - Dec 16", 4),
    ("Q4 - March 17", 5), ("Q1", 4), ("Q2", 4), ("Q3", 4), ("Q4", 5), ("Q3-4", 4), ("Q2-3", 3),
    ("March 2018", 3), ("Annual", 3),
)  # fmt: skip

PROGRESS_OPENERS = (
    "This quarter", "During the quarter", "Since the last update", "Over the period",
    "Following the last partnership meeting", "In line with the delivery plan", "As planned",
)  # fmt: skip
PROGRESS_SUBJECTS = (
    "the Community Safety Team", "partners", "the Neighbourhood Policing Team",
    "the Youth Offending Service", "the Anti-Social Behaviour Officer", "the IDVA service",
    "the MARAC coordinator", "the Safer Streets project", "the Street Pastors",
    "the Prevent lead", "the licensing team", "Community Safety Advisers from the fire service",
    "the Early Help team", "the commissioned provider", "volunteers",
)  # fmt: skip
PROGRESS_VERBS = (
    "delivered", "completed", "held", "attended", "reviewed", "launched", "continued",
    "supported", "carried out", "promoted", "mapped", "extended",
)  # fmt: skip
PROGRESS_OBJECTS = (
    "{n} home safety visits", "{n} awareness sessions in local schools",
    "two multi-agency problem-solving meetings on {topic}", "joint patrols in the town centre",
    "a week of action on {topic}", "target hardening for {n} repeat victims",
    "the referral pathway for {topic}", "a review of open cases involving {topic}",
    "{n} referrals to specialist support", "training on {topic} for {n} frontline staff",
    "a social media campaign on {topic} reaching {n} residents", "the quarterly tasking meeting",
)  # fmt: skip
PROGRESS_TAILS = (
    "", "", "", " with positive feedback from residents",
    " in the hotspot wards identified in the strategic assessment", " alongside Trading Standards",
    " as agreed at the Responsible Authorities Group",
    " and referrals are up on the same quarter last year",
    " despite reduced staffing", " ahead of schedule",
)  # fmt: skip
PROGRESS_EXTRAS = (
    "Figures will be reported to the next partnership board.",
    "Funding for the post has been confirmed until March 2018.",
    "Feedback from participants has been very positive.",
    "Police recorded crime for the period shows a small reduction.",
    "A full evaluation will follow at year end.",
    "No further issues to report.",
    "Case studies are available on request from the lead officer.",
    "The working group will next meet in the coming quarter.",
)
RISK_SENTENCES = (
    "Capacity in the team is reduced while a post is vacant.",
    "Funding beyond March 2017 is not yet confirmed.",
    "Depends on the information sharing agreement with health partners being signed.",
    "Procurement of the new service has been delayed.",
    "Referral numbers remain low despite promotion.",
    "Partner attendance at the problem-solving group has been inconsistent.",
    "Data from the new case management system is not yet available.",
    "Demand on the service is higher than commissioned.",
)
RETURN_COMMENTS = (
    "Please add the figures for the quarter.",
    "Please say which wards this covers.",
    "The status does not match the narrative; please review.",
)

# Status mix by period (oldest first): mostly on track, completions growing, fewer not started.
ORDINARY_STATUS_WEIGHTS: dict[str, Sequence[int]] = {
    UpdateStatus.ON_TRACK: (56, 58, 58, 56, 55),
    UpdateStatus.AT_RISK: (10, 11, 11, 11, 11),
    UpdateStatus.OFF_TRACK: (3, 4, 4, 4, 4),
    UpdateStatus.COMPLETE: (4, 7, 10, 14, 16),
    UpdateStatus.NOT_STARTED: (18, 12, 8, 6, 5),
    UpdateStatus.NO_LONGER_REQUIRED: (1, 1, 2, 2, 2),
    UpdateStatus.NOT_GIVEN: (8, 7, 7, 7, 7),
}
# A few actions are in trouble: their updates are far more often at risk or off track.
TROUBLED_MULTIPLIER: dict[str, int] = {UpdateStatus.AT_RISK: 3, UpdateStatus.OFF_TRACK: 5}
# Reported and closed periods are mostly accepted; the open one is still coming in.
STATE_WEIGHTS: dict[str, dict[str, int]] = {
    "past": {UpdateState.ACCEPTED: 88, UpdateState.SUBMITTED: 9, UpdateState.DRAFT: 2,
             UpdateState.RETURNED: 1},
    "open": {UpdateState.ACCEPTED: 25, UpdateState.SUBMITTED: 45, UpdateState.DRAFT: 25,
             UpdateState.RETURNED: 5},
}  # fmt: skip


def _trim(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary, ending with a full stop."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(f" ,;:-{DASH}.")
    return cut + "."


class TextMaker:
    """Plain community-safety prose from word lists, its lengths within given bounds."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _fill(self, template: str, topic: str) -> str:
        rng = self.rng
        return template.format(topic=topic, n=rng.randint(2, 60), pct=rng.choice((70, 75, 80, 90)))

    def _compose(self, sentence: Callable[[], str], low: int, high: int) -> str:
        target = int(self.rng.triangular(low, high, low + (high - low) * 0.3))
        parts: list[str] = []
        length = -1
        while length < target:
            part = sentence()
            parts.append(part)
            length += len(part) + 1
        return _trim(" ".join(parts), high)

    def action_description(self, topic: str) -> str:
        rng = self.rng
        what = self._fill(rng.choice(ACTION_OBJECTS), topic)
        sentences = iter(
            [
                f"{rng.choice(ACTION_VERBS)} {what} {rng.choice(ACTION_PURPOSES)}.",
                *rng.sample(ACTION_EXTRAS, len(ACTION_EXTRAS)),
            ]
        )
        return self._compose(lambda: next(sentences), 60, 300)

    def outcomes(self, topic: str) -> str:
        templates = self.rng.sample(OUTCOME_PHRASES, len(OUTCOME_PHRASES))
        phrases = [self._fill(templates[0], topic)]
        target = int(self.rng.triangular(40, 250, 90))
        for template in templates[1:]:
            if sum(len(p) + 2 for p in phrases) >= target:
                break
            phrases.append(self._fill(template, topic).lower())
        return _trim("; ".join(phrases), 250)

    def progress(self, topic: str) -> str:
        rng = self.rng

        def sentence() -> str:
            if rng.random() < 0.25:
                return rng.choice(PROGRESS_EXTRAS)
            what = self._fill(rng.choice(PROGRESS_OBJECTS), topic)
            return (
                f"{rng.choice(PROGRESS_OPENERS)}, {rng.choice(PROGRESS_SUBJECTS)} "
                f"{rng.choice(PROGRESS_VERBS)} {what}{rng.choice(PROGRESS_TAILS)}."
            )

        return self._compose(sentence, 80, 600)

    def risks(self) -> str:
        count = self.rng.choice((1, 1, 2, 3))
        return " ".join(self.rng.sample(RISK_SENTENCES, count))

    def objective_title(self, topic: str) -> str:
        return self.rng.choice(OBJECTIVE_TEMPLATES).format(topic=topic)


# --- What the generator keeps between levels ------------------------------------------------


@dataclass
class Area:
    """One generated partnership and what later levels need of it."""

    partnership: Partnership
    districts: list[District] = field(default_factory=list)
    members: list[Organisation] = field(default_factory=list)
    member_weights: list[float] = field(default_factory=list)
    plan: Plan | None = None
    periods: list[ReportingPeriod] = field(default_factory=list)
    priorities: list[tuple[Priority, tuple[str, ...]]] = field(default_factory=list)
    objectives: list[tuple[StrategicObjective, tuple[str, ...]]] = field(default_factory=list)


@dataclass(slots=True)
class ActionInfo:
    """One generated action, as its updates need it."""

    pk: int
    area: Area
    topic: str
    district_ids: tuple[int, ...]  # the districts it covers: its own subset, else all
    per_district: bool  # reported district by district rather than for the whole area
    lead_organisation_ids: tuple[int, ...]
    is_restricted: bool
    troubled: bool


@dataclass(frozen=True)
class GeneratedSet:
    """The rows a prefix owns, found by their slugs."""

    prefix: str

    @property
    def partnerships(self) -> models.QuerySet[Partnership]:
        return Partnership.objects.filter(slug__startswith=f"{self.prefix}-partnership-")

    @property
    def plans(self) -> models.QuerySet[Plan]:
        return Plan.objects.filter(
            Q(slug__startswith=f"{self.prefix}-plan-") | Q(partnership__in=self.partnerships)
        )

    @property
    def organisations(self) -> models.QuerySet[Organisation]:
        return Organisation.objects.filter(slug__startswith=f"{self.prefix}-org-")

    def summary(self) -> str:
        """What exists, e.g. "20 partnerships, 20 plans, 89 organisations"; "" for nothing."""
        counts = {
            "partnerships": self.partnerships.count(),
            "plans": self.plans.count(),
            "organisations": self.organisations.count(),
        }
        return ", ".join(f"{n} {name}" for name, n in counts.items() if n)

    def delete(self) -> Counter[str]:
        """Delete the set, its history first as PROTECT requires; returns rows deleted by model."""
        deleted: Counter[str] = Counter()

        def record(result: tuple[int, dict[str, int]]) -> None:
            deleted.update({label: n for label, n in result[1].items() if n})

        plan_ids = list(self.plans.values_list("pk", flat=True))
        organisation_ids = list(self.organisations.values_list("pk", flat=True))
        record(MeasureFigure.objects.filter(update__period__plan__in=plan_ids).delete())
        # Plainly: the manager's delete would refresh these actions' stored statuses, which
        # go anyway with their actions and periods (ActionStatus cascades from both).
        record(
            models.QuerySet(QuarterlyUpdate)
            .filter(
                Q(period__plan__in=plan_ids) | Q(action__objective__priority__plan__in=plan_ids)
            )
            .only("pk")
            .delete()
        )
        record(
            PrioritySummary.objects.filter(
                Q(period__plan__in=plan_ids) | Q(priority__plan__in=plan_ids)
            ).delete()
        )
        # A reported period refuses to be deleted, so its plan too. These are made up, never
        # put before a committee: un-reported plainly (no history for a row about to go).
        models.QuerySet(ReportingPeriod).filter(plan__in=plan_ids).update(
            status=PeriodStatus.CLOSED
        )
        record(Plan.objects.filter(pk__in=plan_ids).delete())
        record(self.partnerships.delete())
        record(Officer.objects.filter(organisation__in=organisation_ids).delete())
        record(Organisation.objects.filter(pk__in=organisation_ids).delete())
        return deleted


# --- The generator ------------------------------------------------------------------------


class CountyGenerator:
    """Builds the data set level by level: organisations, partnerships, plans, … updates."""

    def __init__(
        self,
        *,
        prefix: str,
        partnerships: int,
        actions: int,
        updates: int,
        seed: int,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.prefix = prefix
        self.partnership_count = partnerships
        self.action_count = actions
        self.update_count = updates
        self.batch_size = batch_size
        self.rng = random.Random(seed)
        self.text = TextMaker(self.rng)
        self.name_tag = "" if prefix == DEFAULT_PREFIX else f" ({prefix})"
        self.width = max(2, len(str(partnerships)))
        self.counts: Counter[str] = Counter()
        self.planned_districts: list[list[str]] = []
        self.county_organisations: list[Organisation] = []
        self.councils: list[Organisation] = []
        self.organisation_is_ra: dict[int, bool] = {}
        self.officers: dict[int, list[Officer]] = {}
        self.priority_strands: dict[int, tuple[str, ...]] = {}
        self.areas: list[Area] = []
        self.action_infos: list[ActionInfo] = []

    # helpers

    def insert(self, label: str, objs: list[M], *, plain: bool = False) -> list[M]:
        """``bulk_create`` in batches, counting the rows under ``label``; sets their ids.

        ``plain`` bypasses the model's own manager (and whatever it does besides inserting).
        """
        if not objs:
            return objs
        model = type(objs[0])
        queryset = models.QuerySet(model) if plain else model._default_manager.all()
        created = queryset.bulk_create(objs, batch_size=self.batch_size)
        if created[0].pk is None:  # pragma: no cover - SQLite 3.35+ and PostgreSQL return ids
            raise CommandError(f"The database did not return the ids of the new {label}.")
        self.counts[label] += len(created)
        return created

    def named(self, name: str) -> str:
        return f"{name}{self.name_tag}"

    def district_names(self) -> list[list[str]]:
        """2 or 3 distinct district names per partnership (the list again, numbered, if need be)."""
        sizes = [self.rng.randint(2, MAX_DISTRICTS) for _ in range(self.partnership_count)]
        pool = list(DISTRICT_NAMES)
        self.rng.shuffle(pool)
        names = [
            pool[i % len(pool)] + (f" {i // len(pool) + 1}" if i >= len(pool) else "")
            for i in range(sum(sizes))
        ]
        groups, start = [], 0
        for size in sizes:
            groups.append(names[start : start + size])
            start += size
        return groups

    # levels

    def run(self) -> Counter[str]:
        self.make_organisations()
        self.make_officers()
        self.make_partnerships()
        self.make_plans()
        self.make_periods()
        self.make_priorities()
        self.make_objectives()
        self.make_actions()
        self.make_updates()
        return self.counts

    def make_organisations(self) -> None:
        """The county-wide agencies, then one council per district, planned now and made here."""
        self.planned_districts = self.district_names()
        rows: list[tuple[str, str, str, bool]] = list(COUNTY_ORGANISATIONS)
        for group in self.planned_districts:
            for district in group:
                council, abbreviation = self.rng.choices(COUNCIL_KINDS, weights=(6, 3, 1))[0]
                initials = "".join(word[0] for word in district.split() if word[0].isalpha())
                rows.append((f"{district} {council}", f"{initials}{abbreviation}", K.COUNCIL, True))
        slugs: set[str] = set()
        organisations = []
        for name, short_name, kind, _ in rows:
            slug = f"{self.prefix}-org-{slugify(name)}"[:80].rstrip("-")
            while slug in slugs:
                slug = f"{slug[:76]}-{len(slugs)}"
            slugs.add(slug)
            organisations.append(
                Organisation(
                    name=self.named(name),
                    slug=slug,
                    short_name=short_name,
                    kind=kind,
                    website=f"https://www.{slugify(name)[:63].strip('-')}.example.org.uk/",
                )
            )
        organisations = self.insert("organisations", organisations)
        for organisation, (*_, responsible) in zip(organisations, rows, strict=True):
            self.organisation_is_ra[organisation.pk] = responsible
        self.county_organisations = organisations[: len(COUNTY_ORGANISATIONS)]
        self.councils = organisations[len(COUNTY_ORGANISATIONS) :]

    def make_officers(self) -> None:
        """1 to 3 named officers per organisation, with initials, a job title and an e-mail."""
        officers = []
        for organisation in [*self.county_organisations, *self.councils]:
            names: list[str] = []
            count = self.rng.randint(1, 3)
            while len(names) < count:
                name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"
                if name not in names:
                    names.append(name)
            domain = organisation.website.removeprefix("https://www.").rstrip("/")
            for name in names:
                first, last = name.split()
                officers.append(
                    Officer(
                        organisation=organisation,
                        name=name,
                        initials=first[0] + last[0],
                        job_title=self.rng.choice(
                            JOB_TITLES.get(organisation.kind, GENERAL_JOB_TITLES)
                        ),
                        email=f"{first.lower()}.{last.lower()}@{domain}",
                        phone=f"01632 {self.rng.randint(100000, 999999)}",
                    )
                )
        for officer in self.insert("officers", officers):
            self.officers.setdefault(officer.organisation_id, []).append(officer)

    def make_partnerships(self) -> None:
        """Partnerships named after their districts, with the districts and the memberships."""
        by_short = {o.short_name: o for o in self.county_organisations}
        councils = iter(self.councils)
        partnerships = []
        for number, names in enumerate(self.planned_districts, start=1):
            joined = " and ".join([", ".join(names[:-1]), names[-1]])
            initials = "".join(word[0] for name in names for word in name.split())
            partnerships.append(
                Partnership(
                    name=self.named(f"{joined} Community Safety Partnership"),
                    slug=f"{self.prefix}-partnership-{number:0{self.width}d}",
                    short_name=f"{initials} CSP",
                    area_description=(
                        f"The districts of {joined} in {COUNTY}, home to about "
                        f"{self.rng.randint(120, 400) * 1000:,} people."
                    ),
                    is_public=self.rng.random() < 0.5,
                    reports_by_priority_summary=self.rng.random() < 0.3,
                )
            )
        partnerships = self.insert("partnerships", partnerships)

        districts: list[District] = []
        memberships: list[Membership] = []
        for partnership, names in zip(partnerships, self.planned_districts, strict=True):
            area = Area(partnership)
            self.areas.append(area)
            own_councils = [next(councils) for _ in names]
            for name in names:
                population = self.rng.randint(50, 180) * 1000
                districts.append(
                    District(
                        partnership=partnership,
                        name=name,
                        slug=slugify(name),
                        description=f"Population about {population:,}; "
                        f"{self.rng.randint(12, 40)} wards.",
                    )
                )
            ccg = by_short[CCG_SHORT_NAMES[len(self.areas) % len(CCG_SHORT_NAMES)]]
            members = [*own_councils, *(by_short[s] for s in CORE_MEMBERS), ccg]
            others = [o for o in self.county_organisations if o not in members]
            members += self.rng.sample(others, max(0, self.rng.randint(10, 15) - len(members)))
            area.members = members
            area.member_weights = [3.0 if self.organisation_is_ra[o.pk] else 1.0 for o in members]
            memberships += [
                Membership(
                    partnership=partnership,
                    organisation=o,
                    is_responsible_authority=self.organisation_is_ra[o.pk],
                )
                for o in members
            ]
        districts = self.insert("districts", districts)
        by_partnership: dict[int, list[District]] = {}
        for district in districts:
            by_partnership.setdefault(district.partnership_id, []).append(district)
        for area in self.areas:
            area.districts = by_partnership[area.partnership.pk]
        self.insert("memberships", memberships)

    def make_plans(self) -> None:
        """One adopted plan per partnership, 2016/17 to 2017/18."""
        plans = [
            Plan(
                partnership=area.partnership,
                title=f"Partnership Plan 2016{DASH}2018",
                slug=f"{self.prefix}-plan-{number:0{self.width}d}",
                version_label=f"Version {self.rng.randint(1, 3)} {DASH} April 2016",
                first_year=PLAN_FIRST_YEAR,
                last_year=PLAN_LAST_YEAR,
                status=PlanStatus.ADOPTED,
                priorities_agreed_on=date(2016, 3, self.rng.randint(1, 31)),
                priorities_agreed_by=(
                    "Responsible Authorities Group, after the strategic assessment"
                ),
                introduction=(
                    f"This plan sets out how the partners of the {area.partnership.short_name} "
                    "will work together to reduce crime and disorder over the next two years."
                ),
            )
            for number, area in enumerate(self.areas, start=1)
        ]
        for area, plan in zip(self.areas, self.insert("plans", plans), strict=True):
            area.plan = plan

    def make_periods(self) -> None:
        """2016/17 Q1 to Q4 and 2017/18 Q1 for every plan; the last still open."""
        periods = [
            ReportingPeriod(
                plan=area.plan,
                year=quarter.year,
                quarter=quarter.quarter,
                deadline=quarter.end + timedelta(days=21),
                status=status,
            )
            for area in self.areas
            for quarter, status, _ in PERIODS
        ]
        periods = self.insert("reporting periods", periods)
        for index, area in enumerate(self.areas):
            area.periods = periods[index * len(PERIODS) : (index + 1) * len(PERIODS)]

    def make_priorities(self) -> None:
        """3 to 5 priorities per plan, drawn from the common community safety priorities."""
        priorities: list[Priority] = []
        chosen: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
        for area in self.areas:
            for number, spec in enumerate(self.rng.sample(PRIORITIES, self.rng.randint(3, 5)), 1):
                title, topics, _ = spec
                priorities.append(
                    Priority(
                        plan=area.plan,
                        number=number,
                        title=title,
                        description=f"Our work on {', '.join(topics[:-1])} and {topics[-1]}.",
                    )
                )
                chosen.append(spec)
        by_plan: dict[int, Area] = {area.plan.pk: area for area in self.areas if area.plan}
        for priority, (_, topics, strands) in zip(
            self.insert("priorities", priorities), chosen, strict=True
        ):
            by_plan[priority.plan_id].priorities.append((priority, topics))
            self.priority_strands[priority.pk] = strands

    def make_objectives(self) -> None:
        """3 to 6 strategic objectives per priority; about half tagged with statutory strands."""
        objectives: list[StrategicObjective] = []
        owners: list[tuple[Area, tuple[str, ...]]] = []
        for area in self.areas:
            for priority, topics in area.priorities:
                for number in range(1, self.rng.randint(3, 6) + 1):
                    objectives.append(
                        StrategicObjective(
                            priority=priority,
                            number=number,
                            title=self.text.objective_title(self.rng.choice(topics)),
                            is_statutory=self.rng.random() < 0.05,
                        )
                    )
                    owners.append((area, topics))
        objectives = self.insert("strategic objectives", objectives)
        strands: list[ObjectiveStrand] = []
        for objective, (area, topics) in zip(objectives, owners, strict=True):
            area.objectives.append((objective, topics))
            tags: list[str] = []
            own = self.priority_strands[objective.priority_id]
            if own and self.rng.random() < 0.5:
                tags += self.rng.sample(own, self.rng.randint(1, len(own)))
            if self.rng.random() < 0.1:
                tags.append(self.rng.choice(StatutoryStrand.values))
            strands += [ObjectiveStrand(objective=objective, strand=s) for s in dict.fromkeys(tags)]
        self.insert("objective strands", strands)

    def spread(self, total: int, weights: list[float]) -> list[int]:
        """Split ``total`` into whole shares proportional to ``weights`` that add up exactly."""
        scale = total / sum(weights)
        shares = [int(w * scale) for w in weights]
        remainders = sorted(range(len(weights)), key=lambda i: (shares[i] - weights[i] * scale, i))
        for i in remainders[: total - sum(shares)]:
            shares[i] += 1
        return shares

    def make_actions(self) -> None:
        """Exactly the requested actions over the objectives, with their districts and leads."""
        objectives = [(area, o, topics) for area in self.areas for o, topics in area.objectives]
        shares = self.spread(self.action_count, [self.rng.uniform(0.4, 1.6) for _ in objectives])
        timescales = [t for t, _ in TIMESCALES]
        timescale_weights = [w for _, w in TIMESCALES]
        actions: list[Action] = []
        pending: list[tuple[Area, str, list[District], bool, bool]] = []
        lead_rows: list[list[tuple[Organisation | None, Officer | None]]] = []
        for (area, objective, topics), share in zip(objectives, shares, strict=True):
            for number in range(1, share + 1):
                topic = self.rng.choice(topics)
                timescale = self.rng.choices(timescales, timescale_weights)[0]
                due = due_quarter_from_timescale(timescale, PLAN_FIRST_YEAR)
                leads = self.choose_leads(area)
                subset: list[District] = []
                if self.rng.random() < 0.45:
                    size = self.rng.randint(1, len(area.districts))
                    subset = sorted(self.rng.sample(area.districts, size), key=lambda d: d.name)
                restricted = self.rng.random() < 0.05
                actions.append(
                    Action(
                        objective=objective,
                        number=number,
                        description=self.text.action_description(topic),
                        outcomes=self.text.outcomes(topic),
                        lead_as_written=self.lead_as_written(leads),
                        timescale=timescale,
                        due_year=due.year if due else None,
                        due_quarter=due.quarter if due else None,
                        is_restricted=restricted,
                    )
                )
                pending.append((area, topic, subset, restricted, self.rng.random() < 0.08))
                lead_rows.append(leads)
        actions = self.insert("actions", actions)

        through = Action.districts.through
        action_districts = []
        action_leads = []
        for action, (area, topic, subset, restricted, troubled), leads in zip(
            actions, pending, lead_rows, strict=True
        ):
            action_districts += [through(action_id=action.pk, district_id=d.pk) for d in subset]
            action_leads += [
                ActionLead(
                    action=action,
                    number=number,
                    organisation=organisation,
                    officer=officer,
                    all_partners=organisation is None,
                )
                for number, (organisation, officer) in enumerate(leads, start=1)
            ]
            self.action_infos.append(
                ActionInfo(
                    pk=action.pk,
                    area=area,
                    topic=topic,
                    district_ids=tuple(d.pk for d in (subset or area.districts)),
                    per_district=self.rng.random() < 0.4,
                    lead_organisation_ids=tuple(o.pk for o, _ in leads if o is not None),
                    is_restricted=restricted,
                    troubled=troubled,
                )
            )
        self.insert("action districts", action_districts)
        self.insert("action leads", action_leads)

    def choose_leads(self, area: Area) -> list[tuple[Organisation | None, Officer | None]]:
        """1 to 3 distinct lead organisations, often with an officer; now and then all partners."""
        count = self.rng.choices((1, 2, 3), weights=(55, 30, 15))[0]
        leads: list[tuple[Organisation | None, Officer | None]] = []
        if self.rng.random() < 0.06:
            leads.append((None, None))
        chosen: list[Organisation] = []
        while len(leads) + len(chosen) < count:
            organisation = self.rng.choices(area.members, area.member_weights)[0]
            if organisation not in chosen:
                chosen.append(organisation)
        for organisation in chosen:
            officer = None
            if self.rng.random() < 0.6:
                officer = self.rng.choice(self.officers[organisation.pk])
            leads.append((organisation, officer))
        return leads

    @staticmethod
    def lead_as_written(leads: list[tuple[Organisation | None, Officer | None]]) -> str:
        parts = []
        for organisation, officer in leads:
            if organisation is None:
                parts.append("All partners")
            elif officer is None:
                parts.append(organisation.short_name)
            else:
                parts.append(f"{organisation.short_name} {DASH} {officer.initials}")
        return " / ".join(parts)

    def update_slots(self) -> list[tuple[int, int, int]]:
        """Choose exactly the requested (period, action, district) slots, district 0 = whole area.

        Each action is reported either district by district or for the whole area; those slots
        are taken first, at random but in each period's proportion (``PERIODS``), and the other
        kind only if more are asked for. One slot per action, period and district (or whole
        area) keeps the unique constraints.
        """
        rng = self.rng
        weights = [weight for *_, weight in PERIODS]
        candidates: list[tuple[float, int, int, int]] = []
        for index, info in enumerate(self.action_infos):
            primary = info.district_ids if info.per_district else (0,)
            secondary = (0,) if info.per_district else info.district_ids
            for tier, district_ids in ((0.0, primary), (10.0, secondary)):
                for p, weight in enumerate(weights):
                    for district_id in district_ids:
                        key = tier + rng.random() / weight
                        candidates.append((key, p, index, district_id))
        if self.update_count > len(candidates):
            raise CommandError(
                f"--updates {self.update_count} is more than fit: {len(self.action_infos)} "
                f"action(s) over {len(PERIODS)} periods, by district and for the whole area, "
                f"take at most {len(candidates)} updates here."
            )
        candidates.sort()
        return sorted((p, i, d) for _, p, i, d in candidates[: self.update_count])

    def make_updates(self) -> None:
        """Exactly the requested quarterly updates, written in period order as they would arrive.

        ``QuarterlyUpdate.objects.bulk_create`` would refresh the stored ``ActionStatus`` of the
        actions in every batch; written plainly instead, they are refreshed once at the end
        (``refresh_statuses``), by the same rule, in the same transaction.
        """
        rng = self.rng
        statuses = list(ORDINARY_STATUS_WEIGHTS)
        status_weights = {
            (p, troubled): [
                ORDINARY_STATUS_WEIGHTS[s][p] * (TROUBLED_MULTIPLIER.get(s, 1) if troubled else 1)
                for s in statuses
            ]
            for p in range(len(PERIODS))
            for troubled in (False, True)
        }
        state_weights = {key: (list(w), list(w.values())) for key, w in STATE_WEIGHTS.items()}
        batch: list[QuarterlyUpdate] = []
        for p, index, district_id in self.update_slots():
            info = self.action_infos[index]
            quarter, period_status, _ = PERIODS[p]
            status = rng.choices(statuses, status_weights[p, info.troubled])[0]
            states, weights = state_weights[
                "open" if period_status == PeriodStatus.OPEN else "past"
            ]
            state = rng.choices(states, weights)[0]
            submitted_at = None
            if state != UpdateState.DRAFT:
                day = quarter.end + timedelta(days=rng.randint(1, 21))
                submitted_at = datetime(
                    day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59), tzinfo=UTC
                )
            risky = status in (UpdateStatus.AT_RISK, UpdateStatus.OFF_TRACK)
            organisation_ids = info.lead_organisation_ids
            batch.append(
                QuarterlyUpdate(
                    action_id=info.pk,
                    period_id=info.area.periods[p].pk,
                    district_id=district_id or None,
                    organisation_id=(
                        rng.choice(organisation_ids)
                        if organisation_ids
                        else rng.choice(info.area.members).pk
                    ),
                    status=status,
                    progress=self.text.progress(info.topic),
                    risks=self.text.risks() if rng.random() < (0.8 if risky else 0.15) else "",
                    state=state,
                    is_restricted=info.is_restricted or rng.random() < 0.01,
                    return_comment=(
                        rng.choice(RETURN_COMMENTS) if state == UpdateState.RETURNED else ""
                    ),
                    submitted_at=submitted_at,
                )
            )
            if len(batch) >= self.batch_size:
                self.insert("quarterly updates", batch, plain=True)
                batch = []
        self.insert("quarterly updates", batch, plain=True)
        self.date_updates()
        self.refresh_statuses()

    def date_updates(self) -> None:
        """Move ``created_at`` and ``updated_at`` from today back to when each update was written.

        ``bulk_create`` stamps them with the time of the run (``auto_now``); an ``UPDATE`` does
        not, so one statement per quarter dates them by ``submitted_at``, drafts by the quarter.
        """
        for p, (quarter, *_) in enumerate(PERIODS):
            written = quarter.end + timedelta(days=7)
            draft_time = Value(datetime(written.year, written.month, written.day, 12, tzinfo=UTC))
            # Plainly, as dates do not change a status: the manager's update would refresh them.
            models.QuerySet(QuarterlyUpdate).filter(
                period_id__in=[area.periods[p].pk for area in self.areas]
            ).update(
                created_at=Coalesce(
                    ExpressionWrapper(
                        F("submitted_at") - Value(timedelta(days=2)),
                        output_field=models.DateTimeField(),
                    ),
                    draft_time,
                ),
                updated_at=Coalesce(F("submitted_at"), draft_time),
            )

    def refresh_statuses(self) -> None:
        """Store each action's status per period (``ActionStatus``) from the new updates.

        One rebuild of the whole table, as ``manage.py refresh_statuses`` does: handing
        ``refresh`` the 100,000 (action, period) pairs instead costs far more, as it ORs them
        into one ``Q`` before deciding to rebuild everything anyway.
        """
        ActionStatus.refresh(None)
        self.counts["action statuses"] = ActionStatus.objects.filter(
            period__plan__in=[area.plan for area in self.areas]
        ).count()


# --- The command --------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Generate a county-scale synthetic data set (partnerships, plans, actions, quarterly "
        "updates) for benchmarks. Deterministic for a given --seed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partnerships", type=int, default=20, metavar="N")
        parser.add_argument("--actions", type=int, default=20_000, metavar="N")
        parser.add_argument("--updates", type=int, default=100_000, metavar="N")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--prefix",
            default=DEFAULT_PREFIX,
            help="Starts every generated slug (lower-case letters and digits, at most 20).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the data generated earlier with this prefix first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        prefix: str = options["prefix"]
        if not PREFIX_PATTERN.match(prefix):
            raise CommandError(
                f"--prefix {prefix!r}: use 1 to 20 lower-case letters and digits, "
                "starting with a letter."
            )
        actions, updates = options["actions"], options["updates"]
        if options["partnerships"] < 1 or actions < 0 or updates < 0:
            raise CommandError(
                "--partnerships must be at least 1; --actions and --updates at least 0."
            )
        most = actions * len(PERIODS) * (MAX_DISTRICTS + 1)
        if updates > most:
            raise CommandError(
                f"--updates {updates} is more than {actions} actions can take "
                f"(at most {most}: {len(PERIODS)} periods, each per district and for the "
                "whole area)."
            )
        generated = GeneratedSet(prefix)
        started = time.perf_counter()
        deleted: Counter[str] = Counter()
        try:
            with transaction.atomic():
                existing = generated.summary()
                if existing and not options["replace"]:
                    raise CommandError(
                        f"Data generated with prefix {prefix!r} already exists ({existing}); "
                        "nothing was changed. Run again with --replace to delete it and "
                        "generate afresh, or choose another --prefix."
                    )
                if existing:
                    deleted = generated.delete()
                deleted_at = time.perf_counter()
                counts = CountyGenerator(
                    prefix=prefix,
                    partnerships=options["partnerships"],
                    actions=actions,
                    updates=updates,
                    seed=options["seed"],
                ).run()
        except ProtectedError as error:
            raise CommandError(
                f"Could not replace the {prefix!r} data, nothing was changed: other data still "
                f"refers to it ({error.args[0]})"
            ) from error
        except IntegrityError as error:
            raise CommandError(
                f"Could not generate the {prefix!r} data, nothing was changed: {error}. "
                "Names clash with existing data? Try another --prefix."
            ) from error
        finished = time.perf_counter()

        database = connection.settings_dict["NAME"]
        if deleted:
            self.stdout.write(
                f"Deleted the earlier {prefix!r} data: {sum(deleted.values())} rows "
                f"in {deleted_at - started:.2f} s."
            )
        self.stdout.write(
            f"Generated into {connection.vendor} {database} (prefix {prefix!r}, "
            f"seed {options['seed']}):"
        )
        for label, count in counts.items():
            self.stdout.write(f"  {label:<22} {count:>8}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{sum(counts.values())} rows in {finished - deleted_at:.2f} s "
                f"({finished - started:.2f} s in all)."
            )
        )
