"""Data: the filtered trade rows as a table with a CSV download, and the ETL status."""
from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import components as ui
from dashboard import export, filters, ids, queries
from etl.export import EXPORT_COLUMNS

dash.register_page(__name__, path="/data", name="Data", order=5, title="Chokepoint — Data")

KEYS = ("years", "freq", "flow", "category", "reporter", "partner")
DEFAULTS = filters.Filters(start=2013, end=2024)
ROW_LIMIT = 5000
NUMERIC = ("value_usd", "net_weight_kg", "qty")


def layout(**query: str) -> html.Div:
    f = filters.parse(query, DEFAULTS)
    codes = tuple(filters.COUNTRIES)
    return html.Div([
        ui.page_header("Data", "The trade rows behind the charts, with where each came from, and the state of "
                       "the ETL. The CSV has the same columns as `python -m etl export`."),
        ui.filter_bar(ui.years_control(f), ui.freq_control(f), ui.flow_control(f),
                      ui.category_control(f, clearable=True, placeholder="All codes"),
                      ui.country_control("reporter", "Reporter", f.reporter, codes),
                      ui.country_control("partner", "Partner", f.partner, codes)),
        dbc.Card(dbc.CardBody([
            html.Div([html.H5("Trade rows", className="card-title mb-0"),
                      dbc.Button("Download CSV", id=ids.DOWNLOAD_CSV, color="primary", size="sm")],
                     className="d-flex justify-content-between align-items-center mb-2"),
            html.Div(id=ids.DATA_NOTE, className="small text-muted mb-2"),
            ui.data_grid(ids.DATA_TABLE, [], grid_columns(), height=460, page_size=100, fit=False),
            dcc.Download(id=ids.DOWNLOAD_CSV_TARGET),
        ]), className="chart-card shadow-sm mb-3"),
        dbc.Card(dbc.CardBody([html.H5("ETL status", className="card-title"),
                               html.Div(etl_status(), id=ids.DATA_STATUS)]), className="chart-card shadow-sm mb-3"),
    ])


WIDTHS = {"reporter": 120, "partner": 120, "flow": 80, "freq": 80, "period": 100, "hs_code": 100,
          "hs_description": 280, "source": 230, "source_ref": 280, "retrieved_at": 190}


def grid_columns() -> list[dict[str, Any]]:
    """The export columns, in order; measures right-aligned with NULL shown as an empty cell."""
    columns = []
    for name in EXPORT_COLUMNS:
        column = (ui.number_column(name, name, 0, "", 120) if name in NUMERIC
                  else ui.text_column(name, name, 80))
        columns.append(column | {"width": WIDTHS.get(name, 140 if name in NUMERIC else 125)})
    return columns


def selection(f: filters.Filters) -> tuple[pd.DataFrame, bool]:
    """The selected rows (at most ROW_LIMIT) and whether the selection had more."""
    frame = queries.cached_query("dash_trade_rows", reporter=f.reporter, partner=f.partner, flow=f.flow, freq=f.freq,
                              category=f.category, limit=ROW_LIMIT + 1, **f.bounds())
    return frame.head(ROW_LIMIT), len(frame) > ROW_LIMIT


@callback(Output(ids.DATA_TABLE, "rowData"), Output(ids.DATA_NOTE, "children"), ui.filter_inputs(KEYS))
def update(years: list[int] | None, freq: str | None, flow: str | None, category: str | None,
           reporter: int | None, partner: int | None) -> tuple[Any, Any]:
    f = filters.from_controls({"years": years, "freq": freq, "flow": flow, "category": category,
                               "reporter": reporter, "partner": partner}, DEFAULTS)
    frame, more = selection(f)
    if frame.empty:
        return [], ui.empty_state(ui.no_data_message())
    text = f"{len(frame):,} rows, every source (the source column says which)."
    if more:
        text = (f"The first {ROW_LIMIT:,} rows are shown (and downloaded); narrow the filters, or run "
                f"`python -m etl export` for the whole selection.")
    return ui.records(frame[list(EXPORT_COLUMNS)]), text


@callback(Output(ids.DOWNLOAD_CSV_TARGET, "data"), Input(ids.DOWNLOAD_CSV, "n_clicks"),
          State(ids.DATA_TABLE, "virtualRowData"), prevent_initial_call=True)
def download(n_clicks: int | None, rows: list[dict[str, Any]] | None) -> Any:
    """Exactly the rows the grid shows (after its own sorting and filtering), with the export columns."""
    if not n_clicks:
        return no_update
    return {"content": export.trade_csv(rows or []), "filename": "chokepoint_trade.csv", "type": "text/csv",
            "base64": False}


def etl_status() -> Any:
    """Per source: runs, failures, rows loaded, the last run and the last success; then the latest runs."""
    sources = queries.run_query("dash_etl_sources")
    if sources.empty:
        return ui.empty_state("No ETL run recorded: run `python -m etl init`.")
    header = ["Source", "Runs", "Failures", "Rows inserted", "Rows updated", "Rows rejected", "Last run",
              "Last status", "Last success"]
    body = [html.Tr([html.Td(r.source), html.Td(r.runs), html.Td(r.failures), html.Td(_count(r.rows_inserted)),
                     html.Td(_count(r.rows_updated)), html.Td(_count(r.rows_rejected)), html.Td(_when(r.last_started)),
                     html.Td(r.last_status), html.Td(_when(r.last_ok))]) for r in sources.itertuples()]
    return html.Div([_table(header, body), html.H6("Latest runs", className="mt-3"), latest_runs()])


def latest_runs(limit: int = 10) -> Any:
    runs = queries.run_query("status_runs", limit=limit)
    header = ["Run", "Source", "Started", "Status", "Inserted", "Updated", "Rejected", "Message"]
    body = [html.Tr([html.Td(r.id), html.Td(r.source), html.Td(_when(r.started_at)), html.Td(r.status),
                     html.Td(_count(r.rows_inserted)), html.Td(_count(r.rows_updated)),
                     html.Td(_count(r.rows_rejected)), html.Td(_short(r.message))]) for r in runs.itertuples()]
    return _table(header, body)


def _table(header: list[str], body: list[Any]) -> dbc.Table:
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
                     hover=True, responsive=True, className="status-table mb-0")


def _short(message: object, size: int = 160) -> str:
    text = "" if message is None or pd.isna(message) else str(message)  # type: ignore[arg-type]
    return text if len(text) <= size else text[:size - 1] + "…"


def _count(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{int(value):,}"  # type: ignore[arg-type]


def _when(value: object) -> str:
    return "never" if value is None or pd.isna(value) else str(value)[:16].replace("T", " ")  # type: ignore[arg-type]
