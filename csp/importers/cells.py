"""Reading the messy cells real plan spreadsheets contain.

Plans arrive as Word tables pasted into Excel: headings under other names, statuses as words,
colours or both, quarters written five ways, timescales in free text and several leads in one
cell ("RDC / CPBC Licensing Teams + Police", "HC/GB"). Each function here reads one kind of cell
from plain data (no database: the caller passes what it knows, e.g. a ``LeadDirectory``) and
either returns a result or raises ``ValueError`` with a message a coordinator can act on, saying
what was found and what was expected. Nothing else is ever raised, so the importer can tie every
problem to its row and column instead of failing with a server error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import NamedTuple

from csp.models.updates import UpdateStatus
from csp.quarters import FinancialQuarter, due_quarter_from_timescale, full_year


def _shown(value: object, limit: int = 60) -> str:
    """A cell as a message quotes it: on one line and not too long to read."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: object) -> str:
    """A cell's text; ``None`` (an empty cell) is the empty string."""
    return "" if value is None else str(value)


# ---------------------------------------------------------------------------------------------
# Statuses
# ---------------------------------------------------------------------------------------------

_COLOURS: dict[str, UpdateStatus] = {
    "green": UpdateStatus.ON_TRACK,
    "g": UpdateStatus.ON_TRACK,
    "amber": UpdateStatus.AT_RISK,
    "a": UpdateStatus.AT_RISK,
    "yellow": UpdateStatus.AT_RISK,
    "red": UpdateStatus.OFF_TRACK,
    "r": UpdateStatus.OFF_TRACK,
    "blue": UpdateStatus.COMPLETE,  # BRAG: blue is complete
    "b": UpdateStatus.COMPLETE,
}
# Words that only describe progress: when a colour is given too, the colour decides.
_WEAK_WORDS: dict[str, UpdateStatus] = {
    "in progress": UpdateStatus.ON_TRACK,
    "progressing": UpdateStatus.ON_TRACK,
    "ongoing": UpdateStatus.ON_TRACK,
    "on going": UpdateStatus.ON_TRACK,
}
_WORDS: dict[str, UpdateStatus] = {
    **{status.label.lower(): status for status in UpdateStatus},
    **{status.value.replace("_", " "): status for status in UpdateStatus},
    "on target": UpdateStatus.ON_TRACK,
    "not on track": UpdateStatus.OFF_TRACK,
    "behind schedule": UpdateStatus.OFF_TRACK,
    "completed": UpdateStatus.COMPLETE,
    "done": UpdateStatus.COMPLETE,
    "achieved": UpdateStatus.COMPLETE,
    "finished": UpdateStatus.COMPLETE,
    "not yet started": UpdateStatus.NOT_STARTED,
    "yet to start": UpdateStatus.NOT_STARTED,
    "not required": UpdateStatus.NO_LONGER_REQUIRED,
    "no longer needed": UpdateStatus.NO_LONGER_REQUIRED,
    # "N/A" says there is nothing to rate this quarter, not that the action was dropped.
    "na": UpdateStatus.NOT_GIVEN,
    "not applicable": UpdateStatus.NOT_GIVEN,
    "no status": UpdateStatus.NOT_GIVEN,
    "not given": UpdateStatus.NOT_GIVEN,
    "no update": UpdateStatus.NOT_GIVEN,
}
_STATUS_LABEL = re.compile(r"^(?:rag(?:\s+(?:rating|status))?|status)\s*[:=\-–—]\s*")
_STATUS_SPLIT = re.compile(r"[()\[\]{}/,:;|–—]|\s-|-\s")
_UNKNOWN_STATUS = (
    'Status "{0}" is not one we know: use Green, Amber, Red, Complete, Not started or '
    "No longer required."
)


def _status_chunks(text: str) -> list[str]:
    """``"RAG: On-Track (Green)"`` → ``["on track", "green"]``."""
    lowered = " ".join(text.lower().split())
    lowered = re.sub(r"\bn\s*/\s*a\b", "na", lowered)
    lowered = re.sub(r"(?<=\w)[-_](?=\w)", " ", lowered)
    lowered = _STATUS_LABEL.sub("", lowered)
    chunks = (" ".join(chunk.strip(" .!*").split()) for chunk in _STATUS_SPLIT.split(lowered))
    return [chunk for chunk in chunks if chunk]


