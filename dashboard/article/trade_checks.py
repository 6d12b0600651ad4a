"""Checks of goods and price claims against trade_flow: China–Russia flows of a category's exact HS codes, before
(2021) and after the February 2022 invasion. No trade rows: `unchecked`, saying which data would check the claim."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.article.evidence import DIRECTIONS, RUSSIA, WORLD, Evidence, Verdict, source_label, strings, usd
from dashboard.article.extract import ENERGY, Claim

BASELINE_YEAR = 2021
FIRST_MONTH_AFTER = "202203"  # the invasion was on 24 February 2022: monthly data counts from March
LARGE_TONNES = 1e6  # 'large quantities' is read as at least one million tonnes in a year...
LARGE_USD = 1e9  # ... or, where no weight is reported, at least USD 1 bn in a year
REFRESH_HINT = "run python -m etl refresh (or import a Comtrade CSV: python -m etl import FILE)"


@dataclass(frozen=True)
class Flow:
    """A claim's categories combined per period (a period counts only when every category reports it)."""

    freq: str
    frame: pd.DataFrame  # period, value_usd, net_weight_kg
    sources: list[str]
    categories: list[str]


def _combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(parts, ignore_index=True)
    frame["weight_ok"] = frame["weights_reported"] == frame["codes"]
    grouped = frame.groupby("period", sort=True)
    out = pd.DataFrame({
        "value_usd": grouped["value_usd"].sum(min_count=1).where(grouped["value_usd"].count() == len(parts)),
        "net_weight_kg": grouped["net_weight_kg"].sum(min_count=1).where(
            grouped["weight_ok"].sum() == len(parts)),
    })
    return out.reset_index()


def flow_of(ev: Evidence, categories: list[str], direction: str, partner: int | None = None) -> Flow | None:
    """Annual data if any category has it, else monthly; None when no category has any row."""
    reporter, default_partner, flow, _ = DIRECTIONS[direction]
    for freq in ("A", "M"):
        found = {c: ev.series(c, reporter, default_partner if partner is None else partner, flow, freq)
                 for c in categories}
        found = {c: f for c, f in found.items() if len(f)}
        if found:
            sources = sorted({source_label(s) for f in found.values() for s in (*f["source"], *f["source_other"])})
            return Flow(freq, _combine(list(found.values())), sources, list(found))
    return None


def _years(flow: Flow) -> tuple[float | None, list[tuple[str, float, float | None]]]:
    """(2021 value, [(label, value, weight) for each year after the invasion]) — NULL periods are left out."""
    frame = flow.frame.dropna(subset=["value_usd"])
    if flow.freq == "A":
        base = frame.loc[frame["period"] == str(BASELINE_YEAR), "value_usd"]
        after = frame[frame["period"] >= "2022"]
        return (float(base.iloc[0]) if len(base) else None,
                [(p, float(v), None if pd.isna(w) else float(w)) for p, v, w in after.itertuples(index=False)])
    frame = frame.assign(year=frame["period"].str[:4])
    base_months = frame[frame["year"] == str(BASELINE_YEAR)]
    base = float(base_months["value_usd"].sum()) if len(base_months) == 12 else None
    after = frame[frame["period"] >= FIRST_MONTH_AFTER].groupby("year")
    rows = [(f"{year} ({len(g)} months{', from March' if year == '2022' else ''})", float(g["value_usd"].sum()),
             float(g["net_weight_kg"].sum()) if g["net_weight_kg"].notna().all() else None) for year, g in after]
    return base, rows


def _codes(ev: Evidence, categories: list[str]) -> str:
    return ", ".join(code for c in categories for code in ev.category_codes(c))


def _link(categories: list[str], direction: str) -> str:
    reporter, partner, flow, _ = DIRECTIONS[direction]
    page = "energy" if set(categories) <= ENERGY else "dual-use"
    return (f"/{page}?category={categories[0]}&reporter={reporter}&partner={partner}&flow={flow}&freq=A"
            f"&from=2019&to=2024")


def _summary(base: float | None, after: list[tuple[str, float, float | None]], tonnes: bool) -> str:
    parts = [f"{BASELINE_YEAR} {usd(base)}"] if base is not None else [f"{BASELINE_YEAR}: no data"]
    for label, value, weight in after:
        change = f", {(value / base - 1) * 100:+.0f}% vs {BASELINE_YEAR}" if base and "months" not in label else ""
        mass = f", {weight / 1e9:,.2f} Mt" if tonnes and weight is not None else ""
        parts.append(f"{label} {usd(value)}{mass}{change}")
    return "; ".join(parts)


