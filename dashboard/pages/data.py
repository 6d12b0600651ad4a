"""Data: the filtered trade rows in a grid that fetches them block by block, a CSV download, and the ETL status.

The grid never holds the selection: it asks for blocks of BLOCK rows as the user scrolls (AG Grid's infinite row
model), and its sort and column filters travel to the server as a small model mapped through allow-lists to bound
SQL. The selection is capped at ROW_LIMIT rows (its first rows in code and period order); sorting and filtering happen
within those rows, so every request costs at most ROW_LIMIT rows whatever the size of the table.
"""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard import components as ui
from dashboard import export, filters, ids, queries
from etl.export import EXPORT_COLUMNS

dash.register_page(__name__, path="/data", name="Data", order=5, title="Chokepoint — Data")

KEYS = ("years", "freq", "flow", "category", "reporter", "partner")
DEFAULTS = filters.Filters(start=2013, end=2024)
ROW_LIMIT = 5000
BLOCK = 100  # rows per grid request, AG Grid's default block size
MAX_BLOCK = 500  # the most rows one request may ask for (a hand-made request cannot ask for the whole cap)
NUMERIC = ("value_usd", "net_weight_kg", "qty")
# Columns the grid sorts and filters by (the SQL's allow-list); the others hold one value in any selection.
TEXT = ("period", "classification", "hs_code", "hs_description", "qty_unit", "source", "source_ref", "retrieved_at")
SORT_KEYS = 3  # sort columns honoured (shift-click adds more in the grid); the selection's order breaks ties
TEXT_PATTERNS = {"contains": "%{}%", "equals": "{}", "startsWith": "{}%", "endsWith": "%{}"}
NUMBER_OPTIONS = ("equals", "greaterThanOrEqual", "lessThanOrEqual", "inRange", "blank", "notBlank")
MAX_FILTER_TEXT = 200


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
            ui.data_grid(ids.DATA_TABLE, [], grid_columns(), height=460, fit=False, block_size=BLOCK),
            dcc.Download(id=ids.DOWNLOAD_CSV_TARGET),
        ]), className="chart-card shadow-sm mb-3"),
        dbc.Card(dbc.CardBody([html.H5("ETL status", className="card-title"),
                               html.Div(etl_status(), id=ids.DATA_STATUS)]), className="chart-card shadow-sm mb-3"),
    ])


WIDTHS = {"reporter": 120, "partner": 120, "flow": 80, "freq": 80, "period": 100, "hs_code": 100,
          "hs_description": 280, "source": 230, "source_ref": 280, "retrieved_at": 190}
TEXT_FILTER = {"filterOptions": list(TEXT_PATTERNS), "maxNumConditions": 1}
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


# --- the grid's sort and filter model -> bound parameters -------------------------------------------------

class GridView(NamedTuple):
    """The grid's sort and column filters as the binds of dash_trade_view; `plain` when it has neither.

    (A NamedTuple: Dash imports page modules without registering them, which dataclasses need.)
    """

    sort: tuple[tuple[str, str], ...] = ()
    filters: tuple[tuple[str, object], ...] = ()

    @property
    def plain(self) -> bool:
        return not self.sort and not self.filters

    def binds(self) -> dict[str, object]:
        out: dict[str, object] = {f"like_{c}": None for c in TEXT}
        for measure in NUMERIC:
            out |= {f"min_{measure}": None, f"max_{measure}": None, f"null_{measure}": None}
        for i in range(1, SORT_KEYS + 1):
            column, direction = self.sort[i - 1] if i <= len(self.sort) else (None, None)
            out |= {f"sort{i}": column, f"dir{i}": direction}
        return out | dict(self.filters)


def grid_view(request: Mapping[str, Any] | None) -> GridView:
    """The sort and filter models of a getRowsRequest, keeping only allowed columns, directions and options."""
    request = request if isinstance(request, Mapping) else {}
    sort_model = request.get("sortModel") if isinstance(request.get("sortModel"), list) else []
    sort = [(str(s.get("colId")), str(s.get("sort"))) for s in sort_model if isinstance(s, Mapping)]
    sort = [(c, d) for c, d in sort if c in TEXT + NUMERIC and d in ("asc", "desc")][:SORT_KEYS]
    model = request.get("filterModel") if isinstance(request.get("filterModel"), Mapping) else {}
    binds: dict[str, object] = {}
    for column, spec in model.items():
        if isinstance(spec, Mapping):
            binds |= text_filter(column, spec) if column in TEXT else number_filter(column, spec)
    return GridView(tuple(sort), tuple(sorted(binds.items())))