def _combine_statuses(
    text: str, words: set[UpdateStatus], colours: set[UpdateStatus]
) -> UpdateStatus:
    """One status from the words and colours a cell gave, refusing a real contradiction."""
    if len(words) > 1 or len(colours) > 1:
        given = sorted(words | colours, key=list(UpdateStatus).index)
        raise ValueError(
            f'Status "{_shown(text)}" gives more than one status ('
            + " and ".join(status.label for status in given)
            + "): give one."
        )
    word = next(iter(words), None)
    colour = next(iter(colours), None)
    if word is None or colour is None or word == colour:
        found = word or colour
        if found is None:
            raise ValueError(_UNKNOWN_STATUS.format(_shown(text)))
        return found
    if word == UpdateStatus.COMPLETE and colour == UpdateStatus.ON_TRACK:
        return word  # "Complete (green)": green is how many plans colour finished work
    raise ValueError(
        f'Status "{_shown(text)}" says both {word.label} and {colour.label}: give one status.'
    )


def parse_status(text: object) -> UpdateStatus | None:
    """Read a status written as words, a colour, a RAG letter or both ("On track (green)").

    ``None`` for a blank cell (or a lone dash, which plans use for blank). Descriptive words
    such as "In progress" give way to a colour given with them, so "In Progress (amber)" is
    at risk.
    """
    written = _text(text)
    if not written.strip() or not re.search(r"\w", written):
        return None
    words: set[UpdateStatus] = set()
    weak: set[UpdateStatus] = set()
    colours: set[UpdateStatus] = set()
    for chunk in _status_chunks(written):
        if chunk in _COLOURS:
            colours.add(_COLOURS[chunk])
        elif chunk in _WORDS:
            words.add(_WORDS[chunk])
        elif chunk in _WEAK_WORDS:
            weak.add(_WEAK_WORDS[chunk])
        else:
            raise ValueError(_UNKNOWN_STATUS.format(_shown(written)))
    if not words and not colours:
        words = weak
    return _combine_statuses(written, words, colours)


# ---------------------------------------------------------------------------------------------
# Periods and timescales
# ---------------------------------------------------------------------------------------------

_YEARS = r"(?:fy\s*)?(?P<first>[0-9]{4}|[0-9]{2})\s*[/\-–]\s*(?P<second>[0-9]{4}|[0-9]{2})"
_QUARTER = r"(?:q|qtr|quarter)\s*(?P<quarter>[0-9])"
_PERIOD_FORMS = (
    re.compile(rf"{_YEARS}[\s,\-–]*{_QUARTER}"),
    re.compile(rf"{_QUARTER}[\s,\-–]*(?:of\s+)?{_YEARS}"),
    re.compile(_QUARTER),
)
_PERIOD_EXPECTED = "write it as 2016/17 Q1"


def _financial_year(written: str, first: str, second: str) -> int:
    """The first year of "2016/17" (or "16/17", "2016/2017"), checking the second follows it."""
    start = full_year(first)
    follows = int(second) == start + 1 if len(second) == 4 else int(second) == (start + 1) % 100
    if not follows:
        raise ValueError(
            f'Period "{_shown(written)}": {second} does not follow {first}; {_PERIOD_EXPECTED}.'
        )
    return start


def _quarter_in_year(written: str, year: int, quarter: int) -> FinancialQuarter:
    """A checked quarter, with the message a user understands rather than the model's."""
    if not 1 <= quarter <= 4:
        raise ValueError(f'Period "{_shown(written)}": there is no quarter {quarter}, only 1 to 4.')
    if not 1900 <= year <= 2999:
        raise ValueError(f'Period "{_shown(written)}": the year {year} is out of range.')
    return FinancialQuarter(year, quarter)


_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:t[0-9:.]+)?", re.IGNORECASE)


