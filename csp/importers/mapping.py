"""The mapping step: which row holds the headings, and what each column of the sheet means.

Partnerships lay their plans out their own way ("Workstream" above "Goal", one update column
per quarter, no objective level at all), so the importer never assumes our layout: it guesses a
``Mapping`` from the headings (and, for a column with no telling heading, from what it holds),
shows it to the coordinator with each column's letter, heading and sample values, and reads the
sheet only through the mapping the coordinator confirmed.

A mapping gives each column a field of ``columns.FIELDS`` (or "ignore"); update, status, risks
and figure columns may also carry their own quarter (from a heading such as "Q3 progress
(Oct–Dec 2019)" or "Position at March 2021") and district ("Rochford update"). A mapping goes
to and from JSON, keyed by column letter, for the command line's ``--mapping`` and for the
mapping each partnership saves for next time.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from csp.importers.cells import parse_status
from csp.importers.columns import (
    BY_KEY,
    FIELDS,
    HEADING_TO_KEY,
    IGNORE,
    LEVELS,
    PER_PERIOD,
    normalise_heading,
)
from csp.quarters import FinancialQuarter, full_year

LOOK_FOR_HEADINGS_IN = 30  # rows from the top


def column_letter(index: int) -> str:
    """``0`` → ``"A"``, ``27`` → ``"AB"``: how people name spreadsheet columns."""
    letters = ""
    index += 1
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """``"A"`` → ``0``; ``ValueError`` for anything that is not a column letter."""
    letters = letters.strip().upper()
    if not re.fullmatch(r"[A-Z]{1,3}", letters):
        raise ValueError(f"“{letters}” is not a column letter such as A or AB.")
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


@dataclass(frozen=True)
class ColumnChoice:
    """What one column means: a field, and for per-quarter fields its own quarter and district."""

    key: str = IGNORE
    period: FinancialQuarter | None = None
    district: str = ""  # a district's name, as the partnership spells it

    @property
    def label(self) -> str:
        if self.key == IGNORE:
            return "Ignore"
        parts = [BY_KEY[self.key].label]
        if self.period:
            parts.append(self.period.label)
        if self.district:
            parts.append(self.district)
        return ", ".join(parts)

    def as_json(self, heading: str) -> dict[str, Any]:
        data: dict[str, Any] = {"heading": heading, "field": self.key}
        if self.period:
            data["period"] = self.period.label
        if self.district:
            data["district"] = self.district
        return data


@dataclass
class Mapping:
    """The coordinator's reading of a sheet: heading row, each column's meaning, its quarter."""

    header_row: int  # index into the rows, 0-based
    columns: dict[int, ColumnChoice] = field(default_factory=dict)
    period: FinancialQuarter | None = None  # the quarter of every update with no other
    sheet: str | None = None

    def choice(self, index: int) -> ColumnChoice:
        return self.columns.get(index, ColumnChoice())

    def first(self, key: str) -> int | None:
        """The column holding a single-valued field, if any."""
        return next((i for i, c in sorted(self.columns.items()) if c.key == key), None)

    def indexes(self, key: str) -> list[int]:
        return [i for i, c in sorted(self.columns.items()) if c.key == key]

    @property
    def keys(self) -> set[str]:
        return {c.key for c in self.columns.values() if c.key != IGNORE}

    def to_json(self, headings: Sequence[str]) -> dict[str, Any]:
        def heading(index: int) -> str:
            return headings[index] if index < len(headings) else ""

        return {
            "sheet": self.sheet,
            "header_row": self.header_row + 1,
            "period": self.period.label if self.period else None,
            "columns": {
                column_letter(index): choice.as_json(heading(index))
                for index, choice in sorted(self.columns.items())
            },
        }

    @classmethod
    def from_json(
        cls, data: Any, *, districts: Iterable[str] = (), default_year: int | None = None
    ) -> Mapping:
        """A mapping as ``to_json`` writes it (or as a person edits it); ``ValueError`` says
        what is wrong with it, naming the column."""
        if not isinstance(data, dict):
            raise ValueError("The mapping must be a JSON object with a “columns” entry.")
        try:
            header_row = int(data.get("header_row") or 1) - 1
        except (TypeError, ValueError):
            raise ValueError("“header_row” must be the number of the row of headings.") from None
        if header_row < 0:
            raise ValueError("“header_row” must be 1 or more.")
        period = _quarter_or_error(data.get("period"), "“period”", default_year)
        sheet = data.get("sheet")
        if sheet is not None and not isinstance(sheet, str):
            raise ValueError("“sheet” must be the sheet's name.")
        columns = data.get("columns")
        if not isinstance(columns, dict):
            raise ValueError("The mapping needs a “columns” object: letters to fields.")
        known = {d.casefold(): d for d in districts}
        mapping = cls(header_row=header_row, period=period, sheet=sheet)
        for letter, given in columns.items():
            index = column_index(str(letter))
            if isinstance(given, str):
                given = {"field": given}
            if not isinstance(given, dict):
                raise ValueError(f"Column {letter}: give a field name or an object with “field”.")
            key = str(given.get("field") or IGNORE)
            if key != IGNORE and key not in BY_KEY:
                raise ValueError(
                    f"Column {letter}: “{key}” is not a field; use one of "
                    + ", ".join([*BY_KEY, IGNORE])
                    + "."
                )
            column_period = _quarter_or_error(
                given.get("period"), f"Column {letter}'s period", default_year
            )
            district = str(given.get("district") or "").strip()
            if district and district.casefold() not in known:
                raise ValueError(
                    f"Column {letter}: “{district}” is not one of the partnership's districts."
                )
            if (column_period or district) and key not in PER_PERIOD:
                raise ValueError(
                    f"Column {letter}: only update, status, risks and figure columns can have "
                    "a quarter or district of their own."
                )
            mapping.columns[index] = ColumnChoice(
                key, column_period, known.get(district.casefold(), "")
            )
        return mapping


def _quarter_or_error(value: Any, what: str, default_year: int | None) -> FinancialQuarter | None:
    if value in (None, ""):
        return None
    if isinstance(value, FinancialQuarter):
        return value
    found = period_in_text(str(value), default_year)
    if found is None:
        raise ValueError(f"{what} “{value}” is not a quarter such as 2019/20 Q3.")
    return found


# ---------------------------------------------------------------------------------------------
# Quarters named in headings
# ---------------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in {calendar.month_name[number].lower(), calendar.month_abbr[number].lower()}
} | {"sept": 9}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_FY = re.compile(r"(?<![0-9])(?:fy\s*)?([0-9]{4}|[0-9]{2})\s*[/\-–]\s*([0-9]{4}|[0-9]{2})(?![0-9])")
_Q = re.compile(r"(?<![a-z])(?:q|qtr|quarter)\s*([1-4])(?![0-9])")
_MONTH = re.compile(
    rf"(?<![a-z])({_MONTH_NAMES})\.?(?:\s*[-–—]\s*(?:{_MONTH_NAMES})\.?)?[\s,'’-]*"
    r"([0-9]{4}|[0-9]{2})?(?![0-9])"
)
_ISO_DAY = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T[0-9:.]+)?$")


def _financial_year(first: str, second: str) -> int | None:
    start = full_year(first)
    follows = int(second) == start + 1 if len(second) == 4 else int(second) == (start + 1) % 100
    return start if follows else None


def period_in_text(text: str, default_year: int | None = None) -> FinancialQuarter | None:
    """The quarter a heading or cell names, anywhere in it, if it names one.

    "2019/20 Q3", "Q3 19/20", "Q3 progress (Oct–Dec 2019)", "Position at March 2021",
    "Update June 2020", a date (2021-03-31, as date cells are read); a bare "Q2" needs
    ``default_year``. Months win over a bare quarter, and of several months the last counts.
    """
    cell = " ".join(str(text).lower().split())
    if not cell:
        return None
    iso = _ISO_DAY.match(cell)
    if iso:
        try:
            return FinancialQuarter.containing(date(int(iso[1]), int(iso[2]), int(iso[3])))
        except ValueError:
            return None
    quarter_match = _Q.search(cell)
    years = [y for y in (_financial_year(a, b) for a, b in _FY.findall(cell)) if y is not None]
    try:
        if quarter_match and years:
            return FinancialQuarter(years[0], int(quarter_match[1]))
        months = []
        for match in _MONTH.finditer(cell):
            month = _MONTHS[match[1]]
            # "Oct–Dec 2019": the range's last month carries the year.
            last = re.findall(_MONTH_NAMES, match[0])
            if last:
                month = _MONTHS[last[-1]]
            if match[2]:
                months.append((month, full_year(match[2])))
            elif years:
                year = years[0] if month >= 4 else years[0] + 1
                months.append((month, year))
        if months:
            month, year = months[-1]
            return FinancialQuarter.containing(date(year, month, 1))
        if quarter_match and default_year is not None:
            return FinancialQuarter(default_year, int(quarter_match[1]))
    except ValueError:  # a year out of range
        return None
    return None


_PERIOD_WORDS = re.compile(
    rf"{_FY.pattern}|{_Q.pattern}|(?<![a-z])(?:{_MONTH_NAMES})\.?(?![a-z])|(?<![0-9])[0-9]{{4}}(?![0-9])"
    r"|(?<![a-z])(?:as\s+at|at|for|in|to|end|of|year|ytd)(?![a-z])|[()\[\]–—,:-]",
)


def _without_period(heading: str) -> str:
    return " ".join(_PERIOD_WORDS.sub(" ", heading).split())


# ---------------------------------------------------------------------------------------------
# Guessing
# ---------------------------------------------------------------------------------------------

_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def heading_key(heading: str) -> str | None:
    """The field a heading names outright: one of its names, ignoring notes in brackets."""
    text = normalise_heading(heading)
    if text in HEADING_TO_KEY:
        return HEADING_TO_KEY[text]
    plain = normalise_heading(_BRACKETED.sub(" ", text).replace("*", " ").strip(" .:?"))
    return HEADING_TO_KEY.get(plain)


def _word_key(heading: str) -> str | None:
    """The field a longer heading suggests by one of its telling words."""
    text = normalise_heading(heading)
    for candidate in FIELDS:
        if any(re.search(rf"(?<![a-z]){re.escape(w)}", text) for w in candidate.words):
            return candidate.key
    return None


@dataclass(frozen=True)
class Guess:
    choice: ColumnChoice
    why: str = ""


def guess_column(
    heading: str,
    samples: Sequence[str],
    *,
    districts: Sequence[str] = (),
    default_year: int | None = None,
) -> Guess:
    """Our best guess at what one column means, with the reason in words."""
    written = " ".join(str(heading or "").split())
    key = heading_key(written)
    period = period_in_text(written, default_year)
    if key and not (key in PER_PERIOD and period):
        return Guess(ColumnChoice(key), "its heading")
    district = next(
        (
            d
            for d in districts
            if re.search(rf"(?<!\w){re.escape(d.lower())}(?!\w)", written.lower())
        ),
        "",
    )
    rest = _without_period(written.lower()) if period else written.lower()
    if district:
        rest = " ".join(rest.replace(district.lower(), " ").split())
    if period or district:
        key = heading_key(rest) or _word_key(rest) or ("update" if rest in {"", "q"} else None)
        if key in PER_PERIOD:
            return Guess(
                ColumnChoice(key, period, district),
                "its heading, which names "
                + " and ".join(x for x in (period.label if period else "", district) if x),
            )
    key = _word_key(written)
    if key in TEXT_FIELDS and _all_quarters(samples, default_year):
        # "Last update", "Updated": when an update was made, not what it said.
        return Guess(ColumnChoice(), "its cells are quarters or dates, not words of progress")
    if key:
        return Guess(ColumnChoice(key), "a word in its heading")
    return _guess_from_values(samples, districts, default_year)


TEXT_FIELDS = frozenset({"update", "risks"})


def _all_quarters(samples: Sequence[str], default_year: int | None) -> bool:
    values = [s for s in samples if s.strip()]
    return bool(values) and all(
        period_in_text(v, default_year) is not None and len(v) <= 20 for v in values
    )


def _guess_from_values(
    samples: Sequence[str], districts: Sequence[str], default_year: int | None
) -> Guess:
    values = [s for s in samples if s.strip()]
    if not values:
        return Guess(ColumnChoice(), "")

    def all_are(test: Any) -> bool:
        try:
            return all(test(v) for v in values)
        except ValueError:
            return False

    if all_are(lambda v: parse_status(v) is not None and len(v) <= 25):
        return Guess(ColumnChoice("status"), "its cells, which read as statuses")
    known = {d.lower() for d in districts}
    if known and all(v.lower() in known for v in values):
        return Guess(ColumnChoice("district"), "its cells, which are district names")
    if _all_quarters(values, default_year):
        return Guess(ColumnChoice("period"), "its cells, which read as quarters")
    return Guess(ColumnChoice(), "")


@dataclass(frozen=True)
class ColumnInfo:
    """One column as the mapping step shows it."""

    index: int
    letter: str
    heading: str
    samples: tuple[str, ...]
    filled: int  # data cells with something in them
    guess: Guess

    @property
    def holds_data(self) -> bool:
        return self.filled > 0


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_columns(
    rows: Sequence[Sequence[str]], header_row: int, **guessing: Any
) -> list[ColumnInfo]:
    """Every column the heading row or the data uses: letter, heading, samples, our guess."""
    headings = list(rows[header_row]) if header_row < len(rows) else []
    data = rows[header_row + 1 :]
    width = max([len(headings), *(len(r) for r in data)], default=0)
    samples: list[list[str]] = [[] for _ in range(width)]
    filled = [0] * width
    for row in data:
        for index, value in enumerate(row):
            if value.strip():
                filled[index] += 1
                if len(samples[index]) < 3 and _short(value) not in samples[index]:
                    samples[index].append(_short(value))
    infos = []
    for index in range(width):
        heading = " ".join(headings[index].split()) if index < len(headings) else ""
        if not heading and not filled[index]:
            continue
        infos.append(
            ColumnInfo(
                index=index,
                letter=column_letter(index),
                heading=heading,
                samples=tuple(samples[index]),
                filled=filled[index],
                guess=guess_column(heading, samples[index], **guessing),
            )
        )
    return infos


def find_header_row(rows: Sequence[Sequence[str]]) -> tuple[int, str]:
    """The row that most looks like the table's headings, and why, in words.

    Plans put titles, version lines and blank rows above the table; the headings are the row
    that names the most columns we recognise, and failing that the first row with several
    short filled cells followed by data.
    """
    best, best_score, best_known = None, 0.0, []
    for index, row in enumerate(rows[:LOOK_FOR_HEADINGS_IN]):
        cells = [" ".join(c.split()) for c in row if c.strip()]
        if len(cells) < 2:
            continue
        known = [c for c in cells if heading_key(c) or _word_key(c)]
        short = [c for c in cells if len(c) <= 60]
        score = 3 * len(known) + len(short) - 0.5 * (len(cells) - len(short))
        if score > best_score:
            best, best_score, best_known = index, score, known
    if best is None:
        first = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), 0)
        return (
            first,
            f"Row {first + 1} was taken as the headings: it is the first row with anything in it.",
        )
    if best_known:
        named = ", ".join(f"“{_short(c, 30)}”" for c in best_known[:4])
        return best, (
            f"Row {best + 1} was taken as the headings: it names columns we recognise "
            f"({named}{', …' if len(best_known) > 4 else ''})."
        )
    return (
        best,
        f"Row {best + 1} was taken as the headings: it is the first row of several short cells.",
    )


def guess_mapping(
    rows: Sequence[Sequence[str]],
    *,
    header_row: int | None = None,
    districts: Sequence[str] = (),
    default_year: int | None = None,
    saved: AnyMapping[str, Any] | None = None,
) -> tuple[Mapping, list[ColumnInfo], str]:
    """Our best mapping for the sheet, the columns it was made from, and how the heading row
    was chosen. ``saved`` is what this partnership chose for each heading last time."""
    found, why = find_header_row(rows)
    if header_row is None:
        header_row = found
    elif header_row != found:
        why = f"Row {header_row + 1} holds the headings, as you chose."
    infos = describe_columns(rows, header_row, districts=districts, default_year=default_year)
    mapping = Mapping(header_row=header_row)
    saved = saved or {}
    for info in infos:
        remembered = saved.get(normalise_heading(info.heading)) if info.heading else None
        if remembered is not None:
            try:
                choice = Mapping.from_json(
                    {"columns": {info.letter: remembered}},
                    districts=districts,
                    default_year=default_year,
                ).columns[info.index]
            except ValueError:
                choice = info.guess.choice
        else:
            choice = info.guess.choice
        mapping.columns[info.index] = choice
    _settle_levels(mapping)
    _one_column_each(mapping)
    return mapping, infos, why


def _settle_levels(mapping: Mapping) -> None:
    """Levels top to bottom, left to right: a plan with "Aims" and no "Actions" column means
    its aims are the actions."""
    if "action" in mapping.keys:
        return
    levels = [(i, c) for i, c in sorted(mapping.columns.items()) if c.key in LEVELS]
    if levels:
        index, choice = levels[-1]
        mapping.columns[index] = replace(choice, key="action")


def _one_column_each(mapping: Mapping) -> None:
    """A field that is read once per row keeps its first column; per-quarter fields may
    repeat only for another quarter or district. The rest are shown, but ignored."""
    seen: set[tuple[str, FinancialQuarter | None, str]] = set()
    for index, choice in sorted(mapping.columns.items()):
        if choice.key == IGNORE:
            continue
        place = (choice.key, choice.period, choice.district)
        if place in seen:
            mapping.columns[index] = ColumnChoice()
        seen.add(place)


def mapping_problems(mapping: Mapping, infos: Sequence[ColumnInfo]) -> tuple[list[str], list[str]]:
    """What stops a mapping being read (errors), and what a coordinator should see (notes)."""
    errors, notes = [], []
    by_index = {info.index: info for info in infos}

    def named(index: int) -> str:
        info = by_index.get(index)
        heading = f" “{info.heading}”" if info and info.heading else ""
        return f"column {column_letter(index)}{heading}"

    if "action" not in mapping.keys:
        errors.append("Choose the column that holds the actions: every plan needs one.")
    places: dict[tuple[str, FinancialQuarter | None, str], list[int]] = {}
    for index, choice in sorted(mapping.columns.items()):
        if choice.key != IGNORE:
            places.setdefault((choice.key, choice.period, choice.district), []).append(index)
    for (key, period, district), indexes in places.items():
        if len(indexes) > 1:
            where = " for " + " ".join(x for x in (period.label if period else "", district) if x)
            errors.append(
                _first_up(" and ".join(named(i) for i in indexes))
                + f" are both mapped to {BY_KEY[key].label}"
                + (where if period or district else "")
                + ": choose one, or give each its own quarter."
            )
    for info in infos:
        if info.holds_data and mapping.choice(info.index).key == IGNORE:
            notes.append(
                f"{_first_up(named(info.index))} holds data in {info.filled} "
                f"row{'s' if info.filled != 1 else ''} and is ignored."
            )
    return errors, notes


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]
