"""Verdicts for claims, computed from the database when the page renders. Never `supported` without numbers that
support it: missing data gives `unchecked`, with the data that would check the claim and how to get it."""
from __future__ import annotations

import re

import pandas as pd

from dashboard.article import trade_checks
from dashboard.article.evidence import Evidence, Verdict, is_number, number
from dashboard.article.extract import Claim
from dashboard.article.text import window_of

SERIES_LABELS = {"total": "China–Russia trade", "cn_to_ru": "China's exports to Russia",
                 "ru_to_cn": "China's imports from Russia"}
WATCHED_SUPPLIERS = {344, 398, 417, 51, 792, 784, 699, 156}
_UNIT = {1e12: "tn", 1e9: "bn", 1e6: "mn", 1.0: ""}
_STOP = set("""a an the and or of in on at to for from by with as is was were be been has have had it its their his her
their they them this that these those not no but if than then there which who whom what when where while also only
more most very into over under about after before since between both each other such can could would should will
said say says according report reported told time year years month months week weeks recent recently two one first
last new china chinese beijing russia russian moscow us""".split())
_IRREGULAR = {"met": "meet", "said": "say", "agreed": "agree", "began": "begin", "took": "take", "made": "make"}


def _unchecked(hover: str, message: str | None = None, link: str | None = None) -> Verdict:
    return Verdict("unchecked", hover, {"chart": "empty", "message": message or hover}, link)


# --- money ------------------------------------------------------------------------------------------------------

def _agrees(value: float, amount: float, tolerance: float, qualifier: object) -> bool:
    """At the article's precision: 'USD 240 bn' is 239.5–240.5 bn; 'more than' / 'about' read as they say."""
    if qualifier == "over":
        return value > amount
    if qualifier == "under":
        return value < amount
    if qualifier == "approx":
        return abs(value - amount) <= max(tolerance, 0.05 * amount)
    return abs(value - amount) <= tolerance


def _scaled(value: float, scale: float, decimals: int) -> str:
    return f"USD {value / scale:,.{decimals}f} {_UNIT.get(scale, '')}".rstrip()


def _high(rows: pd.DataFrame, year: int, value: float, scale: float, decimals: int) -> tuple[bool | None, str]:
    """Is `value` the series maximum up to `year`? (None when no earlier year is known.)"""
    earlier = rows[(rows["year"] < year) & rows["value_usd"].notna()]
    if earlier.empty:
        return None, f"; no earlier year to compare, so 'a high' cannot be checked"
    top = earlier.loc[earlier["value_usd"].idxmax()]
    shown = _scaled(float(top["value_usd"]), scale, decimals)
    if value >= float(top["value_usd"]):
        return True, f"; the series high up to {year} (previous high {shown} in {int(top['year'])})"
    return False, f"; not a high: {shown} in {int(top['year'])}"


def check_money(claim: Claim, ev: Evidence) -> Verdict:
    f = claim.facts
    scale, decimals = number(f["scale"]), int(number(f["decimals"]))
    stated = f"{f['stated']}" + (f" in {f['year']}" if f.get("year") else "")
    series, year = f.get("series"), f.get("year")
    frame = ev.headline()
    years = frame["year"].dropna()
    link = f"/?from={int(years.min())}&to={int(years.max())}" if len(years) else "/"
    if series is None:
        return _unchecked(f"{stated} — the sentence names no China–Russia trade series, so there is nothing to "
                          "compare", link=link)
    if year is None:
        return _unchecked(f"{stated} — no year is stated, so no figure can be compared", link=link)
    rows = frame[frame["direction"] == series]
    match = rows.loc[rows["year"] == year, "value_usd"]
    chart = {"chart": "headline", "series": series, "year": year, "claimed": f["amount_usd"],
             "tolerance": f["tolerance_usd"], "label": stated}
    if match.empty or not is_number(match.iloc[0]):
        return Verdict("unchecked", f"{stated} — China customs {SERIES_LABELS[str(series)]} for {year}: not in the "
                       "bundled figures (blank means not found, never zero)", chart, link)
    value = float(match.iloc[0])
    hover = f"{stated} — China customs: {_scaled(value, scale, decimals + 1)}"
    amount, tolerance = number(f["amount_usd"]), number(f["tolerance_usd"])
    agrees = _agrees(value, amount, tolerance, f.get("qualifier"))
    if f.get("qualifier") != "high":
        return Verdict("supported" if agrees else "contradicted", hover, chart, link)
    is_high, note = _high(rows, int(number(year)), value, scale, decimals + 1)
    if is_high is None and agrees:
        return Verdict("unchecked", hover + note, chart, link)
    return Verdict("supported" if agrees and is_high else "contradicted", hover + note, chart, link)


