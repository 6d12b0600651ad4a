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


SERIES_COLUMNS = ["reporter_code", "reporter", "period", "value_usd", "codes_reported", "source", "retrieved_at"]
TIER_KEY = ("reporter_code", "reporter", "category", "label")
TIER_COLUMNS = [*TIER_KEY, "value_usd", "periods_reported", "source", "retrieved_at"]


def tier_series(f: filters.Filters) -> pd.DataFrame:
    """Each supplier's CHPL exports per tier (and over every tier: category None) and period, in the years shown.

    One query per frequency serves all four panels whatever the tier, years or view: it is cached per data
    version, so a filter change is answered from memory.
    """
    return f.within(queries.cached_query("dash_supplier_tier_series", **_base(f), **filters.EVERY_PERIOD))


def supplier_series(rows: pd.DataFrame, category: str | None) -> pd.DataFrame:
    """One tier's (or, for None, every tier's) values per supplier and period."""
    chosen = rows[rows["category"] == category] if category else rows[rows["category"].isna()]
    return chosen[SERIES_COLUMNS].reset_index(drop=True)


def _sources(values: list[object]) -> str | None:
    """'a' or 'a + b' (first and last name), as the queries write a mix of sources."""
    names = sorted({n for v in values if isinstance(v, str) for n in v.split(" + ")})
    return None if not names else names[0] if len(names) == 1 else f"{names[0]} + {names[-1]}"


def tiers_in_year(rows: pd.DataFrame, year: int) -> pd.DataFrame:
    """Each supplier's exports by tier summed over one year's periods (tiers are never summed across years)."""
    last = rows[rows["category"].notna() & (rows["period"].astype(str).str[:4] == str(year))]
    groups: dict[tuple[object, ...], list[Any]] = {}
    for key, value, count, source, when in zip(zip(*(last[k].tolist() for k in TIER_KEY)), last["value_usd"].tolist(),
                                               last["codes_reported"].tolist(), last["source"].tolist(),
                                               last["retrieved_at"].tolist()):
        total, counted, sources, latest = groups.get(key, [None, 0, [], None])
        known = value is not None and value == value  # NaN is not reported, never 0
        groups[key] = [(total or 0.0) + value if known else total, counted + int(count or 0), sources + [source],
                       max(latest, when) if latest and when else latest or when]
    table = [(*k, total, counted, _sources(sources), when) for k, (total, counted, sources, when) in groups.items()]
    return pd.DataFrame(sorted(table, key=lambda r: (r[0], str(r[2]))), columns=TIER_COLUMNS)


def _values(frame: pd.DataFrame, f: filters.Filters, source: str, highlight: str | None) -> tuple[Any, ...]:
    if frame.empty:
        return ui.chart_result("suppliers-values", None, frame, source, ui.no_data_message())
    lines = figures.series_figure(frame, f.freq, f.start, f.end, f.view, series="reporter", highlight=highlight)
    return ui.chart_result("suppliers-values", lines, figures.with_index(frame, "reporter"), source)


def _shares(frame: pd.DataFrame, f: filters.Filters, source: str) -> tuple[Any, ...]:
    if frame.empty:
        return ui.chart_result("suppliers-shares", None, frame, source, ui.no_data_message())
    shared = figures.shares(frame)
    return ui.chart_result("suppliers-shares", figures.share_figure(shared, f.freq, f.start, f.end), shared, source)


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


def _tiers(rows: pd.DataFrame, f: filters.Filters, source: str) -> tuple[Any, ...]:
    frame = tiers_in_year(rows, f.end)
    if frame.empty:
        return ui.chart_result("suppliers-tiers", None, frame, source, ui.no_data_message())
    return ui.chart_result("suppliers-tiers", figures.tier_figure(frame), frame, ui.source_line(frame, SOURCE))


def view(years: list[int] | None, freq: str | None, category: str | None, view_: str | None = None
         ) -> tuple[filters.Filters, pd.DataFrame, pd.DataFrame, str]:
    """The filters, every tier's rows in the years shown, the chosen tier's series and its source line."""
    f = filters.from_controls({"years": years, "freq": freq, "view": view_, "category": category}, DEFAULTS,
                              filters.CHPL_TIERS)

    def build() -> tuple[pd.DataFrame, pd.DataFrame, str]:
        rows = tier_series(f)
        frame = supplier_series(rows, f.category)
        return rows, frame, ui.source_line(frame, SOURCE)
    # Three panels ask for the same cut on every filter change: worked out once per filter choice and data version.
    rows, frame, source = queries.per_filters(("suppliers", f.freq, f.start, f.end, f.category), build)
    return f, rows, frame, source


# One callback per panel (thin callbacks: one cached query, one figure), each listening only to the controls it
# uses: a panel is drawn as soon as it is ready, the highlight or the USD/index switch redraws one panel, and a
# production server answers the panels in parallel.
DATA_KEYS = ("years", "freq", "category")


@callback(ui.chart_outputs("suppliers-values"), ui.filter_inputs(DATA_KEYS + ("view", "reporter")))
def update_values(years: list[int] | None, freq: str | None, category: str | None, view_: str | None,
                  reporter: int | None) -> tuple[Any, ...]:
    f, _rows, frame, source = view(years, freq, category, view_)
    highlight = filters.country_name(reporter) if reporter in filters.SUPPLIERS else None
    return _values(frame, f, source, highlight)


@callback(ui.chart_outputs("suppliers-shares"), ui.filter_inputs(DATA_KEYS))
def update_shares(years: list[int] | None, freq: str | None, category: str | None) -> tuple[Any, ...]:
    f, _rows, frame, source = view(years, freq, category)
    return _shares(frame, f, source)


@callback(ui.chart_outputs("suppliers-table"), ui.filter_inputs(DATA_KEYS))
def update_table(years: list[int] | None, freq: str | None, category: str | None) -> tuple[Any, ...]:
    f, _rows, frame, source = view(years, freq, category)
    return _table(frame, f, source)


@callback(ui.chart_outputs("suppliers-tiers"), ui.filter_inputs(DATA_KEYS))
def update_tiers(years: list[int] | None, freq: str | None, category: str | None) -> tuple[Any, ...]:
    f = filters.from_controls({"years": years, "freq": freq, "category": category}, DEFAULTS, filters.CHPL_TIERS)
    last = replace(f, start=f.end)  # every tier in the last year shown: the only rows the panel reads
    return _tiers(tier_series(last), f, f"Source: {SOURCE}.")
