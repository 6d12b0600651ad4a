"""Dated statements: date expressions (absolute, or relative to the publication date) and the phrase around them."""
from __future__ import annotations

import re
from dataclasses import dataclass

from dashboard.article.text import (Published, clause_at, month_window, sentence_at, shift_month, words_after,
                                    words_before)

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_MONTH = r"(?P<month>" + "|".join(m.capitalize() for m in MONTHS) + r")"
_YEAR = r"(?P<year>(?:19[5-9]|20\d)\d)"

# Longest first: an expression is only taken where no earlier one matched.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("time_last_year", re.compile(r"\b[Tt]his time last year\b")),
    ("month_last_year", re.compile(r"\b(?:[Ii]n\s+)?(?:early\s+|mid-|late\s+)?" + _MONTH + r"\s+last year\b")),
    ("month_this_year", re.compile(r"\b(?:[Ii]n\s+)?(?:early\s+|mid-|late\s+)?" + _MONTH + r"\s+this year\b")),
    ("month_year", re.compile(r"\b(?:[Ii]n\s+)?(?:early\s+|mid-|late\s+)?" + _MONTH + r",?\s+" + _YEAR + r"\b")),
    ("recent_months", re.compile(r"\b(?:[Ii]n\s+)?(?:the\s+)?(?:recent|past|last) (?:few |several )?months\b")),
    ("this_week", re.compile(r"\b[Tt]his (?:week|month)\b")),
    ("last_year", re.compile(r"\b[Ll]ast year\b")),
    ("in_year", re.compile(r"\b[Ii]n\s+" + _YEAR + r"\b(?![-–/]\d)")),
    ("bare_year", re.compile(r"(?<![$\d.,/-])\b" + _YEAR + r"\b(?![-–/%]\d|\d|\s*(?:billion|million|bn)\b)")),
)
RECENT_MONTHS = 6


@dataclass(frozen=True)
class DateRef:
    """A resolved date expression: the window of dates it allows (ISO, inclusive) and how it was read."""

    start: int
    end: int
    kind: str
    label: str
    date_from: str | None
    date_to: str | None
    precision: str  # day | month | year | window


def _resolve(kind: str, match: re.Match[str], published: Published | None) -> tuple[str | None, str | None, str, str]:
    """(date_from, date_to, precision, label) of one expression; relative ones need the publication date."""
    groups = match.groupdict()
    month = MONTHS.index(groups["month"].lower()) + 1 if groups.get("month") else 0
    if kind == "month_year":
        year = int(groups["year"])
        return (*month_window(year, month), "month", _ym(year, month))
    if kind in ("in_year", "bare_year"):
        return f"{groups['year']}-01-01", f"{groups['year']}-12-31", "year", groups["year"]
    if published is None or (published.month is None and kind in ("time_last_year", "recent_months", "this_week")):
        return None, None, "window", match.group(0)
    if kind == "month_last_year" or kind == "month_this_year":
        year = published.year - (kind == "month_last_year")
        return (*month_window(year, month), "month", _ym(year, month))
    if kind == "last_year":
        return f"{published.year - 1}-01-01", f"{published.year - 1}-12-31", "year", str(published.year - 1)
    assert published.month is not None
    if kind == "time_last_year":  # about a year before publication: the month either side too
        first = shift_month(published.year, published.month, -13)
        last = shift_month(published.year, published.month, -11)
        label = f"around {_ym(published.year - 1, published.month)}"
        return month_window(*first)[0], month_window(*last)[1], "window", label
    if kind == "recent_months":
        first = shift_month(published.year, published.month, -RECENT_MONTHS)
        return (month_window(*first)[0], month_window(published.year, published.month)[1], "window",
                f"{_ym(*first)} to {_ym(published.year, published.month)}")
    return (*month_window(published.year, published.month), "month", _ym(published.year, published.month))


def _ym(year: int, month: int) -> str:
    return f"{MONTHS[month - 1].capitalize()} {year}"


def find_dates(paragraph: str, published: Published | None, blocked: list[tuple[int, int]]) -> list[DateRef]:
    """Every date expression in a paragraph that does not overlap a blocked span (e.g. a money claim's year)."""
    taken = list(blocked)
    found = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(paragraph):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            date_from, date_to, precision, label = _resolve(kind, match, published)
            found.append(DateRef(match.start(), match.end(), kind, label, date_from, date_to, precision))
            taken.append(match.span())
    return sorted(found, key=lambda d: d.start)


def event_span(paragraph: str, ref: DateRef, blocked: list[tuple[int, int]]) -> tuple[int, int]:
    """The date expression plus the words that say what happened: up to 5 before it within its clause,
    and, when the date opens the clause or is an adjective ('2022 invasion'), a few words after it."""
    c_start, c_end = clause_at(paragraph, ref.start, ref.end)
    start = words_before(paragraph, ref.start, c_start, 5, blocked)
    end = ref.end
    opens_clause = not paragraph[c_start:ref.start].strip(" \"'“‘")
    if opens_clause or ref.kind == "bare_year":
        end = words_after(paragraph, ref.end, c_end, 3 if ref.kind == "bare_year" else 2, blocked)
    return start, end


def context(paragraph: str, ref: DateRef) -> tuple[str, str]:
    """(sentence, clause) around a date: the words an event title must share with the article."""
    s_start, s_end = sentence_at(paragraph, ref.start)
    c_start, c_end = clause_at(paragraph, ref.start, ref.end)
    return paragraph[s_start:s_end], paragraph[c_start:c_end]