def _iso_day(text: str) -> date | None:
    """The day of "2017-03-31" or "2017-03-31T00:00:00", as the reader writes date cells."""
    match = _ISO_DAY.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_period(text: object, default_year: int | None) -> FinancialQuarter | None:
    """Read the quarter an update is for: "2016/17 Q1", "Q1 16/17", "2016-17-q1", "Quarter 1".

    A bare quarter ("Q1") needs ``default_year`` (the plan's year); without it we refuse rather
    than guess the year. A date cell means the quarter it falls in. ``None`` for a blank cell.
    """
    if isinstance(text, date):
        day = text.date() if isinstance(text, datetime) else text
        found = FinancialQuarter.containing(day) if 1901 <= day.year <= 2999 else None
        return found or _quarter_in_year(_shown(text), day.year, 1)
    written = _text(text)
    cell = " ".join(written.lower().split())
    if not cell:
        return None
    day = _iso_day(cell)
    if day is not None:  # a date cell, as the reader gives it
        return parse_period(day, default_year)
    for form in _PERIOD_FORMS:
        match = form.fullmatch(cell)
        if match is None:
            continue
        quarter = int(match["quarter"])
        if "first" in form.groupindex:
            year = _financial_year(written, match["first"], match["second"])
        elif default_year is None:
            raise ValueError(
                f'Period "{_shown(written)}" gives no financial year: {_PERIOD_EXPECTED}.'
            )
        else:
            year = default_year
        return _quarter_in_year(written, year, quarter)
    raise ValueError(
        f'Period "{_shown(written)}" is not a quarter we can read: {_PERIOD_EXPECTED}.'
    )


def parse_timescale(text: object, first_year: int) -> tuple[str, FinancialQuarter | None]:
    """Keep a timescale as written and derive the quarter it is due, where one can be.

    "Q1-4" → Q4 of the plan's first year, "Q2 - Sept 16" → 2016/17 Q2, "Ongoing" and
    "November annually" → no due quarter. A date cell (completion date columns hold real
    dates) is written as 31/03/2017 and is due in the quarter it falls in.
    """
    if isinstance(text, str) and (day := _iso_day(text.strip())) is not None:
        text = day  # a date cell, as the reader gives it
    if isinstance(text, date):
        day = text.date() if isinstance(text, datetime) else text
        written = day.strftime("%d/%m/%Y")
    else:
        written = _text(text).strip()
    if not written:
        return "", None
    try:
        return written, due_quarter_from_timescale(written, first_year)
    except ValueError:
        raise ValueError(
            f'Timescale "{_shown(written)}" names a year we cannot use: give a quarter such as '
            '"Q3", a month such as "Oct 16" or words such as "Ongoing".'
        ) from None


# ---------------------------------------------------------------------------------------------
# Leads
# ---------------------------------------------------------------------------------------------


class KnownOrganisation(NamedTuple):
    """An organisation as ``values_list("slug", "name", "short_name")`` gives it."""

    slug: str
    name: str
    short_name: str | None = ""


class KnownOfficer(NamedTuple):
    """An officer as ``values_list("name", "initials", "organisation__slug")`` gives it."""

    name: str
    initials: str | None
    organisation_slug: str


class Lead(NamedTuple):
    """One lead of an action: an organisation, an officer in it, or all partners."""

    organisation_slug: str | None
    officer_name: str | None = None
    all_partners: bool = False


ALL_PARTNERS = Lead(None, None, True)


@dataclass(frozen=True)
class ParsedLeads:
    """The leads a cell names, in order, and what we could not or would not resolve.

    ``unknown`` parts matched nothing we know: the preview asks the user to confirm them as new
    organisations. ``ignored`` words were read as describing a lead found beside them
    ("Licensing Teams" in "CPBC Licensing Teams"), so the preview can show them too.
    """

    leads: list[Lead]
    unknown: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)  # job roles: officers, not organisations


class _Mention(NamedTuple):
    start: int
    end: int
    lead: Lead | None  # None: the words fit more than one thing we know


# "All" and its kin in a "Districts covered" cell: every district, which the plan stores as none.
EVERY_DISTRICT = frozenset(
    {
        "all",
        "all districts",
        "all areas",
        "all localities",
        "both",
        "whole area",
        "the whole area",
        "area wide",
        "area-wide",
        "borough wide",
        "borough-wide",
        "county wide",
        "county-wide",
        "countywide",
        "district wide",
        "district-wide",
        "partnership wide",
        "partnership-wide",
    }
)