def _goods_verdict(assertion: str, base: float | None, after: list[tuple[str, float, float | None]]) -> str:
    if not after:
        return "unchecked"
    if assertion == "large":
        big = any((w is not None and w >= LARGE_TONNES * 1000) or (w is None and v >= LARGE_USD) for _, v, w in after)
        return "supported" if big else "contradicted"
    if assertion == "grown":
        full = [v for label, v, _ in after if "months" not in label or "12 months" in label]
        if base is None or not full:
            return "unchecked"
        return "supported" if full[-1] > base else "contradicted"
    return "supported" if any(v > 0 for _, v, _ in after) else "contradicted"


def check_goods(claim: Claim, ev: Evidence) -> Verdict:
    f = claim.facts
    term, direction = str(f["term"]), str(f["direction"])
    if f["service"]:
        message = (f"{term}: a service, not goods — customs trade data (UN Comtrade, China customs) does not "
                   "record it, so no data in Chokepoint can check it")
        return Verdict("unchecked", message, {"chart": "empty", "message": message})
    categories = strings(f["categories"])
    label = DIRECTIONS[direction][3]
    link = _link(categories, direction)
    flow = flow_of(ev, categories, direction)
    if flow is None:
        message = f"{term}: needs UN Comtrade HS {_codes(ev, categories)} {label}: {REFRESH_HINT}"
        return Verdict("unchecked", message, {"chart": "empty", "message": message}, link)
    base, after = _years(flow)
    verdict = _goods_verdict(str(f["assertion"]), base, after)
    reading = {"large": f"'large quantities' = at least {LARGE_TONNES / 1e6:.0f} Mt (or USD 1 bn) in a year",
               "grown": f"growth = the last full year after the invasion above {BASELINE_YEAR}",
               "supplied": "'supplied' = flows reported after February 2022"}[str(f["assertion"])]
    hover = (f"{term} — {label}, HS {_codes(ev, flow.categories)} ({', '.join(flow.sources)}): "
             f"{_summary(base, after, str(f['assertion']) == 'large')}. Read as: {reading}")
    if not after:
        hover += f". No data after February 2022: {REFRESH_HINT}"
    chart = {"chart": "goods", "categories": flow.categories, "direction": direction, "label": term}
    return Verdict(verdict, hover, chart, link)


def price_sources(ev: Evidence, categories: list[str]) -> list[str]:
    flows = [flow_of(ev, [c], "ru_to_cn", partner) for c in categories for partner in (None, WORLD)]
    return sorted({s for f in flows if f is not None for s in f.sources})


def unit_values(ev: Evidence, category: str) -> list[tuple[str, float, float]]:
    """(year, Russia's USD per tonne, everyone else's USD per tonne) in China's imports, years after 2021."""
    russia = flow_of(ev, [category], "ru_to_cn")
    world = flow_of(ev, [category], "ru_to_cn", partner=WORLD)
    if russia is None or world is None or russia.freq != "A" or world.freq != "A":
        return []
    both = russia.frame.merge(world.frame, on="period", suffixes=("_ru", "_w")).dropna()
    out = []
    for row in both[both["period"] >= "2022"].itertuples(index=False):
        rest_kg = row.net_weight_kg_w - row.net_weight_kg_ru
        if row.net_weight_kg_ru > 0 and rest_kg > 0:
            out.append((row.period, row.value_usd_ru / row.net_weight_kg_ru * 1000,
                        (row.value_usd_w - row.value_usd_ru) / rest_kg * 1000))
    return out


def check_price(claim: Claim, ev: Evidence) -> Verdict:
    categories = strings(claim.facts["categories"])
    link = _link(categories, "ru_to_cn")
    pairs = [(c, year, ru, rest) for c in categories for year, ru, rest in unit_values(ev, c)]
    if not pairs:
        message = (f"{claim.text}: needs USD per tonne of China's imports of HS {_codes(ev, categories)} from Russia "
                   f"and from all partners (UN Comtrade annual data with net weight, partners {RUSSIA} and "
                   f"{WORLD} 'World'): run python -m etl refresh (the watchlist's china_energy_world entry), "
                   "or import such a Comtrade CSV")
        return Verdict("unchecked", message, {"chart": "empty", "message": message}, link)
    cheaper = [ru < rest for _, _, ru, rest in pairs]
    verdict = "supported" if all(cheaper) else "contradicted" if not any(cheaper) else "unchecked"
    detail = "; ".join(f"{ev.category_label(c)} {year}: Russia USD {ru:,.0f}/t vs other suppliers USD {rest:,.0f}/t"
                       for c, year, ru, rest in pairs)
    hover = f"{claim.text} — China's imports ({', '.join(price_sources(ev, categories))}): {detail}"
    if verdict == "unchecked":
        hover += " (cheaper in some years only)"
    return Verdict(verdict, hover, {"chart": "price", "categories": categories, "label": claim.text}, link)
