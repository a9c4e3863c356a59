"""Lead resolution: what each name in a sheet's lead cells becomes, decided by the coordinator.

``cells.parse_leads`` reads a cell against the partnership's own organisations and officers.
What it cannot place is a *name*: "W Mids Police", "Trading Standards and Licensing", "CPBC".
This module gathers those names from the whole sheet into ``NameGroup``s (names that differ
only in case, spacing or punctuation, and abbreviations of the same body, are one group), finds
what each might be, and applies the coordinator's ``LeadChoice`` for each group:

- one of this partnership's organisations (proposed when exactly one fits, asked when two do);
- an organisation that exists elsewhere on the site (offered, never chosen silently);
- a new organisation, with a name and short name the coordinator can edit;
- "keep as written only": the words stay in the action's lead text and lead nothing.

Job roles ("Domestic Abuse Coordinator") are officers, not organisations: they become the
officer of the cell's organisation, or stay as written when the cell names none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from csp.importers.cells import KnownOrganisation, is_job_role

MEMBER, SITE, NEW, KEEP = "member", "site", "new", "keep"
USES = (MEMBER, SITE, NEW, KEEP)
NEW_PREFIX = "new:"  # organisation keys of organisations the import will create

_MINOR_WORDS = frozenset({"of", "the", "and", "for", "in", "&"})


def name_key(name: str) -> str:
    """Names that differ only in case, spacing, punctuation or "&"/"and" share a key."""
    text = name.casefold().replace("&", " and ")
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def _tokens(name: str) -> list[str]:
    return name_key(name).split()


def initials(name: str) -> str:
    """ "West Midlands Police" → "wmp"; "Essex County Fire & Rescue Service" → "ecfrs"."""
    return "".join(t[0] for t in _tokens(name) if t not in _MINOR_WORDS)


def _letters(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.casefold())


def _shortens(short: str, long: str) -> bool:
    """``short`` is ``long`` shortened word by word: "W Mids Police" or "Rochford DC" for
    "West Midlands Police" and "Rochford District Council". Each word of ``short`` stands for
    one word of ``long`` (the same, or its letters in order from its first: "Mids") or for a
    run of its words by their initials ("DC")."""
    a = [t for t in _tokens(short) if t not in _MINOR_WORDS]
    b = [t for t in _tokens(long) if t not in _MINOR_WORDS]
    if not a or a == b or len(a) > len(b):
        return False

    def word(part: str, whole: str) -> bool:
        letters = iter(whole)
        return part[0] == whole[0] and all(letter in letters for letter in part)

    def covers(i: int, j: int) -> bool:
        if i == len(a):
            return j == len(b)
        if j == len(b):
            return False
        if word(a[i], b[j]) and covers(i + 1, j + 1):
            return True
        return any(
            a[i] == "".join(w[0] for w in b[j : j + k]) and covers(i + 1, j + k)
            for k in range(2, min(len(b) - j, 8) + 1)
        )

    return covers(0, 0)


def possible_initials(short: str) -> set[str]:
    """The initials of every name ``short`` could abbreviate: each of its words stands for
    one word (its first letter) or, when short, for several words by their initials ("DC").
    So abbreviations are looked up by initials instead of compared with every name."""
    options = [""]
    for token in (t for t in _tokens(short) if t not in _MINOR_WORDS):
        choices = {token[0]} | ({token} if token.isalpha() and len(token) <= 6 else set())
        options = [option + choice for option in options for choice in choices][:64]
    return set(options)


def is_abbreviation(short: str, long: str) -> bool:
    """``short`` abbreviates ``long``: its initials ("WMP") or its words shortened."""
    if len(_tokens(long)) < 2 or len(_letters(short)) < 2:
        return False
    return _shortens(short, long)


@dataclass
class OrganisationIndex:
    """Organisations looked up by name, short name and initials, so that a national site's
    thousands cost a dictionary lookup per name, not a comparison with each."""

    organisations: Sequence[KnownOrganisation]
    by_key: dict[str, list[KnownOrganisation]] = field(default_factory=dict)
    by_initials: dict[str, list[KnownOrganisation]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for org in self.organisations:
            for written in (org.name, org.short_name or ""):
                if written.strip():
                    self.by_key.setdefault(name_key(written), []).append(org)
            self.by_initials.setdefault(initials(org.name), []).append(org)

    def exact(self, name: str) -> list[KnownOrganisation]:
        return list(dict.fromkeys(self.by_key.get(name_key(name), [])))

    def fitting(self, name: str) -> list[KnownOrganisation]:
        """Organisations ``name`` is, or abbreviates."""
        found = self.exact(name)
        candidates = [o for i in possible_initials(name) for o in self.by_initials.get(i, [])]
        found += [org for org in candidates if is_abbreviation(name, org.name)]
        return list(dict.fromkeys(found))


@dataclass(frozen=True)
class LeadChoice:
    """What the coordinator decided a group of names is."""

    use: str  # MEMBER, SITE, NEW or KEEP
    organisation: str = ""  # the slug, for MEMBER and SITE
    name: str = ""  # for NEW
    short_name: str = ""  # for NEW

    def as_json(self) -> dict[str, str]:
        data = {"use": self.use}
        if self.use in (MEMBER, SITE):
            data["organisation"] = self.organisation
        if self.use == NEW:
            data["name"] = self.name
            if self.short_name:
                data["short_name"] = self.short_name
        return data

    @classmethod
    def from_json(cls, data: Any, where: str) -> LeadChoice:
        if isinstance(data, str):
            data = {"use": KEEP} if data == KEEP else {"use": MEMBER, "organisation": data}
        if not isinstance(data, dict) or data.get("use") not in USES:
            raise ValueError(f"{where}: “use” must be one of {', '.join(USES)}.")
        return cls(
            use=data["use"],
            organisation=str(data.get("organisation") or "").strip(),
            name=" ".join(str(data.get("name") or "").split())[:200],
            short_name=" ".join(str(data.get("short_name") or "").split())[:40],
        )


@dataclass
class NameGroup:
    """Names in the sheet's lead cells that mean one body (or one role), with what it may be."""

    key: str
    names: list[str]
    rows: list[int]
    is_role: bool = False
    members: list[KnownOrganisation] = field(default_factory=list)
    elsewhere: list[KnownOrganisation] = field(default_factory=list)
    choice: LeadChoice | None = None  # None: the coordinator must say
    problem: str = ""

    @property
    def shown(self) -> str:
        return " / ".join(self.names)

    @property
    def proposed_name(self) -> str:
        """The longest name written: the full name rather than its abbreviation."""
        return max(self.names, key=lambda n: (len(_tokens(n)), len(n)))

    @property
    def proposed_short_name(self) -> str:
        short = [n for n in self.names if len(_tokens(n)) == 1 and n.isupper() and len(n) <= 12]
        return short[0] if short else ""

    @property
    def needs_choice(self) -> bool:
        return self.choice is None


