"""Overview: China–Russia trade from China customs headline figures, and Comtrade's all-goods flows."""
from __future__ import annotations

from typing import Any

import dash
from dash import callback, html

from dashboard import components as ui
from dashboard import figures, filters, ids, queries

dash.register_page(__name__, path="/", name="Overview", order=0, title="Chokepoint — Overview")

KEYS = ("years", "freq", "reporter")
DEFAULTS = filters.Filters(start=2013, end=2024, freq="M")
REPORTERS = (filters.CHINA, filters.RUSSIA)
LABEL_YEAR = 2023  # the seed article's "high of USD 240 billion in 2023"
HEADLINE_SOURCE = ("China customs (GACC) annual figures as reported in the press, one source URL per year "
                   "(see the CSV); blank years were not found and stay gaps")


def layout(**query: str) -> html.Div:
    f = filters.parse(query, DEFAULTS, reporters=REPORTERS)
    chart, kpis = headline()
    return html.Div([
        ui.page_header("China–Russia trade", "How big is trade between China and Russia, and how did it change "
                       "after February 2022? Annual headline figures from China customs, with the sanctions "
                       "timeline; monthly detail from UN Comtrade when loaded."),
        html.Div(kpis, id=ids.OVERVIEW_KPIS),
        ui.chart_card("headline", "Annual trade, 2013–2024 (USD bn)",
                      "China's exports and imports stacked where the split is known; total as a line; "
                      "◆ = sanctions and export-control events (hover)", chart),
        ui.filter_bar(ui.years_control(f), ui.freq_control(f),
                      ui.country_control("reporter", "Reporter", f.reporter, REPORTERS)),
        ui.chart_card("flows", "All goods by period, as reported (UN Comtrade, HS TOTAL)",
                      "China's figures, or Russia's own (mirror, up to 2021) — never blended"),
    ])


def headline() -> tuple[Any, Any]:
    """The headline chart (as a chart_result) and the KPI cards, from the bundled figures."""
    frame = queries.cached_query("headline_trade")
    if frame.empty:
        return ui.chart_result("headline", None, frame, "", "No headline figures: run `python -m etl init`."), None
    figure = figures.headline_figure(frame, queries.cached_query("dash_events"), label_year=LABEL_YEAR)
    result = ui.chart_result("headline", figure, frame, ui.source_line(frame, HEADLINE_SOURCE))
    return result, ui.kpi_cards(figures.headline_kpis(frame))


def flow_labels(reporter: int) -> dict[str, str]:
    if reporter == filters.RUSSIA:
        return {"X": "Russia → China (Russia's exports, mirror)", "M": "China → Russia (Russia's imports, mirror)"}
    return {"X": "China → Russia (China's exports)", "M": "Russia → China (China's imports)"}


@callback(ui.chart_outputs("flows"), ui.filter_inputs(KEYS))
def update_flows(years: list[int] | None, freq: str | None, reporter: int | None) -> tuple[Any, ...]:
    """All-goods flows between China and Russia as one reporter reports them."""
    f = filters.with_partner(filters.from_controls({"years": years, "freq": freq, "reporter": reporter},
                                                   DEFAULTS))
    frame = f.within(queries.cached_query("dash_total_flows", reporter=f.reporter, partner=f.partner, freq=f.freq,
                                       **filters.EVERY_PERIOD))
    reporter_name = filters.country_name(f.reporter)
    source = ui.source_line(frame, f"UN Comtrade, {reporter_name} as reporter, HS TOTAL")
    if frame.empty:
        return ui.chart_result("flows", None, frame, source, ui.no_data_message())
    figure = figures.flows_figure(frame, f.freq, f.start, f.end, flow_labels(f.reporter),
                                  queries.cached_query("dash_events"))
    out = frame.assign(reporter_code=f.reporter, partner_code=f.partner)
    return ui.chart_result("flows", figure, out[["reporter_code", "partner_code", "flow", "period", "value_usd",
                                                 "source", "retrieved_at"]], source)

