"""Dual-use goods: China's exports to Russia by category and by CHPL tier, an HS-6 table, events on the axis."""
from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import callback, html

from dashboard import components as ui
from dashboard import figures, filters, ids, queries

dash.register_page(__name__, path="/dual-use", name="Dual-use", order=1, title="Chokepoint — Dual-use goods")

KEYS = ("years", "freq", "view", "category", "reporter", "flow")
DEFAULTS = filters.Filters(start=2017, end=2024, category="chpl_tier_1")
CHOICES = filters.DUAL_USE + filters.CHPL_TIERS
REPORTERS = (filters.CHINA, filters.RUSSIA)
PREDECESSOR_NOTE = ("CHPL tier values before 2022 include the HS 2017 predecessors of codes that only exist "
                    "since HS 2022 (table hs_concordance); some predecessors are broader ('part'), so those "
                    "years can overstate a tier.")
EXACT_NOTE = ("A category sums exactly its own codes (a heading is never added to its subheadings). "
              "Index: the mean of 2021 = 100.")


def layout(**query: str) -> html.Div:
    f = filters.parse(query, DEFAULTS, categories=CHOICES, reporters=REPORTERS)
    return html.Div([
        ui.page_header("Dual-use goods", "Is China shipping Russia more chips, integrated circuits, machine tools "
                       "and optics than before the war? By category and by Common High Priority List tier, "
                       "against the 2021 baseline."),
        ui.filter_bar(ui.years_control(f), ui.freq_control(f), ui.view_control(f),
                      ui.category_control(f, CHOICES),
                      ui.country_control("reporter", "Reporter", f.reporter, REPORTERS), ui.flow_control(f)),
        ui.note(EXACT_NOTE),
        ui.chart_card("dual-use-categories", "By category",
                      "◆ and dotted lines: events touching the selected category's codes"),
        ui.chart_card("dual-use-tiers", "By CHPL tier", PREDECESSOR_NOTE),
        ui.chart_card("dual-use-hs6", "HS-6 codes of the selected category",
                      "Values summed over each year's periods; change vs 2021"),
    ])


def _params(f: filters.Filters) -> dict[str, object]:
    """Every period: the answer is cached and cut to the years shown (Filters.within)."""
    return {"reporter": f.reporter, "partner": f.partner, "flow": f.flow, "freq": f.freq, **filters.EVERY_PERIOD}


def _touching_events(category: str | None) -> pd.DataFrame:
    """The events touching the category's codes: the same for every visitor until the data changes, so worked
    out once per data version (both charts of the page ask for them on every filter change)."""
    def build() -> pd.DataFrame:
        codes = queries.cached_query("dash_category_codes")
        chosen = codes[codes["category"] == category]["hs_code"] if category else codes["hs_code"]
        chpl = codes[codes["kind"] == "chpl_tier"]["hs_code"]
        return figures.events_touching(queries.cached_query("dash_events"), chosen, chpl)
    return queries.per_filters(("dual-use-events", category), build)


def _series(chart: str, f: filters.Filters, kind: str, events: pd.DataFrame, source: str) -> tuple[Any, ...]:
    frame = f.within(queries.cached_query("dash_category_series", kind=kind, category=None, **_params(f)))
    if frame.empty:
        return ui.chart_result(chart, None, frame, ui.source_line(frame, source), ui.no_data_message())
    figure = figures.series_figure(frame, f.freq, f.start, f.end, f.view, events=events)
    out = figures.with_index(frame, "category")
    return ui.chart_result(chart, figure, out, ui.source_line(out, source))