# --- dated events -------------------------------------------------------------------------------------------------

def _stem(word: str) -> str:
    word = re.sub(r"['’]s$", "", word.lower())
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("eed"):
        return word[:-1]
    if word.endswith("ed") and len(word) > 4:
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def tokens(text: str) -> set[str]:
    """Content words of a text, lower-cased and crudely stemmed, without stop words and the two countries."""
    words = re.findall(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*", text)
    return {_stem(w) for w in words if w.lower() not in _STOP and len(w) > 1} - _STOP


def _overlap(a: tuple[str, str], b: tuple[str, str]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _event_matches(claim: Claim, events: list[dict[str, object]]) -> list[tuple[int, int, dict[str, object]]]:
    """(words shared with the sentence, with the clause, event row) for every event sharing any word."""
    sentence, clause = tokens(str(claim.facts["sentence"])), tokens(str(claim.facts["clause"]))
    out = []
    for row in events:
        title = tokens(str(row["title"]))
        if title & sentence:
            out.append((len(title & sentence), len(title & clause), row))
    return sorted(out, key=lambda m: (-m[0], -m[1], str(m[2]["event_date"])))


def _self_sourced(source: str, article: dict[str, object]) -> bool:
    """An event whose only source is the article being checked is no evidence for it."""
    source = source.lower()
    own = [str(article.get(k) or "").lower() for k in ("outlet", "url")]
    seed = str(article.get("source_ref") or "").startswith("bundled:")  # the events file cites it as 'seed article'
    return (seed and "seed article" in source) or any(o and o in source for o in own)


def check_event(claim: Claim, ev: Evidence) -> Verdict:
    f = claim.facts
    expression, label = str(f["expression"]), str(f["date_label"])
    said = expression if label.lower() in expression.lower() else f"{expression} ({label})"
    if f.get("date_from") is None:
        return _unchecked(f"'{f['expression']}' cannot be dated: the article has no publication date")
    stated = (str(f["date_from"]), str(f["date_to"]))
    events = ev.event_records()
    year = str(f["date_from"])[:4]
    link = f"/?from={year}&to={str(f['date_to'])[:4]}"
    chart: dict[str, object] = {"chart": "events", "from": stated[0], "to": stated[1], "label": said}
    for shared, in_clause, row in _event_matches(claim, events):
        inside = _overlap(window_of(str(row["event_date"]), str(row["precision"])), stated)
        if inside and shared >= 2 and in_clause >= 1:
            chart["match"] = {"date": row["event_date"], "title": row["title"]}
            found = f"{said} — events timeline: {row['event_date']} {row['title']} (source: {row['source']})"
            if _self_sourced(str(row["source"]), ev.article):
                return Verdict("unchecked", found + "; that source is this article itself, so it cannot confirm "
                               "it: an independent source for the event would", chart, link)
            return Verdict("supported", found, chart, link)
        if not inside and shared >= 3 and in_clause >= 2:
            chart["match"] = {"date": row["event_date"], "title": row["title"]}
            return Verdict("contradicted", f"{said} — events timeline dates this {row['event_date']}: "
                           f"{row['title']} (source: {row['source']})", chart, link)
    return Verdict("unchecked", f"{said} — no matching event in the timeline ({len(events)} dated sanctions, "
                   "export-control and diplomatic events); an event with its source in "
                   "etl/reference/sanctions_events.csv would check it", chart, link)


# --- countries --------------------------------------------------------------------------------------------------

def check_country(claim: Claim, ev: Evidence) -> Verdict:
    code = int(number(claim.facts["code"]))
    name = str(claim.facts["country"])
    link = "/" if code in (156, 643) else f"/suppliers?reporter={code}" if code in WATCHED_SUPPLIERS else None
    watched = "" if code in ev.countries() else "; not a country Chokepoint watches"
    return _unchecked(f"{name} (UN Comtrade code {code}): a country named, not a figure — nothing to check{watched}",
                      f"{name} is named here; a mention carries no figure to check.", link)


CHECKS = {"money": check_money, "event": check_event, "country": check_country,
          "goods": trade_checks.check_goods, "price": trade_checks.check_price}


def check_claim(claim: Claim, ev: Evidence) -> Verdict:
    return CHECKS[claim.kind](claim, ev)


def check_all(claims: list[Claim], ev: Evidence | None = None) -> dict[str, Verdict]:
    """Verdicts for every claim, from one Evidence (so each query runs once per render)."""
    ev = ev or Evidence()
    return {claim.id: check_claim(claim, ev) for claim in claims}
