"""Who may see what: the one place that decides.

A signed-in user sees the partnerships they hold a role in; anyone, signed in or not, sees the
partnerships that have switched on the public view, without anything marked restricted.
Superusers see everything. Querysets apply this through their ``visible_to`` methods, which all
call the helpers here, so a list, a detail page and an export can never disagree.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, Q, QuerySet, When

AnyUser = User | AnonymousUser


class SignInRequired(Exception):
    """Raised by a view when the page exists but only a signed-in member may see it."""


def member_partnership_ids(user: AnyUser) -> QuerySet[Any, Any]:
    """A subquery of the ids of the partnerships ``user`` holds a role in."""
    # Looked up by name: the models import this module for their ``visible_to`` methods.
    return (
        apps.get_model("csp", "PartnershipRole")
        .objects.filter(user_id=user.pk)
        .values("partnership_id")
    )


def partnership_visibility(user: AnyUser, path: str) -> Q:
    """``Q`` for rows whose partnership (reached through ``path``) ``user`` may see at all."""
    prefix = f"{path}__" if path else ""
    if user.is_superuser:
        return Q()
    public = Q(**{f"{prefix}is_public": True})
    if not user.is_authenticated:
        return public
    return public | Q(**{f"{prefix}pk__in": member_partnership_ids(user)})


def full_visibility(user: AnyUser, path: str, restricted_fields: tuple[str, ...] = ()) -> Q:
    """Like ``partnership_visibility``, but rows marked restricted show to members only."""
    prefix = f"{path}__" if path else ""
    if user.is_superuser:
        return Q()
    not_restricted = Q()
    for field in restricted_fields:
        not_restricted &= Q(**{field: False})
    public = Q(**{f"{prefix}is_public": True}) & not_restricted
    if not user.is_authenticated:
        return public
    return public | Q(**{f"{prefix}pk__in": member_partnership_ids(user)})


def pick_for(
    user: AnyUser | None,
    full: Any,
    public: Any,
    path: str = "objective__priority__plan__partnership",
) -> Any:
    """An expression worth ``full`` where ``user`` sees restricted items, else ``public``.

    ``path`` leads from the queried model to its partnership. ``user=None`` means no one in
    particular: internal use (reports, the admin), which sees everything.
    """
    if user is None or user.is_superuser:
        return full
    if not user.is_authenticated:
        return public
    members = Q(**{f"{path}__pk__in": member_partnership_ids(user)})
    return Case(When(members, then=full), default=public)


def pick_q(
    user: AnyUser | None,
    full: Q,
    public: Q,
    path: str = "objective__priority__plan__partnership",
) -> Q:
    """``full`` where ``user`` sees restricted items, else ``public``: ``pick_for`` for filters."""
    if user is None or user.is_superuser:
        return full
    if not user.is_authenticated:
        return public
    return (full & Q(**{f"{path}__pk__in": member_partnership_ids(user)})) | public


def audience(user: AnyUser) -> str:
    """What ``user`` may see, as a key: two visitors with the same key see exactly the same.

    ``public``: the public view only (signed out, or signed in with no role); ``everything``: a
    superuser; ``members:1,4``: the public view, and partnerships 1 and 4 in full. So work done
    for one visitor (a long report's PDF) can be shared with another who would see the same.
    """
    if user.is_superuser:
        return "everything"
    if not user.is_authenticated:
        return "public"
    ids = sorted(member_partnership_ids(user).values_list("partnership_id", flat=True).distinct())
    return f"members:{','.join(map(str, ids))}" if ids else "public"


def is_coordinator(user: AnyUser, partnership_id: int) -> bool:
    """May ``user`` keep this partnership's plans: its coordinators, and superusers."""
    if user.is_superuser:
        return True
    if not user.is_authenticated:
        return False
    return (
        apps.get_model("csp", "PartnershipRole")
        .objects.filter(user_id=user.pk, partnership_id=partnership_id, role="coordinator")
        .exists()
    )


def coordinators(partnership_id: int) -> QuerySet[Any, Any]:
    """The active users who coordinate this partnership, by name."""
    return (
        apps.get_model("auth", "User")
        .objects.filter(
            is_active=True,
            partnership_roles__partnership_id=partnership_id,
            partnership_roles__role="coordinator",
        )
        .order_by("first_name", "last_name", "username")
        .distinct()
    )


def display_name(user: Any) -> str:
    """How the pages name a person: their full name, else their sign-in name."""
    return user.get_full_name() or user.get_username()


def coordinated_partnership_ids(user: AnyUser) -> set[int] | None:
    """The partnerships ``user`` coordinates, in one query; ``None`` means all (a superuser)."""
    if user.is_superuser:
        return None
    if not user.is_authenticated:
        return set()
    return set(
        apps.get_model("csp", "PartnershipRole")
        .objects.filter(user_id=user.pk, role="coordinator")
        .values_list("partnership_id", flat=True)
    )


def full_view_partnerships(user: AnyUser) -> frozenset[int] | None:
    """The partnerships where ``user`` sees restricted items too (their own); ``None`` means
    everywhere (a superuser). Elsewhere they see what the public view shows."""
    if user.is_superuser:
        return None
    if not user.is_authenticated:
        return frozenset()
    return frozenset(member_partnership_ids(user).values_list("partnership_id", flat=True))


def sees_restricted(user: AnyUser, partnership_id: int) -> bool:
    if user.is_superuser:
        return True
    if not user.is_authenticated:
        return False
    return member_partnership_ids(user).filter(partnership_id=partnership_id).exists()


# Roles that write quarterly updates (for the actions their organisation leads) and, for
# coordinators alone, review them and manage the partnership's plans and periods.
WRITING_ROLES = ("officer", "coordinator")


def role_in(user: AnyUser, partnership_id: int) -> str | None:
    """``user``'s role in this partnership ("coordinator", "officer", "clerk", "viewer")."""
    if not user.is_authenticated:
        return None
    return (
        apps.get_model("csp", "PartnershipRole")
        .objects.filter(user_id=user.pk, partnership_id=partnership_id)
        .values_list("role", flat=True)
        .first()
    )


def organisation_ids(user: AnyUser) -> set[int]:
    """The organisations ``user`` works for: those of the officer records linked to the sign-in."""
    if not user.is_authenticated:
        return set()
    return set(
        apps.get_model("csp", "Officer")
        .objects.filter(user_id=user.pk)
        .values_list("organisation_id", flat=True)
    )


def writes_updates_in(user: AnyUser, partnership_id: int) -> bool:
    """May ``user`` write updates in this partnership at all (for their organisation's actions).

    Superusers may open the pages, though they write only for organisations they work for.
    """
    if user.is_superuser:
        return True
    return role_in(user, partnership_id) in WRITING_ROLES
