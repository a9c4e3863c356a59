"""``manage.py load_demo``: the demo partnerships from the seed papers, plus local sign-ins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from csp.demo.loader import DemoDataError, DemoLoader
from csp.models import Officer, Organisation, Partnership, PartnershipRole, Role

DEMO_PASSWORD = "demo-only-password"

CASTLE_POINT_ROCHFORD, MEDWAY = "castle-point-rochford", "medway"

# username, partnership, role, organisation slug, officer name (a real officer of its paper)
DEMO_SIGN_INS = [
    ("coordinator", CASTLE_POINT_ROCHFORD, Role.COORDINATOR, None, None),
    (
        "rochford-officer",
        CASTLE_POINT_ROCHFORD,
        Role.OFFICER,
        "rochford-district-council",
        "Graham Browne",
    ),
    ("police-officer", CASTLE_POINT_ROCHFORD, Role.OFFICER, "essex-police", "Emma Clark"),
    ("clerk", CASTLE_POINT_ROCHFORD, Role.CLERK, None, None),
    ("viewer", CASTLE_POINT_ROCHFORD, Role.VIEWER, None, None),
    # Medway reports by the 4 Ps: its officer writes a summary per priority.
    ("medway-officer", MEDWAY, Role.OFFICER, "medway-council", "James Brown"),
]


class Command(BaseCommand):
    help = "Load the demo partnerships transcribed from the seed papers. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = DemoLoader().load_all()
        except DemoDataError as error:
            raise CommandError(f"Demo data not loaded, nothing changed: {error}") from error
        for line in report.lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(
            self.style.SUCCESS("Demo data loaded.")
            if report.changed_anything
            else "Demo data was already loaded; nothing changed."
        )
        if settings.DEBUG:
            self.create_sign_ins()
        else:
            self.stdout.write("DEBUG is off, so no demo sign-ins were created.")

    @transaction.atomic
    def create_sign_ins(self) -> None:
        """Local demo accounts: one per role in Castle Point and Rochford, an officer in Medway."""
        partnerships = {p.slug: p for p in Partnership.objects.all()}
        User = get_user_model()
        self.stdout.write(
            f"\nDemo sign-ins (local demo only), all with the password {DEMO_PASSWORD!r}:"
        )
        for username, partnership_slug, role, organisation_slug, officer_name in DEMO_SIGN_INS:
            partnership = partnerships[partnership_slug]
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.invalid"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                if role == Role.COORDINATOR:
                    # Coordinators keep the plan in the Django admin.
                    user.is_staff = True
                user.save()
                if user.is_staff:
                    user.user_permissions.set(
                        Permission.objects.filter(content_type__app_label="csp")
                    )
            PartnershipRole.objects.get_or_create(
                user=user, partnership=partnership, defaults={"role": role}
            )
            where = ""
            if organisation_slug:
                organisation = Organisation.objects.get(slug=organisation_slug)
                officer = Officer.objects.get(organisation=organisation, name=officer_name)
                if officer.user_id is None:
                    officer.user = user
                    officer.save(update_fields=["user"])
                where = f" at {organisation.name}"
            self.stdout.write(f"  {username:<18} {Role(role).label}{where}, {partnership.name}")
