"""Financial-year quarters, as UK public bodies count them.

The financial year runs April to March: "2016/17" is 1 April 2016 to 31 March 2017, its Q1 is
April–June 2016 and its Q4 January–March 2017. This module is the only place that does that
arithmetic and the only place that formats or parses a quarter's label ("2016/17 Q1") and slug
("2016-17-q1").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

FIRST_MONTH = 4  # April

_LABEL = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2})\s*[\s-]\s*q([1-4])\s*$", re.IGNORECASE)


def financial_year_label(year: int) -> str:
    """``2016`` → ``"2016/17"``; ``1999`` → ``"1999/00"``."""
    return f"{year}/{(year + 1) % 100:02d}"


def financial_year_slug(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def financial_year_of(day: date) -> int:
    """The financial year (by its first calendar year) that ``day`` falls in."""
    return day.year if day.month >= FIRST_MONTH else day.year - 1


@dataclass(frozen=True, order=True)
class FinancialQuarter:
    """Quarter ``quarter`` (1–4) of the financial year starting in April of ``year``."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter must be 1 to 4, not {self.quarter}")
        if not 1900 <= self.year <= 2999:
            raise ValueError(f"financial year {self.year} is out of range")

    @classmethod
    def containing(cls, day: date) -> FinancialQuarter:
        year = financial_year_of(day)
        months_in = (day.month - FIRST_MONTH) % 12
        return cls(year, months_in // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> FinancialQuarter:
        """Read a label (``2016/17 Q1``) or a slug (``2016-17-q1``).

        The second year must follow the first, so ``2016/18 Q1`` is refused rather than guessed.
        """
        match = _LABEL.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a financial quarter such as 2016/17 Q1")
        first, second, quarter = int(match[1]), int(match[2]), int(match[3])
        if (first + 1) % 100 != second:
            raise ValueError(f"{text!r}: {second:02d} does not follow {first}")
        return cls(first, quarter)

    @classmethod
    def from_key(cls, key: int) -> FinancialQuarter:
        """The inverse of ``key``: ``20161`` → 2016/17 Q1."""
        return cls(key // 10, key % 10)

    @property
    def key(self) -> int:
        """A sortable whole number, ``year * 10 + quarter``, that SQL can compute too."""
        return self.year * 10 + self.quarter

    @property
    def label(self) -> str:
        return f"{financial_year_label(self.year)} Q{self.quarter}"

    @property
    def slug(self) -> str:
        return f"{financial_year_slug(self.year)}-q{self.quarter}"

    @property
    def financial_year_label(self) -> str:
        return financial_year_label(self.year)

    @property
    def start(self) -> date:
        month0 = FIRST_MONTH - 1 + 3 * (self.quarter - 1)
        return date(self.year + month0 // 12, month0 % 12 + 1, 1)

    @property
    def end(self) -> date:
        month0 = FIRST_MONTH - 1 + 3 * (self.quarter - 1) + 2
        year, month = self.year + month0 // 12, month0 % 12 + 1
        return date(year, month, calendar.monthrange(year, month)[1])

    def next(self) -> FinancialQuarter:
        if self.quarter == 4:
            return FinancialQuarter(self.year + 1, 1)
        return FinancialQuarter(self.year, self.quarter + 1)

    def previous(self) -> FinancialQuarter:
        if self.quarter == 1:
            return FinancialQuarter(self.year - 1, 4)
        return FinancialQuarter(self.year, self.quarter - 1)

    def __str__(self) -> str:
        return self.label


_QUARTER_TOKEN = re.compile(r"\bQ\s*([1-4])(?:\s*[-–—][\s\-–—]*Q?\s*([1-4]))?\b", re.IGNORECASE)
_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in {calendar.month_name[number].lower(), calendar.month_abbr[number].lower()}
}
_MONTHS["sept"] = 9
_MONTH_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?[\s-]*(\d{2}|\d{4})\b")


_FINANCIAL_YEAR_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{4})\s*/\s*([0-9]{2})(?![0-9])")
_DAY_MONTH_YEAR = re.compile(
    r"(?<![0-9])([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4}|[0-9]{2})(?![0-9])"
)


def _stated_financial_year(text: str, first_year: int) -> int:
    """The financial year a timescale names ("Q4 2017/18"), else the plan's ``first_year``.

    A bare quarter is otherwise put in ``first_year``, which is wrong for a multi-year plan
    whose timescale says which year it means.
    """
    for first, second in _FINANCIAL_YEAR_IN_TEXT.findall(text):
        if (int(first) + 1) % 100 == int(second):
            return int(first)
    return first_year


def _dated_quarter(text: str) -> FinancialQuarter | None:
    """The quarter of a British date written in a timescale ("31/03/2017"), if there is one."""
    match = _DAY_MONTH_YEAR.search(text)
    if match is None:
        return None
    try:
        day = date(full_year(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return FinancialQuarter.containing(day)


def full_year(text: str) -> int:
    """``"16"`` → 2016, ``"98"`` → 1998, ``"2016"`` → 2016."""
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def due_quarter_from_timescale(text: str, first_year: int) -> FinancialQuarter | None:
    """Derive the quarter an action is due from its timescale as written, where one can be.

    ``first_year`` is the financial year the plan starts in, for timescales that name only a
    quarter, unless the text names its financial year ("Q4 2017/18"). A month with a year
    ("Sept 16", "Apr-25") wins over a bare quarter, and of several months the last counts
    ("April 2016 – March 2017" is due in March); for a range ("Q1-4", "Q3-4") the last
    quarter counts; a date ("31/03/2017") gives its quarter; "Ongoing" and the like give
    ``None``. The importer, the demo loader and the generator all derive due quarters here.
    """
    # The last month named: "April 2016 – March 2017" is due by March.
    months = [
        (_MONTHS[word.lower()], int(year_text))
        for word, year_text in _MONTH_YEAR.findall(text)
        if word.lower() in _MONTHS
    ]
    if months:
        month, year = months[-1]
        if year < 100:
            year += 2000
        return FinancialQuarter.containing(date(year, month, 1))
    quarters = [int(last or first) for first, last in _QUARTER_TOKEN.findall(text)]
    if quarters:
        return FinancialQuarter(_stated_financial_year(text, first_year), max(quarters))
    return _dated_quarter(text)
