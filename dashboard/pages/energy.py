"""Energy for tech: what Russia sends China (oil, coal, gas) beside the dual-use goods China sends Russia."""
from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import callback, html

from dashboard import components as ui
from dashboard import figures, filters, queries

dash.register_page(__name__, path="/energy", name="Energy", order=2, title="Chokepoint — Energy for tech")

KEYS = ("years", "freq", "category")
DEFAULTS = filters.Filters(start=2017, end=2024)
ENERGY_SHOWN = ("crude_oil", "coal", "natural_gas")
SOURCE = ("UN Comtrade, China as reporter: imports from Russia (energy; tonnes from net weight) and exports "
          "to Russia (dual-use categories)")


def layout(**query: str) -> html.Div:
    f = filters.parse(query, DEFAULTS, categories=ENERGY_SHOWN)
    return html.Div([
        ui.page_header("Energy for tech", "What Russia sends China — crude oil (2709), coal (2701), natural gas "
                       "(271111 LNG, 271121 pipeline) — in USD, tonnes and USD per tonne, beside the dual-use "
                       "goods China sends Russia, on one time axis."),
        ui.filter_bar(ui.years_control(f), ui.freq_control(f),
                      ui.category_control(f, ENERGY_SHOWN, clearable=True, placeholder="None", label="Highlight")),
        ui.note("USD per tonne uses only the rows that report a net weight; where no weight was reported the "
                "price is a gap. China's figures only (reporter 156): never blended with Russia's."),
        ui.chart_card("energy", "Russia → China energy and China → Russia dual-use goods",
                      "Solid lines: energy (China's imports from Russia); dotted: dual-use goods (China's exports)"),
    ])


def energy_frame(f: filters.Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """China's energy imports from Russia and dual-use exports to Russia, per category and period."""
    common = {"reporter": filters.CHINA, "partner": filters.RUSSIA, "freq": f.freq, "category": None,
              **filters.EVERY_PERIOD}
    energy = queries.cached_query("dash_category_series", kind="energy", flow="M", **common)
    shown = energy[energy["category"].isin(ENERGY_SHOWN)]
    return f.within(shown), f.within(queries.cached_query("dash_category_series", kind="dual_use", flow="X",
                                                          **common))


def csv_frame(energy: pd.DataFrame, dual: pd.DataFrame) -> pd.DataFrame:
    """The plotted numbers in one long table: direction, category, period, USD, tonnes, USD per tonne."""
    weights, priced = energy["net_weight_kg"].tolist(), energy["value_with_weight_usd"].tolist()
    tonnes = [None if w is None or w != w else w / 1000 for w in weights]  # NaN != NaN: not reported
    prices = [p / t if t and p is not None and p == p else None for p, t in zip(priced, tonnes)]
    columns: dict[str, list[Any]] = {
        "direction": ["Russia → China"] * len(energy) + ["China → Russia"] * len(dual),
        **{c: energy[c].tolist() + dual[c].tolist() for c in ("category", "label", "period", "value_usd")},
        "tonnes": tonnes + [None] * len(dual), "usd_per_tonne": prices + [None] * len(dual),
        **{c: energy[c].tolist() + dual[c].tolist() for c in ("source", "retrieved_at")}}
    return pd.DataFrame(columns)


@callback(ui.chart_outputs("energy"), ui.filter_inputs(KEYS))
def update(years: list[int] | None, freq: str | None, category: str | None) -> tuple[Any, ...]:
    f = filters.from_controls({"years": years, "freq": freq, "category": category}, DEFAULTS, ENERGY_SHOWN)
    energy, dual = energy_frame(f)
    if energy.empty and dual.empty:
        return ui.chart_result("energy", None, energy, f"Source: {SOURCE}.", ui.no_data_message())
    figure = figures.energy_figure(energy, dual, f.freq, f.start, f.end, highlight=f.category)
    out = csv_frame(energy, dual)
    return ui.chart_result("energy", figure, out, ui.source_line(out, SOURCE))
