"""Suppliers: CHPL goods exported to Russia by China and the other suppliers, as each reports them."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import callback, dcc, html

from dashboard import components as ui
from dashboard import figures, filters, ids, queries

dash.register_page(__name__, path="/suppliers", name="Suppliers", order=3, title="Chokepoint — Suppliers")

KEYS = ("years", "freq", "view", "category", "reporter")
DEFAULTS = filters.Filters(start=2019, end=2024)
SOURCE = "UN Comtrade, each supplier as reporter: exports to Russia (643) of CHPL codes"
PREDECESSORS = "Before 2022, tiers include HS 2017 predecessors of the codes new in HS 2022 (some broader)."


def highlight_control(query: dict[str, str]) -> dbc.Col:
    """'Highlight' a supplier (URL key `reporter`); empty by default, so every supplier is drawn alike."""
    raw = str(query.get("reporter", ""))
    chosen = int(raw) if raw.isdigit() and int(raw) in filters.SUPPLIERS else None
    options = [{"label": filters.country_name(c), "value": c} for c in filters.SUPPLIERS]
    dropdown = dcc.Dropdown(id=ids.filter_id("reporter"), options=options, value=chosen, clearable=True,
                            placeholder="None", searchable=False)
    return dbc.Col([dbc.Label("Highlight", className="filter-label"), dropdown], xs=6, md=3, lg=2)


def layout(**query: str) -> html.Div:
    f = filters.parse(query, DEFAULTS, categories=filters.CHPL_TIERS)
    return html.Div([
        ui.page_header("Suppliers of CHPL goods to Russia", "Who supplies Russia with the Common High Priority "
                       "List items — China, Hong Kong, Türkiye, Kazakhstan, Kyrgyzstan, Armenia, the UAE, India — "
                       "how much, what share, and how that changed against 2021."),
        ui.filter_bar(ui.years_control(f), ui.freq_control(f), ui.view_control(f),
                      ui.category_control(f, filters.CHPL_TIERS, clearable=True, placeholder="All CHPL tiers"),
                      highlight_control(query)),
        ui.note("Each supplier's own export figures (never Russia's import figures). " + PREDECESSORS),
        ui.chart_card("suppliers-values", "CHPL exports to Russia by supplier"),
        dbc.Row([dbc.Col(ui.chart_card("suppliers-shares", "Shares of the suppliers shown",
                                       "100% = the suppliers that reported for the period"), lg=6),
                 dbc.Col(ui.chart_card("suppliers-tiers", "By CHPL tier in the last selected year"), lg=6)]),
        ui.chart_card("suppliers-table", "Change against 2021, to the last selected year"),
    ])


def _base(f: filters.Filters) -> dict[str, object]:
    return {"partner": filters.RUSSIA, "flow": "X", "freq": f.freq}


def _values(frame: pd.DataFrame, f: filters.Filters, source: str,
            highlight: str | None) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    if frame.empty:
        empty = ui.chart_result("", None, frame, source, ui.no_data_message())
        return empty, empty
    lines = figures.series_figure(frame, f.freq, f.start, f.end, f.view, series="reporter", highlight=highlight)
    values = ui.chart_result("suppliers-values", lines, figures.with_index(frame, "reporter"), source)
    shared = figures.shares(frame)
    share = ui.chart_result("suppliers-shares", figures.share_figure(shared, f.freq, f.start, f.end), shared, source)
    return values, share


def _table(frame: pd.DataFrame, f: filters.Filters, source: str) -> tuple[Any, ...]:
    if frame.empty:
        return ui.chart_result("suppliers-table", None, frame, source, ui.no_data_message())
    table = figures.change_table(frame, ["reporter_code", "reporter"], f.end)
    table = table.sort_values("value_latest", ascending=False, na_position="last")
    columns = [ui.text_column("reporter", "Supplier", 150, 2), ui.number_column("value_base", "2021, USD"),
               ui.number_column("value_latest", f"{f.end}, USD"),
               ui.number_column("change_pct", "Change vs 2021", 1, "%"),
               ui.number_column("share_latest_pct", f"Share {f.end}", 1, "%")]
    grid = ui.data_grid(ids.SUPPLIERS_TABLE, ui.records(table), columns, page_size=20)
    out = table.assign(source=frame["source"].max(), retrieved_at=frame["retrieved_at"].max())
    return ui.chart_result("suppliers-table", grid, out, source)


def _tiers(f: filters.Filters, source: str) -> tuple[Any, ...]:
    last = replace(f, start=f.end)  # one year, so tiers are not summed across years
    frame = queries.run_query("dash_supplier_tiers", **_base(f), **last.bounds())
    if frame.empty:
        return ui.chart_result("suppliers-tiers", None, frame, source, ui.no_data_message())
    return ui.chart_result("suppliers-tiers", figures.tier_figure(frame), frame, ui.source_line(frame, SOURCE))


@callback(ui.chart_outputs("suppliers-values") + ui.chart_outputs("suppliers-shares")
          + ui.chart_outputs("suppliers-table") + ui.chart_outputs("suppliers-tiers"), ui.filter_inputs(KEYS))
def update(years: list[int] | None, freq: str | None, view: str | None, category: str | None,
           reporter: int | None) -> tuple[Any, ...]:
    f = filters.from_controls({"years": years, "freq": freq, "view": view, "category": category}, DEFAULTS,
                              filters.CHPL_TIERS)
    frame = queries.run_query("dash_supplier_series", category=f.category, **_base(f), **f.bounds())
    source = ui.source_line(frame, SOURCE)
    highlight = filters.country_name(reporter) if reporter in filters.SUPPLIERS else None
    values, share = _values(frame, f, source, highlight)
    return (*values, *share, *_table(frame, f, source), *_tiers(f, source))