def group_names(
    mentions: Mapping[str, list[int]],
    members: Sequence[KnownOrganisation],
    site: Sequence[KnownOrganisation],
    roles: Iterable[str] = (),
) -> list[NameGroup]:
    """Group the unknown names of a sheet (name → the rows it is on) and propose for each.

    ``members`` are the partnership's own organisations; ``site`` every other organisation on
    the site. Only a single fitting member is proposed; site organisations are offered.
    """
    role_names = set(roles)
    keys: dict[str, list[str]] = {}
    for name in mentions:
        keys.setdefault(name_key(name), []).append(name)
    # Abbreviations join the longer name they abbreviate, when the names they fit are all
    # one body: words shortened first ("W Mids Police" → "West Midlands Police"), then
    # initials ("WMP"), which may fit both spellings of that body but not two bodies.
    parent = {key: key for key in keys}

    def root(key: str) -> str:
        while parent[key] != key:
            key = parent[key]
        return key

    by_initials: dict[str, list[str]] = {}
    for key in keys:
        by_initials.setdefault(initials(key), []).append(key)
    for acronyms in (False, True):
        for key in keys:
            if (len(key.split()) == 1) != acronyms or root(key) != key:
                continue
            candidates = {o for i in possible_initials(key) for o in by_initials.get(i, [])}
            fits = {
                root(other)
                for other in candidates
                if other != key and len(other) > len(key) and is_abbreviation(key, other)
            }
            fits.discard(key)
            if len(fits) == 1:
                parent[key] = fits.pop()
    merged: dict[str, list[str]] = {}
    for key, names in keys.items():
        merged.setdefault(root(key), []).extend(names)
    member_index = OrganisationIndex(members)
    site_index = OrganisationIndex(site)
    groups = []
    for key, names in sorted(merged.items(), key=lambda item: item[0]):
        rows = sorted({row for name in names for row in mentions[name]})
        shown = sorted(set(names), key=lambda n: (-len(_tokens(n)), -len(n), n))
        group = NameGroup(key=key, names=shown, rows=rows)
        group.is_role = all(n in role_names or is_job_role(n) for n in names)
        group.members = _fitting(member_index, names)
        group.elsewhere = _fitting(site_index, names)[:6]
        if group.is_role:
            group.choice = LeadChoice(KEEP)
        elif len(group.members) == 1:
            group.choice = LeadChoice(MEMBER, group.members[0].slug)
        elif len(group.members) > 1:
            group.problem = (
                f"“{group.shown}” could be "
                + " or ".join(m.name for m in group.members)
                + ": choose which."
            )
        elif group.elsewhere:
            group.problem = (
                f"“{group.shown}” may be an organisation already on the site: choose it, "
                "add a new one, or keep the words as written."
            )
        else:
            group.choice = LeadChoice(
                NEW, name=group.proposed_name[:200], short_name=group.proposed_short_name[:40]
            )
        groups.append(group)
    return groups


