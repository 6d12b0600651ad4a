"""Text helpers shared by the extractors: sentences, clauses, word windows, publication dates."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_ABBREVIATIONS = {"u.s.", "u.k.", "u.n.", "mr.", "mrs.", "ms.", "dr.", "st.", "jr.", "e.g.", "i.e.", "vs.", "no.",
                  "jan.", "feb.", "aug.", "sept.", "oct.", "nov.", "dec.", "gov.", "gen.", "sen.", "rep."}
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")
# Words that open a subordinate clause: a dated clause ends (or starts) there.
CLAUSE_BREAK = re.compile(r"[;:—–()]|\b(?:after|since|when|while|but|whereas|because|although|which|who)\b", re.I)
WORD = re.compile(r"[\w'’\"“”-]+")


@dataclass(frozen=True)
class Published:
    """An article's publication date at the precision it is known (year, month or day)."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, value: object) -> "Published | None":
        match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", str(value or "").strip())
        if not match:
            return None
        year, month, day = match.groups()
        return cls(int(year), int(month) if month else None, int(day) if day else None)


def sentences(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; does not break after common abbreviations like 'U.S.'."""
    bounds, start = [], 0
    for match in _SENTENCE_BREAK.finditer(paragraph):
        last_word = paragraph[start:match.start()].split()[-1:] or [""]
        if last_word[0].lower() in _ABBREVIATIONS or re.fullmatch(r"(?:[A-Z]\.)+", last_word[0]):
            continue
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(paragraph)))
    return [(s, e) for s, e in bounds if paragraph[s:e].strip()]


def sentence_at(paragraph: str, offset: int) -> tuple[int, int]:
    for start, end in sentences(paragraph):
        if start <= offset < end:
            return start, end
    return 0, len(paragraph)


def clause_at(paragraph: str, start: int, end: int) -> tuple[int, int]:
    """The clause around [start, end): from the last clause break before it to the first one after it."""
    s_start, s_end = sentence_at(paragraph, start)
    left = s_start
    for match in CLAUSE_BREAK.finditer(paragraph, s_start, start):
        left = match.end()
    after = CLAUSE_BREAK.search(paragraph, end, s_end)
    return left, after.start() if after else s_end


def words_before(paragraph: str, start: int, limit_start: int, count: int, blocked: list[tuple[int, int]]) -> int:
    """Move `start` back over up to `count` words, not past limit_start nor into a blocked span."""
    spans = [m.span() for m in WORD.finditer(paragraph, limit_start, start)]
    new_start = start
    for w_start, w_end in reversed(spans[-count:]):
        if any(b_start < w_end and w_start < b_end for b_start, b_end in blocked):
            break
        if re.search(r"[,.;:!?]", paragraph[w_end:new_start]):
            break  # punctuation between this word and the span: it belongs to another phrase
        new_start = w_start
    return new_start


def words_after(paragraph: str, end: int, limit_end: int, count: int, blocked: list[tuple[int, int]]) -> int:
    """Move `end` forward over up to `count` words, stopping at punctuation, limit_end or a blocked span."""
    new_end = end
    for match in list(WORD.finditer(paragraph, end, limit_end))[:count]:
        gap = paragraph[new_end:match.start()]
        if re.search(r"[.;:!?]", gap) or ("," in gap and new_end != end):
            break
        if any(b_start < match.end() and match.start() < b_end for b_start, b_end in blocked):
            break
        new_end = match.end()
    return new_end


def month_window(year: int, month: int) -> tuple[str, str]:
    return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def window_of(event_date: str, precision: str) -> tuple[str, str]:
    """The dates an event table row covers, given its precision (day, month or year)."""
    day = date.fromisoformat(event_date)
    if precision == "year":
        return f"{day.year:04d}-01-01", f"{day.year:04d}-12-31"
    if precision == "month":
        return month_window(day.year, day.month)
    return event_date, event_date