def parse_districts(text: object, known: Sequence[str]) -> list[str]:
    """The districts a "Districts covered" cell names, as ``known`` spells them: "North, South",
    "North and South", "North / South"; ``[]`` for blank or "All" (every district).

    A district whose own name has "and" in it ("Hammersmith and Fulham") is one district: a
    cell is split on "and" or "&" only where each part is a known district. A name that is not
    one of ``known`` raises ``ValueError`` saying so.
    """
    written = " ".join(_text(text).split())
    if not written or written.casefold().rstrip(".") in EVERY_DISTRICT:
        return []
    names = {name.casefold(): name for name in known}
    found: list[str] = []
    unknown: list[str] = []
    for piece in re.split(r"\s*[,;/\n+]\s*", written):
        piece = piece.strip(" .")
        if not piece:
            continue
        if piece.casefold() in names:
            parts = [piece]
        else:
            parts = [p for p in re.split(r"\s+(?:and|&)\s+", piece, flags=re.IGNORECASE) if p]
            if len(parts) < 2 or any(p.casefold() not in names for p in parts):
                parts = [piece]
        for part in parts:
            name = names.get(part.casefold())
            if name is None:
                unknown.append(part)
            elif name not in found:
                found.append(name)
    if unknown:
        listed = ", ".join(sorted(known)) or "none yet"
        raise ValueError(
            " and ".join(f"“{_shown(u)}”" for u in unknown)
            + (" is not one of" if len(unknown) == 1 else " are not among")
            + f" the partnership's districts ({listed}). Write “All” for every district."
        )
    return found


def _name_pattern(name: str) -> str:
    """A pattern for a name in any case and spacing, with "&" and "and" interchangeable."""
    tokens = re.findall(r"&|[^\s&]+", name)
    parts = [
        r"(?:&|\band\b)" if token == "&" or token.lower() == "and" else re.escape(token)
        for token in tokens
    ]
    return r"\s*".join(parts) if parts else r"(?!)"


def _word(pattern: str) -> str:
    return rf"(?<!\w)(?:{pattern})(?!\w)"


_ALL_PARTNERS = re.compile(
    _word(r"all\s+(?:the\s+)?(?:csp\s+)?(?:partner\s+)?(?:partners|agencies|organisations)"),
    re.IGNORECASE,
)
# A part made only of these words names a team or a role, not an organisation.
# fmt: off
_DESCRIPTIVE_WORDS = frozenset({
    "the", "of", "and", "for", "team", "teams", "service", "services", "officer", "officers",
    "licensing", "leisure", "park", "parks", "private", "scheme", "coordinator", "co-ordinator",
    "unit", "department", "dept", "staff", "office", "partnership", "community", "safety",
    "crime", "reduction", "school", "schools", "manager", "lead", "provider",
})
# fmt: on
# The last word of a job role: "Domestic Abuse Coordinator" is someone's role, not a body.
# fmt: off
_ROLE_WORDS = frozenset({
    "coordinator", "co-ordinator", "coordinators", "officer", "officers", "manager", "managers",
    "director", "head", "worker", "workers", "adviser", "advisor", "advisers", "advisors",
    "inspector", "sergeant", "superintendent", "pcso", "pcsos", "practitioner", "analyst",
    "champion", "lead", "leads", "chair", "chief", "specialist", "navigator", "caseworker",
})
# fmt: on


def is_job_role(words: str) -> bool:
    """ "Domestic Abuse Coordinator", "ASB Officer", "Head of Community Safety": a role."""
    tokens = words.lower().replace("-", " - ").split()
    if not tokens:
        return False
    if tokens[0] in {"head", "chief"} and len(tokens) > 1:
        return True
    return tokens[-1].strip(".,") in _ROLE_WORDS


_SEPARATOR = re.compile(r"[/+&,;|•\n\r\t\u2028]|(?<!\w)and(?!\w)", re.IGNORECASE)
_THAT_IS = re.compile(r"(?<!\w)i\.\s*e\.?|(?<!\w)ie(?!\w)", re.IGNORECASE)
_PUNCTUATION = " \t\"'()[]{}-–—:.,!?*"


