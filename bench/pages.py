"""Benchmark: the pages other than the action list, beside two baselines in the same run.

    DATABASE_URL=sqlite:////tmp/county.sqlite3 env -u PYTHONDONTWRITEBYTECODE \
        .venv/bin/python bench/pages.py

On a ``generate_county`` data set it times, through Django's test client after one warm-up:
a plan's dashboard, an action's page, the lead agencies and one agency's page (Northshire
Police, which leads actions in every partnership), the home page and a coordinator's review of
an open period, signed in as a coordinator of every partnership; and My updates and the page
writing one period's updates, signed in as an officer of Northshire Police with the officer
role in every partnership ("a user in 20 partnerships" on the default data). For each: min,
median, 95th percentile and queries, and "cold", the median when each request follows a
change to the data (so nothing comes from the cache). Beside them, alternately in the same
loop: the floor (a signed-in page of the site's layout that reads nothing) and the plain
django-tables2 + django-filter list of ``bench/baseline.py``; ratios are to the floor.
"""

from __future__ import annotations

import argparse

from action_list import timed_get
from common import bench_client, serve_baseline, stats
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client

from csp import caching
from csp.models import (
    Action,
    Officer,
    Organisation,
    Partnership,
    PartnershipRole,
    PeriodStatus,
    Plan,
    ReportingPeriod,
    Role,
)

OFFICER = "benchmark-officer"


def officer_client() -> Client:
    """Signed in as an officer of the organisation that is a member of most partnerships."""
    police = max(
        Organisation.objects.filter(memberships__isnull=False).distinct(),
        key=lambda o: o.memberships.count(),
    )
    user, _ = User.objects.get_or_create(username=OFFICER)
    officer = Officer.objects.filter(organisation=police).first()
    if officer.user_id != user.pk:
        Officer.objects.filter(user=user).update(user=None)
        officer.user = user
        officer.save()
    for partnership in Partnership.objects.filter(memberships__organisation=police):
        PartnershipRole.objects.get_or_create(
            user=user, partnership=partnership, defaults={"role": Role.OFFICER}
        )
    client = Client()
    client.force_login(user)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", help="run only the pages whose name contains this")
    args = parser.parse_args()
    serve_baseline()
    call_command("collectstatic", interactive=False, verbosity=0)
    db = connection.settings_dict
    print(
        f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}; "
        f"{Action.objects.count():,} actions, {Partnership.objects.count()} partnerships"
    )
    coordinator = bench_client()
    officer = officer_client()
    plan = Plan.objects.order_by("pk").first()
    action = Action.objects.in_plan(plan).order_by("pk").first()
    police = max(
        Organisation.objects.filter(action_leads__isnull=False).distinct()[:50],
        key=lambda o: o.action_leads.count(),
    )
    open_period = ReportingPeriod.objects.filter(plan=plan, status=PeriodStatus.OPEN).first()
    partnerships = PartnershipRole.objects.filter(user__username=OFFICER).count()
    pages = [
        ("dashboard", coordinator, f"/plans/{plan.slug}/"),
        ("action page", coordinator, f"/actions/{action.pk}/"),
        ("lead agencies", coordinator, "/agencies/"),
        (f"agency page ({police.short_name})", coordinator, f"/agencies/{police.slug}/"),
        ("home", coordinator, "/"),
        ("review page (one period)", coordinator, f"/periods/{open_period.pk}/"),
        (f"My updates ({partnerships} partnerships)", officer, "/updates/"),
        ("one period's updates", officer, f"/updates/{open_period.pk}/"),
    ]
    print(f"\n{args.repeat} requests each after one warm-up (ms)")
    print(
        f"{'page':<34} {'min':>7} {'median':>7} {'p95':>7} {'q':>4} {'cold':>7} | "
        f"{'floor':>6} {'list':>6} | {'x floor':>7}"
    )
    for name, client, url in pages:
        if args.only and args.only not in name:
            continue
        timed_get(client, url), timed_get(coordinator, "/baseline/floor/")
        ours, floor, plain = [], [], []
        for _ in range(args.repeat):
            elapsed, queries = timed_get(client, url)
            ours.append(elapsed)
            floor.append(timed_get(coordinator, "/baseline/floor/")[0])
            plain.append(timed_get(coordinator, "/baseline/actions/")[0])
        cold = []
        for _ in range(max(2, args.repeat // 5)):
            caching.new_token()
            cold.append(timed_get(client, url)[0])
        o_min, o_med, o_p95 = stats(ours)
        f_med, p_med = stats(floor)[1], stats(plain)[1]
        print(
            f"{name:<34} {o_min:>7.1f} {o_med:>7.1f} {o_p95:>7.1f} {queries:>4} "
            f"{stats(cold)[1]:>7.1f} | {f_med:>6.1f} {p_med:>6.1f} | {o_med / f_med:>7.2f}"
        )


if __name__ == "__main__":
    main()
