"""What a refresh fetches: the watchlist (TOML), the cursor (coverage rows) and the plan of Comtrade calls."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import Connection

from etl.errors import InputError
from etl.queries import run_query
from etl.sources.comtrade import Query

WATCHLIST_PATH = Path(__file__).resolve().parent / "watchlist.toml"
SOURCE = "comtrade"
FLOWS = ("X", "M", "RX", "RM")
_CODE = re.compile(r"TOTAL|\d{2}|\d{4}|\d{6}")


@dataclass(frozen=True)
class Entry:
    """One [[query]] block of the watchlist."""

    name: str
    reporters: tuple[int, ...]
    partners: tuple[int, ...]
    flows: tuple[str, ...]
    codes: tuple[str, ...]
    annual: tuple[int, int | None] | None = None      # (first year, last year or None: the last complete one)
    monthly: tuple[int, int | None] | None = None     # (first YYYYMM, last YYYYMM or None)


@dataclass(frozen=True)
class Watchlist:
    path: Path
    entries: tuple[Entry, ...]
    predecessors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    new_edition_year: int = 2022

    def codes_for(self, entry: Entry, period: str) -> tuple[str, ...]:
        """The entry's codes, plus their HS 2017 predecessors for periods before the HS 2022 edition."""
        codes = list(entry.codes)
        if int(period[:4]) < self.new_edition_year:
            codes += [old for code in entry.codes for old in self.predecessors.get(code, ())]
        return tuple(dict.fromkeys(codes))

    def select(self, only: str | None) -> tuple[Entry, ...]:
        if only is None:
            return self.entries
        chosen = tuple(e for e in self.entries if e.name == only)
        if not chosen:
            names = ", ".join(e.name for e in self.entries)
            raise InputError(f"--only {only}: the watchlist {self.path} has no query named {only!r} (it has: {names}).")
        return chosen


@dataclass(frozen=True)
class Options:
    """What the user asked: refresh everything (--full), one entry (--only), periods from --since on."""

    full: bool = False
    only: str | None = None
    since: str | None = None


# --- the watchlist file -------------------------------------------------------------------------------------

def watchlist_path(setting: str) -> Path:
    return Path(setting).expanduser() if setting.strip() else WATCHLIST_PATH