@dataclass(frozen=True)
class LeadDirectory:
    """The organisations and officers a partnership knows, built by the caller from the database.

    Plans name them by full name, abbreviation, officer name or initials; the directory turns
    each of those into patterns once, so reading a 2,000-row plan stays quick.
    """

    organisations: Sequence[KnownOrganisation | tuple[str, str, str | None]] = ()
    officers: Sequence[KnownOfficer | tuple[str, str | None, str]] = ()

    def __post_init__(self) -> None:
        # Plain tuples from ``values_list`` are accepted; keep named, immutable copies.
        organisations = tuple(KnownOrganisation(*row) for row in self.organisations)
        officers = tuple(KnownOfficer(*row) for row in self.officers)
        object.__setattr__(self, "organisations", organisations)
        object.__setattr__(self, "officers", officers)

    @cached_property
    def known_organisations(self) -> tuple[KnownOrganisation, ...]:
        """The organisations, typed (``__post_init__`` has already made them named tuples)."""
        return tuple(KnownOrganisation(*row) for row in self.organisations)

    @cached_property
    def known_officers(self) -> tuple[KnownOfficer, ...]:
        """The officers, typed."""
        return tuple(KnownOfficer(*row) for row in self.officers)

    @cached_property
    def matchers(self) -> tuple[tuple[re.Pattern[str], Lead], ...]:
        """(pattern, lead) for every name, abbreviation, officer name and initials we know."""
        found: list[tuple[re.Pattern[str], Lead]] = [(_ALL_PARTNERS, ALL_PARTNERS)]
        for organisation in self.known_organisations:
            lead = Lead(organisation.slug)
            for name in (organisation.name, organisation.short_name or ""):
                if name.strip():
                    found.append((re.compile(_word(_name_pattern(name)), re.IGNORECASE), lead))
        for officer in self.known_officers:
            lead = Lead(officer.organisation_slug, officer.name)
            if officer.name.strip():
                found.append((re.compile(_word(_name_pattern(officer.name)), re.IGNORECASE), lead))
            letters = re.sub(r"[^A-Za-z]", "", officer.initials or "")
            if letters:  # initials as written in capitals: "HC", "H.C."
                initials = r"\.?\s*".join(map(re.escape, letters.upper())) + r"\.?"
                found.append((re.compile(rf"(?<![A-Za-z]){initials}(?![A-Za-z])"), lead))
        return tuple(found)

    def organisations_named(self, words: str) -> list[KnownOrganisation]:
        """Organisations whose name contains ``words`` as whole words, in any case."""
        pattern = re.compile(_word(_name_pattern(words)), re.IGNORECASE)
        return [org for org in self.known_organisations if pattern.search(org.name)]


def _mentions(text: str, directory: LeadDirectory) -> list[_Mention]:
    """Every known name in ``text``, longest first where they overlap, in reading order."""
    by_span: dict[tuple[int, int], set[Lead]] = {}
    for pattern, lead in directory.matchers:
        for match in pattern.finditer(text):
            if match.end() > match.start():
                by_span.setdefault(match.span(), set()).add(lead)
    chosen: list[_Mention] = []
    for (start, end), leads in sorted(
        by_span.items(), key=lambda item: (item[0][0] - item[0][1], item[0][0])
    ):
        if all(end <= other.start or start >= other.end for other in chosen):
            chosen.append(_Mention(start, end, next(iter(leads)) if len(leads) == 1 else None))
    return sorted(chosen)


def _parts(text: str, mentions: Sequence[_Mention]) -> list[tuple[int, int]]:
    """Spans between separators, leaving alone separators inside a name ("Fire & Rescue").

    "and" and "&" join two leads only beside a name we know ("Essex Police and RDC"); between
    unknown words they are part of one body's name ("Trading Standards and Licensing").
    """
    ends = {m.end for m in mentions}
    starts = {m.start for m in mentions}

    def joins_leads(match: re.Match[str]) -> bool:
        if match.group().strip().lower() not in {"and", "&"}:
            return True
        before = len(text[: match.start()].rstrip())
        after = len(text) - len(text[match.end() :].lstrip())
        return before in ends or after in starts

    cuts = [
        match.span()
        for match in _SEPARATOR.finditer(text)
        if not any(m.start <= match.start() < m.end for m in mentions) and joins_leads(match)
    ]
    starts = [0, *(end for _, end in cuts)]
    ends = [*(start for start, _ in cuts), len(text)]
    return list(zip(starts, ends, strict=True))


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(_PUNCTUATION)


