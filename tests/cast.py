"""A small cast for permission and browsing tests, in the manner of healthchecks' BaseTestCase.

Two partnerships. In "Castle", alice is the coordinator and bob a viewer; charlie belongs only
to "Elsewhere". Castle's writers: olive is an officer at Castle Council (the officer record
"Olive Oakes"), dave an officer at Shire Police (the inspector's sign-in); clara is the
committee clerk. Both organisations are members of Castle, reporting for the whole area.
Castle's plan has two priorities, two periods (Q1 closed, Q2 open), two districts, leads from
police and council, one restricted action and one restricted update.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from csp.models import (
    Action,
    ActionLead,
    District,
    Membership,
    ObjectiveStrand,
    Officer,
    Organisation,
    Partnership,
    PartnershipRole,
    PeriodStatus,
    Plan,
    ReportingPeriod,
    Role,
    StatutoryStrand,
    UpdateStatus,
)
from tests import factories as make


@dataclass
class Cast:
    castle: Partnership
    elsewhere: Partnership
    plan: Plan
    other_plan: Plan
    north: District
    south: District
    police: Organisation
    council: Organisation
    inspector: Officer
    q1: ReportingPeriod
    q2: ReportingPeriod
    patrols: Action  # 1.1.1 police (inspector), north; Q1 north on track, south n/a
    hub: Action  # 1.1.2 council, all districts; Q1 north at risk, south off track
    leaflets: Action  # 1.2.1 all partners; Q1 whole area complete; Q2 whole area on track
    covert: Action  # 2.1.1 police, restricted; Q1 off track
    burglary: Action  # 2.1.2 council; no updates
    faraway: Action  # Elsewhere's only action
    alice: User
    bob: User
    charlie: User
    olive: User  # officer, Castle Council
    dave: User  # officer, Shire Police (the inspector)
    clara: User  # committee clerk


def build_cast() -> Cast:
    castle = make.partnership(name="Castle CSP", slug="castle")
    elsewhere = make.partnership(name="Elsewhere CSP", slug="elsewhere")
    north = District.objects.create(partnership=castle, name="North", slug="north")
    south = District.objects.create(partnership=castle, name="South", slug="south")
    police = make.organisation(name="Shire Police", slug="shire-police", short_name="SP")
    council = make.organisation(name="Castle Council", slug="castle-council", short_name="CC")
    inspector = make.officer(police, name="Ida Inspector", initials="II")

    plan = make.plan(castle, title="Castle Plan 2016/17", slug="castle-2016-17")
    community = make.priority(plan, number=1, title="Safer communities")
    crime = make.priority(plan, number=2, title="Acquisitive crime")
    patrolling = make.objective(
        community, number=1, title="Reassure residents with visible patrols"
    )
    informing = make.objective(community, number=2, title="Inform residents")
    burgling = make.objective(crime, number=1, title="Reduce dwelling burglaries")
    ObjectiveStrand.objects.create(objective=patrolling, strand=StatutoryStrand.CRIME_AND_DISORDER)
    ObjectiveStrand.objects.create(objective=burgling, strand=StatutoryStrand.REOFFENDING)

    q1 = make.period(plan, 2016, 1, status=PeriodStatus.CLOSED)
    q2 = make.period(plan, 2016, 2, status=PeriodStatus.OPEN)

    patrols = make.action(
        patrolling,
        description="Evening patrols in the town centre",
        timescale="Q1-4",
        due_year=2016,
        due_quarter=4,
    )
    ActionLead.objects.create(action=patrols, organisation=police, officer=inspector)
    patrols.districts.set([north])
    hub = make.action(
        patrolling,
        description="Open a community safety hub",
        outcomes="Hub open weekly",
        timescale="Q2 - Sept 16",
        due_year=2016,
        due_quarter=2,
        lead=council,
    )
    leaflets = make.action(
        informing, description="Deliver crime prevention leaflets", timescale="Ongoing"
    )
    ActionLead.objects.create(action=leaflets, all_partners=True)
    covert = make.action(
        burgling,
        description="Covert operation against handlers",
        timescale="Q3 - Oct 16",
        due_year=2016,
        due_quarter=3,
        is_restricted=True,
        lead=police,
    )
    burglary = make.action(
        burgling,
        description="Target hardening for repeat victims",
        timescale="Q1",
        due_year=2016,
        due_quarter=1,
        lead=council,
    )

    make.update(patrols, q1, UpdateStatus.ON_TRACK, north, progress="Patrols every Friday")
    make.update(hub, q1, UpdateStatus.AT_RISK, north, progress="Venue found")
    make.update(
        hub,
        q1,
        UpdateStatus.OFF_TRACK,
        south,
        progress="No venue yet",
        risks="Depends on the library lease",
    )
    make.update(leaflets, q1, UpdateStatus.COMPLETE, progress="5,000 leaflets delivered")
    make.update(leaflets, q2, UpdateStatus.ON_TRACK, progress="Second print run ordered")
    make.update(covert, q1, UpdateStatus.OFF_TRACK, progress="Operation Nightjar details")
    make.update(
        burglary, q2, UpdateStatus.AT_RISK, progress="Secret informant briefing", is_restricted=True
    )

    other_plan = make.plan(elsewhere, title="Elsewhere Plan", slug="elsewhere-2016-17")
    faraway = make.action(
        make.objective(make.priority(other_plan, number=1, title="Far away")),
        description="Far away action",
        lead=police,
    )

    alice = User.objects.create_user("alice", "alice@example.invalid", "pw")
    bob = User.objects.create_user("bob", "bob@example.invalid", "pw")
    charlie = User.objects.create_user("charlie", "charlie@example.invalid", "pw")
    PartnershipRole.objects.create(user=alice, partnership=castle, role=Role.COORDINATOR)
    PartnershipRole.objects.create(user=bob, partnership=castle, role=Role.VIEWER)
    PartnershipRole.objects.create(user=charlie, partnership=elsewhere, role=Role.VIEWER)

    Membership.objects.create(partnership=castle, organisation=police)
    Membership.objects.create(partnership=castle, organisation=council)
    olive = User.objects.create_user("olive", "olive@example.invalid", "pw")
    dave = User.objects.create_user("dave", "dave@example.invalid", "pw")
    clara = User.objects.create_user("clara", "clara@example.invalid", "pw")
    make.officer(council, name="Olive Oakes", initials="OO", user=olive)
    inspector.user = dave
    inspector.save()
    PartnershipRole.objects.create(user=olive, partnership=castle, role=Role.OFFICER)
    PartnershipRole.objects.create(user=dave, partnership=castle, role=Role.OFFICER)
    PartnershipRole.objects.create(user=clara, partnership=castle, role=Role.CLERK)
    return Cast(
        castle,
        elsewhere,
        plan,
        other_plan,
        north,
        south,
        police,
        council,
        inspector,
        q1,
        q2,
        patrols,
        hub,
        leaflets,
        covert,
        burglary,
        faraway,
        alice,
        bob,
        charlie,
        olive,
        dave,
        clara,
    )
