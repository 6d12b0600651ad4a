"""URL filters shared by every page: parse and validate the query string against fixed allow-lists.

Keys (the cross-team contract): from, to (YYYY), freq (A|M), flow (X|M), category, reporter, partner
(Comtrade codes), view (usd|index). An invalid value falls back to the page's default, never to an error.
No Dash import here, so the rules are unit-testable on their own.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Mapping
from urllib.parse import parse_qsl, urlencode

import pandas as pd

CHINA, RUSSIA = 156, 643
# The year slider ends at the current year: later years cannot have trade data yet.
FIRST_YEAR, LAST_YEAR = 2010, date.today().year
BASE_YEAR = 2021  # the last full year before the invasion: every "change vs" and index uses it
FREQS = ("A", "M")
FLOWS = ("X", "M")
VIEWS = ("usd", "index")
DUAL_USE = ("integrated_circuits", "semiconductors", "machine_tools", "optics")
CHPL_TIERS = ("chpl_tier_1", "chpl_tier_2", "chpl_tier_3a", "chpl_tier_3b", "chpl_tier_4a", "chpl_tier_4b")
ENERGY = ("crude_oil", "coal", "natural_gas", "refined_oil")
CATEGORIES = DUAL_USE + CHPL_TIERS + ENERGY
COUNTRIES = {0: "World", 156: "China", 643: "Russia", 344: "Hong Kong", 398: "Kazakhstan", 417: "Kyrgyzstan",
             51: "Armenia", 792: "Türkiye", 784: "United Arab Emirates", 699: "India"}
SUPPLIERS = (156, 344, 792, 398, 417, 51, 784, 699)
KEYS = ("from", "to", "freq", "flow", "category", "reporter", "partner", "view")


@dataclass(frozen=True)
class Filters:
    """One page's filter values; `category` None means every category the page shows."""

    start: int = 2013
    end: int = 2024
    freq: str = "A"
    flow: str = "X"
    category: str | None = None
    reporter: int = CHINA
    partner: int = RUSSIA
    view: str = "usd"

    def period_from(self) -> str:
        return str(self.start) if self.freq == "A" else f"{self.start}01"

    def period_to(self) -> str:
        return str(self.end) if self.freq == "A" else f"{self.end}12"

    def bounds(self) -> dict[str, str]:
        """The period range as the :period_from / :period_to binds of the dash_* queries."""
        return {"period_from": self.period_from(), "period_to": self.period_to()}

    def within(self, frame: pd.DataFrame, column: str = "period") -> pd.DataFrame:
        """The rows of `frame` whose period lies in the range (a query asked with EVERY_PERIOD, cut to the view)."""
        periods = frame[column].to_numpy(dtype=object)  # numpy compares these twice as fast as pandas' strings
        low, high = (str(self.start), str(self.end)) if column == "year" else (self.period_from(), self.period_to())
        return frame[(periods >= low) & (periods <= high)].reset_index(drop=True)


# The :period_from / :period_to binds that take every period. Pages ask their queries for the whole range and
# cut it to the years shown: the answer is cached once per data version, and dragging the years slider then
# never reaches the database.
EVERY_PERIOD = {"period_from": "0", "period_to": "9"}


def _year(raw: str | None) -> int | None:
    if raw is None or not raw.strip().isdigit():
        return None
    year = int(raw)
    return year if FIRST_YEAR <= year <= LAST_YEAR else None


def _code(raw: str | None, allowed: Mapping[int, str] | tuple[int, ...]) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isdigit() and int(text) in allowed else None


def _given(code: int | None, default: int) -> int:
    """A country code read from a query, or the default when there was none: code 0 (World) is a choice too."""
    return default if code is None else code


def _choice(raw: str | None, allowed: tuple[str, ...]) -> str | None:
    return raw if raw in allowed else None


def _category(raw: str | None, default: str | None, allowed: tuple[str, ...]) -> str | None:
    if raw is None:
        return default
    if raw == "":
        return None  # explicitly "all categories"
    return raw if raw in allowed else default


def parse(query: Mapping[str, object], defaults: Filters = Filters(),
          categories: tuple[str, ...] = CATEGORIES, reporters: tuple[int, ...] = tuple(COUNTRIES)) -> Filters:
    """Filters from a query mapping (Dash passes the query string as layout kwargs); bad values -> defaults."""
    raw = {k: (str(v) if v is not None else None) for k, v in query.items()}
    start = _year(raw.get("from")) or defaults.start
    end = _year(raw.get("to")) or defaults.end
    if start > end:
        start, end = defaults.start, defaults.end
    category = _category(raw.get("category"), defaults.category, categories)
    return Filters(
        start=start, end=end,
        freq=_choice(raw.get("freq"), FREQS) or defaults.freq,
        flow=_choice(raw.get("flow"), FLOWS) or defaults.flow,
        category=category,
        reporter=_given(_code(raw.get("reporter"), reporters), defaults.reporter),
        partner=_given(_code(raw.get("partner"), COUNTRIES), defaults.partner),
        view=_choice(raw.get("view"), VIEWS) or defaults.view,
    )


def from_controls(values: Mapping[str, object], defaults: Filters = Filters(),
                  categories: tuple[str, ...] = CATEGORIES) -> Filters:
    """Filters from control values keyed by URL key (the years slider gives `years` = [from, to])."""
    flat: dict[str, object] = {k: v for k, v in values.items() if k != "years" and v is not None}
    years = values.get("years")
    if isinstance(years, (list, tuple)) and len(years) == 2:
        flat["from"], flat["to"] = years
    if "category" in values and values["category"] is None:
        flat["category"] = ""  # a cleared dropdown means "all", not "the default"
    return parse(flat, defaults, categories)


def to_query(filters: Filters, keys: tuple[str, ...]) -> str:
    """The query string ("?from=2013&to=2024...") of the given keys, in the contract's order."""
    values = {"from": filters.start, "to": filters.end, "freq": filters.freq, "flow": filters.flow,
              "category": filters.category, "reporter": filters.reporter, "partner": filters.partner,
              "view": filters.view}
    pairs = [(k, values[k]) for k in KEYS if k in keys and values[k] is not None]
    return "?" + urlencode(pairs) if pairs else ""


def control_query(values: Mapping[str, object], current: str = "") -> str:
    """The query string for raw control values keyed by URL key; other keys of `current` (e.g. id) are kept."""
    kept = [(k, v) for k, v in parse_qsl(current.lstrip("?"), keep_blank_values=True) if k not in KEYS]
    pairs: list[tuple[str, object]] = list(kept)
    for key in ("years",) + KEYS:
        value = values.get(key)
        if key == "years" and isinstance(value, (list, tuple)) and len(value) == 2:
            pairs += [("from", int(value[0])), ("to", int(value[1]))]
        elif key in values and key != "years" and value not in (None, ""):
            pairs.append((key, value))
    return "?" + urlencode(pairs) if pairs else ""


def counterpart(reporter: int) -> int:
    """China–Russia pages: the partner of a reporter (Russia's mirror figures have China as partner)."""
    return CHINA if reporter == RUSSIA else RUSSIA


def with_partner(filters: Filters) -> Filters:
    return replace(filters, partner=counterpart(filters.reporter))


def country_name(code: int) -> str:
    return COUNTRIES.get(code, str(code))