def _fitting(index: OrganisationIndex, names: Iterable[str]) -> list[KnownOrganisation]:
    found: list[KnownOrganisation] = []
    for name in names:
        found += index.fitting(name)
    return list(dict.fromkeys(found))


def apply_choices(
    groups: Sequence[NameGroup],
    choices: Mapping[str, LeadChoice],
    *,
    members: Sequence[KnownOrganisation],
    site: Sequence[KnownOrganisation],
) -> None:
    """Put the coordinator's choices on the groups, checking each; a bad one is a problem."""
    member_slugs = {m.slug: m for m in members}
    site_slugs = {s.slug: s for s in site}
    taken = OrganisationIndex([*members, *site])
    for group in groups:
        choice = choices.get(group.key)
        if choice is None:
            continue
        group.problem = ""
        if choice.use == MEMBER and choice.organisation not in member_slugs:
            group.problem = f"“{group.shown}”: choose one of the partnership's organisations."
            group.choice = None
        elif choice.use == SITE and choice.organisation not in site_slugs:
            group.problem = f"“{group.shown}”: choose an organisation on the site."
            group.choice = None
        elif choice.use == NEW:
            name = choice.name or group.proposed_name
            clash = taken.exact(name) or (
                taken.exact(choice.short_name) if choice.short_name else []
            )
            if clash:
                group.problem = (
                    f"“{group.shown}”: an organisation called “{clash[0].name}” is already on the "
                    "site. Choose it, or give the new one another name."
                )
                group.choice = None
            else:
                group.choice = LeadChoice(NEW, name=name[:200], short_name=choice.short_name[:40])
        else:
            group.choice = choice


def use_site_matches(groups: Sequence[NameGroup]) -> dict[str, LeadChoice]:
    """The choices that take, for every undecided name, the one site organisation whose name
    or short name it is exactly: what "use the site's organisations" does when asked."""
    chosen = {}
    for group in groups:
        exact = [
            o
            for o in group.elsewhere
            if any(
                name_key(n) in {name_key(o.name), name_key(o.short_name or "")} for n in group.names
            )
        ]
        if group.choice is None and len(exact) == 1 and not group.members:
            chosen[group.key] = LeadChoice(SITE, exact[0].slug)
    return chosen


def organisation_key(choice: LeadChoice) -> str | None:
    """The organisation a decided group leads as: a slug, a new organisation's key, or none."""
    if choice.use in (MEMBER, SITE):
        return choice.organisation
    if choice.use == NEW:
        return NEW_PREFIX + name_key(choice.name)
    return None