def hs6_rows(frame: pd.DataFrame, end: int) -> pd.DataFrame:
    """One row per HS-6 code: description, 2021 and latest values, change; predecessors marked."""
    table = figures.change_table(frame.rename(columns={"year": "period"}), ["hs_code", "description",
                                                                             "predecessor"], end)
    provenance: dict[str, tuple[Any, Any]] = {}
    for code, source, when in zip(frame["hs_code"].tolist(), frame["source"].tolist(),
                                  frame["retrieved_at"].tolist()):
        old_source, old_when = provenance.get(code, (None, None))
        provenance[code] = (_latest(old_source, source), _latest(old_when, when))
    codes = table["hs_code"].tolist()
    return pd.DataFrame({
        "hs_code": [c if p == 0 else f"{c} (HS 2017)" for c, p in zip(codes, table["predecessor"].tolist())],
        "description": table["description"], "value_base": table["value_base"],
        "value_latest": table["value_latest"], "change_pct": table["change_pct"],
        "source": [provenance.get(c, (None, None))[0] for c in codes],
        "retrieved_at": [provenance.get(c, (None, None))[1] for c in codes]})


def _latest(a: Any, b: Any) -> Any:
    """The larger of two values, a missing one (None, NaN) ignored, as SQL MAX does."""
    if not isinstance(b, str):
        return a
    return b if not isinstance(a, str) or b > a else a


def _hs6(f: filters.Filters, source: str) -> tuple[Any, ...]:
    chart = "dual-use-hs6"
    if f.category is None:
        return ui.chart_result(chart, None, pd.DataFrame(), "", "Choose a category to list its HS-6 codes.")
    frame = f.within(queries.cached_query("dash_hs6_values", category=f.category, **_params(f)), "year")
    if frame.empty:
        return ui.chart_result(chart, None, frame, ui.source_line(frame, source), ui.no_data_message())
    table = hs6_rows(frame, f.end)
    columns = [ui.text_column("hs_code", "HS code", 130), ui.text_column("description", "Description", 260, 3),
               ui.number_column("value_base", "2021, USD"), ui.number_column("value_latest", f"{f.end}, USD"),
               ui.number_column("change_pct", "Change vs 2021", 1, "%"), ui.text_column("source", "Source", 160)]
    grid = ui.data_grid(ids.DUAL_USE_TABLE, ui.records(table), columns, page_size=20)
    return ui.chart_result(chart, grid, table, ui.source_line(frame, source))


def view(years: list[int] | None, freq: str | None, category: str | None, reporter: int | None,
         flow: str | None, view_: str | None = None) -> tuple[filters.Filters, str]:
    """The filters the controls hold, and the source line of every panel."""
    f = filters.with_partner(filters.from_controls(
        {"years": years, "freq": freq, "view": view_, "category": category, "reporter": reporter, "flow": flow},
        DEFAULTS, CHOICES))
    source = (f"UN Comtrade, {filters.country_name(f.reporter)} as reporter "
              f"({'exports to' if f.flow == 'X' else 'imports from'} {filters.country_name(f.partner)})")
    return f, source


# One callback per panel (thin callbacks: one cached query, one figure), each listening only to the controls it
# uses: a panel is drawn as soon as it is ready, the USD/index switch leaves the table alone, and a production
# server answers the panels in parallel.
DATA_KEYS = ("years", "freq", "category", "reporter", "flow")


@callback(ui.chart_outputs("dual-use-categories"), ui.filter_inputs(DATA_KEYS + ("view",)))
def update_categories(*controls: Any) -> tuple[Any, ...]:
    f, source = view(*controls)
    return _series("dual-use-categories", f, "dual_use", _touching_events(f.category), source)


@callback(ui.chart_outputs("dual-use-tiers"), ui.filter_inputs(DATA_KEYS + ("view",)))
def update_tiers(*controls: Any) -> tuple[Any, ...]:
    f, source = view(*controls)
    return _series("dual-use-tiers", f, "chpl_tier", _touching_events(f.category), source)


@callback(ui.chart_outputs("dual-use-hs6"), ui.filter_inputs(DATA_KEYS))
def update_hs6(*controls: Any) -> tuple[Any, ...]:
    f, source = view(*controls)
    return _hs6(f, source)