def _leftover(text: str, start: int, end: int, mentions: Iterable[_Mention]) -> str:
    """The words of a part that are not a known name."""
    chars = list(text[start:end])
    for mention in mentions:
        chars[mention.start - start : mention.end - start] = " " * (mention.end - mention.start)
    return _clean("".join(chars))


def _guess_free_organisation(words: str, directory: LeadDirectory) -> Lead | None:
    """The one organisation whose name contains ``words`` ("Police" → Essex Police), if only one."""
    if not re.search(r"\w", words):
        return None
    named = directory.organisations_named(words)
    return Lead(named[0].slug) if len(named) == 1 else None


class _Reading:
    """Collects leads, unknown and ignored parts while a cell is read."""

    def __init__(self) -> None:
        self.leads: list[Lead] = []
        self.unknown: list[str] = []
        self.ignored: list[str] = []
        self.descriptions: list[str] = []
        self.roles: list[str] = []

    def result(self) -> ParsedLeads:
        (self.ignored if self.leads else self.unknown).extend(self.descriptions)
        return ParsedLeads(
            _tidy(self.leads), _unique(self.unknown), _unique(self.ignored), _unique(self.roles)
        )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def _tidy(leads: Iterable[Lead]) -> list[Lead]:
    """Leads once each, in order; an organisation alone goes when one of its officers leads."""
    unique = list(dict.fromkeys(leads))
    with_officer = {lead.organisation_slug for lead in unique if lead.officer_name}
    return [
        lead
        for lead in unique
        if lead.officer_name or lead.all_partners or lead.organisation_slug not in with_officer
    ]


def _read_part(
    text: str,
    span: tuple[int, int],
    mentions: list[_Mention],
    directory: LeadDirectory,
    reading: _Reading,
) -> None:
    """Read one part of a cell: its known names, or else the part as a whole."""
    start, end = span
    inside = [m for m in mentions if start <= m.start < end]
    that_is = _THAT_IS.search(text, start, end)
    if that_is and any(m.start >= that_is.end() for m in inside):
        # "ECC DA provider i.e. Safer Places": what follows "i.e." says who the lead is.
        reading.ignored.append(_clean(text[start : that_is.start()]))
        start, inside = that_is.end(), [m for m in inside if m.start >= that_is.end()]
    for mention in inside:
        if mention.lead is None:
            reading.unknown.append(_clean(text[mention.start : mention.end]))
        else:
            reading.leads.append(mention.lead)
    words = _leftover(text, start, end, inside)
    if inside:
        reading.ignored.append(words)
    elif words.lower() == "all":
        reading.leads.append(ALL_PARTNERS)
    elif (guessed := _guess_free_organisation(words, directory)) is not None:
        reading.leads.append(guessed)
    elif words and is_job_role(words):
        reading.roles.append(words)
    elif words and set(words.lower().split()) <= _DESCRIPTIVE_WORDS:
        reading.descriptions.append(words)
    elif words:
        reading.unknown.append(words)


def parse_leads(text: object, directory: LeadDirectory) -> ParsedLeads:
    """Read a lead cell into organisations, officers and "all partners", never guessing silently.

    Known names are found first, anywhere in the cell, so separators inside them ("Fire &
    Rescue", "Police and Crime Commissioner") do not split them; the rest is split on / + & ,
    ; newlines and "and". A part with a known name may carry describing words ("School
    Officers"); a part with none must name exactly one known organisation, mean all partners
    or be only describing words beside other leads; otherwise it is reported as unknown.
    """
    cell = _text(text)
    mentions = _mentions(cell, directory)
    reading = _Reading()
    for span in _parts(cell, mentions):
        _read_part(cell, span, mentions, directory, reading)
    return reading.result()
