"""Data: the filtered trade rows in a grid that fetches them block by block, a CSV download, and the ETL status.

The grid never holds the selection: it asks for blocks of BLOCK rows as the user scrolls (AG Grid's infinite row
model), and its sort and column filters travel to the server as a small model checked against allow-lists
(dashboard.grid_view). The selection is capped at ROW_LIMIT rows (its first rows in code and period order); sorting
and filtering happen within those rows (dashboard.data_rows), so every request costs at most ROW_LIMIT rows whatever
the size of the table. The CSV is a plain link to a server route, kept current with the page filters and the grid's
models by a clientside callback.
"""
from __future__ import annotations

from typing import Any, Mapping

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, html

from dashboard import components as ui
from dashboard import filters, ids, queries
from dashboard.data_rows import BLOCK, CSV_NAME, CSV_PATH, DEFAULTS, KEYS, ROW_LIMIT, block, download_query, \
    selection_size
from dashboard.grid_view import NUMBER_OPTIONS, NUMERIC, TEXT, TEXT_OPTIONS, grid_view
from etl.export import EXPORT_COLUMNS

dash.register_page(__name__, path="/data", name="Data", order=5, title="Chokepoint — Data")


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
                      dbc.Button("Download CSV", id=ids.DOWNLOAD_CSV, color="primary", size="sm",
                                 href=dash.get_relative_path(CSV_PATH) + download_query(f), external_link=True,
                                 download=CSV_NAME)],
                     className="d-flex justify-content-between align-items-center mb-2"),
            html.Div(id=ids.DATA_NOTE, className="small text-muted mb-2"),
            ui.data_grid(ids.DATA_TABLE, [], grid_columns(), height=460, fit=False, block_size=BLOCK),
        ]), className="chart-card shadow-sm mb-3"),
        dbc.Card(dbc.CardBody([html.H5("ETL status", className="card-title"),
                               html.Div(etl_status(), id=ids.DATA_STATUS)]), className="chart-card shadow-sm mb-3"),
    ])


WIDTHS = {"reporter": 120, "partner": 120, "flow": 80, "freq": 80, "period": 100, "hs_code": 100,
          "hs_description": 280, "source": 230, "source_ref": 280, "retrieved_at": 190}
TEXT_FILTER = {"filterOptions": list(TEXT_OPTIONS), "maxNumConditions": 1}
NUMBER_FILTER = {"filterOptions": list(NUMBER_OPTIONS), "maxNumConditions": 1, "inRangeInclusive": True}


def grid_columns() -> list[dict[str, Any]]:
    """The export columns, in order; measures right-aligned with NULL shown as an empty cell. Only the columns the
    server sorts and filters by offer it."""
    columns = []
    for name in EXPORT_COLUMNS:
        if name in NUMERIC:
            column = ui.number_column(name, name, 0, "", 120) | {"filterParams": NUMBER_FILTER}
        elif name in TEXT:
            column = ui.text_column(name, name, 80) | {"filter": "agTextColumnFilter", "filterParams": TEXT_FILTER}
        else:
            column = ui.text_column(name, name, 80) | {"sortable": False, "filter": False}
        columns.append(column | {"width": WIDTHS.get(name, 140 if name in NUMERIC else 125)})
    return columns


# --- callbacks ----------------------------------------------------------------------------------------------

def _filters(values: tuple[Any, ...]) -> filters.Filters:
    return filters.from_controls(dict(zip(KEYS, values)), DEFAULTS)


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def note(size: int) -> str:
    if size > ROW_LIMIT:
        return (f"The first {ROW_LIMIT:,} rows are shown (and downloaded); narrow the filters, or run "
                f"`python -m etl export` for the whole selection.")
    return f"{size:,} rows, every source (the source column says which)."


FILTER_STATE = [State(ids.filter_id(k), "value") for k in KEYS]


@callback(Output(ids.DATA_TABLE, "getRowsResponse"), Output(ids.DATA_NOTE, "children"),
          Input(ids.DATA_TABLE, "getRowsRequest"), *FILTER_STATE, prevent_initial_call=True)
def rows(request: Mapping[str, Any] | None, *values: Any) -> tuple[dict[str, Any], Any]:
    """One block the grid asks for (when the page opens, the user scrolls, sorts, filters a column or the page)."""
    f = _filters(values)
    size = selection_size(f)
    if size == 0:
        return {"rowData": [], "rowCount": 0}, ui.empty_state(ui.no_data_message())
    request = request if isinstance(request, Mapping) else {}
    start = _int(request.get("startRow"), 0)
    rows, count = block(f, grid_view(request), start, _int(request.get("endRow"), start + BLOCK))
    answer: dict[str, Any] = {"rowData": rows}  # each row holds the export columns, in order
    # A full block of a sorted or filtered view leaves the end unknown: without a row count the grid keeps asking.
    return answer | ({"rowCount": count} if count is not None else {}), note(size)


# A page filter changed: back to the top, and the grid asks again for the blocks it shows (answered by `rows`).
# The grid's scrollTo is named as the output only so the callback belongs to this page; it is never written.
clientside_callback(
    """function () {
        try {
            const api = dash_ag_grid.getApi('%s');
            api.ensureIndexVisible(0);
            api.purgeInfiniteCache();
        } catch (e) { /* the grid is not drawn yet: it asks for its first block when it is */ }
        return window.dash_clientside.no_update;
    }""" % ids.DATA_TABLE,
    Output(ids.DATA_TABLE, "scrollTo"), ui.filter_inputs(KEYS), prevent_initial_call=True)


# The CSV link follows the page filters (in the page URL's form) and the grid's sort and filter models (its last
# request's, compacted to what the server reads), so a click downloads exactly the rows the grid shows.
clientside_callback(
    """function (years, freq, flow, category, reporter, partner, request, href) {
        const query = new URLSearchParams();
        if (Array.isArray(years) && years.length === 2) {
            query.append('from', years[0]);
            query.append('to', years[1]);
        }
        for (const [key, value] of [['freq', freq], ['flow', flow], ['category', category],
                                    ['reporter', reporter], ['partner', partner]]) {
            if (value !== null && value !== undefined && value !== '') { query.append(key, value); }
        }
        const sort = ((request && request.sortModel) || []).map(s => ({colId: s.colId, sort: s.sort}));
        const filter = {};
        for (const [column, spec] of Object.entries((request && request.filterModel) || {})) {
            filter[column] = {type: spec.type, filter: spec.filter, filterTo: spec.filterTo};
        }
        if (sort.length || Object.keys(filter).length) {
            query.append('view', JSON.stringify({sortModel: sort, filterModel: filter}));
        }
        return (href || '').split('?')[0] + '?' + query.toString();
    }""",
    Output(ids.DOWNLOAD_CSV, "href"), *ui.filter_inputs(KEYS), Input(ids.DATA_TABLE, "getRowsRequest"),
    State(ids.DOWNLOAD_CSV, "href"), prevent_initial_call=True)


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