def text_filter(column: str, spec: Mapping[str, Any]) -> dict[str, object]:
    """A text column's filter as a lower-case LIKE pattern, the user's % _ and backslash matched literally."""
    pattern, text = TEXT_PATTERNS.get(str(spec.get("type"))), spec.get("filter")
    if pattern is None or not isinstance(text, str) or not text or len(text) > MAX_FILTER_TEXT:
        return {}
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return {f"like_{column}": pattern.format(escaped)}


def number_filter(column: str, spec: Mapping[str, Any]) -> dict[str, object]:
    """A measure's filter as inclusive bounds, or as 'only missing' / 'only reported'."""
    if column not in NUMERIC:
        return {}
    kind, low, high = spec.get("type"), _number(spec.get("filter")), _number(spec.get("filterTo"))
    if kind in ("blank", "notBlank"):
        return {f"null_{column}": 1 if kind == "blank" else 0}
    bounds = {"equals": (low, low), "greaterThanOrEqual": (low, None), "lessThanOrEqual": (None, low),
              "inRange": (low, high)}.get(str(kind), (None, None))
    return {k: v for k, v in ((f"min_{column}", bounds[0]), (f"max_{column}", bounds[1])) if v is not None}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


# --- queries ------------------------------------------------------------------------------------------------

def _where(f: filters.Filters) -> dict[str, object]:
    return {"reporter": f.reporter, "partner": f.partner, "flow": f.flow, "freq": f.freq, "category": f.category,
            **f.bounds()}


def selection_size(f: filters.Filters) -> int:
    """Rows in the selection, counted up to ROW_LIMIT + 1 (more than ROW_LIMIT: the selection is cut)."""
    frame = queries.cached_query("dash_trade_count", limit=ROW_LIMIT + 1, **_where(f))
    return int(frame["n_rows"].iloc[0])


def block(f: filters.Filters, view: GridView, start: int, end: int) -> tuple[pd.DataFrame, int | None]:
    """Rows start .. end - 1 of the selection as the grid sorts and filters it, and the row count if now known."""
    start = min(max(start, 0), ROW_LIMIT)
    size = min(max(end - start, 0), MAX_BLOCK, ROW_LIMIT - start)
    if view.plain:
        frame = queries.cached_query("dash_trade_block", limit=size, offset=start, **_where(f))
        return frame, min(selection_size(f), ROW_LIMIT)
    frame = queries.cached_query("dash_trade_view", cap=ROW_LIMIT, limit=size, offset=start, **_where(f),
                                 **view.binds())
    # A short block is the last one; a full one leaves the end unknown (the grid keeps asking).
    return frame, start + len(frame) if len(frame) < size or start + size >= ROW_LIMIT else None


def selection_csv(f: filters.Filters, view: GridView) -> str:
    """Every row the grid can show (at most ROW_LIMIT), in its order and filtering, as export CSV."""
    if view.plain:
        return export.query_csv("dash_trade_rows", limit=ROW_LIMIT, **_where(f))
    return export.query_csv("dash_trade_view", cap=ROW_LIMIT, limit=ROW_LIMIT, offset=0, **_where(f), **view.binds())


def _filters(values: tuple[Any, ...]) -> filters.Filters:
    return filters.from_controls(dict(zip(KEYS, values)), DEFAULTS)


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def note(size: int) -> str:
    if size > ROW_LIMIT:
        return (f"The first {ROW_LIMIT:,} rows are shown (and downloaded); narrow the filters, or run "
                f"`python -m etl export` for the whole selection.")
    return f"{size:,} rows, every source (the source column says which)."


# --- callbacks ----------------------------------------------------------------------------------------------

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
    frame, count = block(f, grid_view(request), start, _int(request.get("endRow"), start + BLOCK))
    answer: dict[str, Any] = {"rowData": ui.records(frame[list(EXPORT_COLUMNS)])}
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


@callback(Output(ids.DOWNLOAD_CSV_TARGET, "data"), Input(ids.DOWNLOAD_CSV, "n_clicks"),
          State(ids.DATA_TABLE, "getRowsRequest"), *FILTER_STATE, prevent_initial_call=True)
def download(n_clicks: int | None, request: Mapping[str, Any] | None, *values: Any) -> Any:
    """Exactly the rows the grid shows, in its order and filtering (its last request's models), as export CSV."""
    if not n_clicks:
        return no_update
    content = selection_csv(_filters(values), grid_view(request))
    return {"content": content, "filename": "chokepoint_trade.csv", "type": "text/csv",
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