def load_watchlist(path: Path) -> Watchlist:
    """Read and check a watchlist TOML file; any problem is an InputError naming the file and the entry."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"The watchlist {path} does not exist. Fix CHOKEPOINT_WATCHLIST, or leave it empty to "
                         "use the bundled etl/watchlist.toml.") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"The watchlist {path} cannot be read: {exc}.") from None
    groups = document.get("codes", {})
    for name, codes in groups.items():
        _check_codes(path, f"[codes] {name}", codes)
    edition = document.get("hs2022", {})
    predecessors = {new: tuple(old) for new, old in edition.get("predecessors", {}).items()}
    for new, old in predecessors.items():
        _check_codes(path, f"[hs2022.predecessors] {new}", [new, *old])
    entries = tuple(_entry(path, raw, groups) for raw in document.get("query", []))
    if not entries:
        raise InputError(f"The watchlist {path} has no [[query]] block: nothing to fetch.")
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise InputError(f"The watchlist {path} uses a query name twice: {', '.join(names)}.")
    return Watchlist(path, entries, predecessors, int(edition.get("first_year", 2022)))


def _check_codes(path: Path, where: str, codes: object) -> None:
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and _CODE.fullmatch(c) for c in codes):
        raise InputError(f"The watchlist {path}, {where}: expected a list of HS codes written as text "
                         "('TOTAL' or 2, 4 or 6 digits, e.g. \"854231\"), got {codes!r}.")


def _entry(path: Path, raw: dict[str, object], groups: dict[str, list[str]]) -> Entry:
    name = str(raw.get("name", "")).strip()
    where = f"The watchlist {path}, query {name or '(no name)'}"

    def ints(key: str, low: int, high: int) -> tuple[int, ...]:
        values = raw.get(key)
        if not isinstance(values, list) or not values or not all(
                isinstance(v, int) and low <= v <= high for v in values):
            raise InputError(f"{where}: {key} must be a list of numbers from {low} to {high}, got {values!r}.")
        return tuple(values)

    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise InputError(f"{where}: name must be lower-case letters, digits and _.")
    flows = raw.get("flows")
    if not isinstance(flows, list) or not flows or not set(flows) <= set(FLOWS):
        raise InputError(f"{where}: flows must be a list of {', '.join(FLOWS)}, got {flows!r}.")
    unknown = [g for g in raw.get("codes", []) if g not in groups] if isinstance(raw.get("codes"), list) else ["?"]
    if unknown or not raw.get("codes"):
        raise InputError(f"{where}: codes must name lists of [codes] ({', '.join(groups)}); unknown: {unknown}.")
    codes = tuple(dict.fromkeys(c for g in raw["codes"] for c in groups[g]))  # type: ignore[union-attr]
    annual = _span(where, raw, "annual", r"\d{4}")
    monthly = _span(where, raw, "monthly", r"\d{4}(0[1-9]|1[0-2])")
    if annual is None and monthly is None:
        raise InputError(f"{where}: give annual_from (YYYY) or monthly_from (YYYYMM), or both.")
    return Entry(name, ints("reporters", 0, 999), ints("partners", 0, 999), tuple(flows), codes, annual, monthly)


def _span(where: str, raw: dict[str, object], freq: str, shape: str) -> tuple[int, int | None] | None:
    first, last = raw.get(f"{freq}_from"), raw.get(f"{freq}_to")
    if first is None:
        return None
    for key, value in ((f"{freq}_from", first), (f"{freq}_to", last)):
        if value is not None and not (isinstance(value, int) and re.fullmatch(shape, str(value))):
            example = "2015" if freq == "annual" else "202101"
            raise InputError(f"{where}: {key} must be a number like {example}, got {value!r}.")
    return int(first), (int(last) if last is not None else None)  # type: ignore[arg-type]


# --- periods -------------------------------------------------------------------------------------------------

def _month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def annual_periods(span: tuple[int, int | None], today: date) -> list[str]:
    """Years of the span, up to the last complete year."""
    last = min(span[1] or today.year - 1, today.year - 1)
    return [str(y) for y in range(span[0], last + 1)]


def monthly_periods(span: tuple[int, int | None], today: date) -> list[str]:
    """Months (YYYYMM) of the span, up to the last complete month."""
    latest = _month_index(today.year, today.month) - 1
    last = min(_month_index(span[1] // 100, span[1] % 100) if span[1] else latest, latest)
    first = _month_index(span[0] // 100, span[0] % 100)
    return [f"{i // 12}{i % 12 + 1:02d}" for i in range(first, last + 1)]


def check_since(since: str | None) -> None:
    if since is not None and not re.fullmatch(r"\d{4}|\d{4}(0[1-9]|1[0-2])", since):
        raise InputError(f"--since {since}: expected a period, YYYY (e.g. 2022) or YYYYMM (e.g. 202203).")


def after_since(period: str, since: str | None) -> bool:
    """Whether a period (YYYY or YYYYMM) is on or after --since; a year counts if any of its months does."""
    if since is None:
        return True
    if len(period) == 4:
        return period >= since[:4]
    return period >= (since if len(since) == 6 else since + "01")


def settled(period: str, retrieved_at: str, revision_months: int) -> bool:
    """Whether an answer is final: retrieved at least `revision_months` after its period ended.

    A period fetched while still inside the revision window is fetched again until one fetch lands after it,
    so a refresh never keeps a figure that was taken while the reporter could still revise it.
    """
    year = int(period[:4])
    ended = _month_index(year + 1, 1) if len(period) == 4 else _month_index(year, int(period[4:])) + 1
    fetched = _month_index(int(retrieved_at[:4]), int(retrieved_at[5:7]))
    return fetched >= ended + revision_months


# --- the cursor ----------------------------------------------------------------------------------------------

Cell = tuple[str, int, int, str, str]        # freq, reporter, partner, flow, period


@dataclass
class Covered:
    """One coverage row as the refresh keeps it in memory."""

    cell: Cell
    codes: frozenset[str]
    status: str
    records: int
    retrieved_at: str


def load_cursor(conn: Connection) -> dict[str, Covered]:
    """Every coverage row of the source, by query_key."""
    frame = run_query(conn, "refresh_coverage", source=SOURCE)
    return {str(r.query_key): Covered((str(r.freq), int(r.reporter_code), int(r.partner_code), str(r.flow),
                                       str(r.period)), frozenset(str(r.hs_codes).split(",")), str(r.status),
                                      int(r.records), str(r.retrieved_at))
            for r in frame.itertuples(index=False)}


def fetched_at(cursor: dict[str, Covered]) -> dict[tuple[Cell, str], str]:
    """When each (cell, HS code) was last answered."""
    latest: dict[tuple[Cell, str], str] = {}
    for covered in cursor.values():
        for code in covered.codes:
            key = (covered.cell, code)
            if latest.get(key, "") < covered.retrieved_at:
                latest[key] = covered.retrieved_at
    return latest


# --- the plan ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    """One cell of one watchlist entry with the codes it needs."""

    entry: str
    cell: Cell
    codes: tuple[str, ...]


def watchlist_units(watchlist: Watchlist, options: Options, today: date) -> Iterable[Unit]:
    """Every cell the (selected part of the) watchlist asks for, newest periods first."""
    for entry in watchlist.select(options.only):
        spans = (("A", annual_periods(entry.annual, today) if entry.annual else []),
                 ("M", monthly_periods(entry.monthly, today) if entry.monthly else []))
        for freq, periods in spans:
            for period in reversed([p for p in periods if after_since(p, options.since)]):
                codes = watchlist.codes_for(entry, period)
                for reporter in entry.reporters:
                    for partner in entry.partners:
                        for flow in entry.flows:
                            yield Unit(entry.name, (freq, reporter, partner, flow, period), codes)


def needed(units: Iterable[Unit], cursor: dict[str, Covered], options: Options,
           revision_months: int) -> list[Unit]:
    """The units a refresh must fetch: all with --full, else those with a code not yet settled."""
    if options.full:
        return list(units)
    latest = fetched_at(cursor)
    return [u for u in units
            if any(not settled(u.cell[4], latest.get((u.cell, c), "0000-00"), revision_months) for c in u.codes)]


def plan_calls(units: list[Unit], fits: Callable[[Query], bool], max_periods: int) -> list[Query]:
    """Group units into calls: same entry, frequency and codes; periods chunked; split until each call fits."""
    groups: dict[tuple[str, str, tuple[str, ...]], list[Unit]] = {}
    for unit in units:
        groups.setdefault((unit.entry, unit.cell[0], unit.codes), []).append(unit)
    calls: list[Query] = []
    for (_, freq, codes), members in groups.items():
        periods = list(dict.fromkeys(u.cell[4] for u in members))
        reporters = tuple(dict.fromkeys(u.cell[1] for u in members))
        partners = tuple(dict.fromkeys(u.cell[2] for u in members))
        flows = tuple(dict.fromkeys(u.cell[3] for u in members))
        for start in range(0, len(periods), max_periods):
            query = Query(freq, reporters, partners, flows, tuple(periods[start:start + max_periods]), codes)
            calls.extend(_fit(query, fits))
    return calls


def _fit(query: Query, fits: Callable[[Query], bool]) -> list[Query]:
    if fits(query):
        return [query]
    parts = query.halves()
    if parts is None:
        return [query]  # one code, one period: asked as it is; the client splits nothing further and says so
    return _fit(parts[0], fits) + _fit(parts[1], fits)
