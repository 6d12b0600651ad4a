"""Reusable layout pieces: chart cards with their own CSV download, KPI cards, filter controls, empty states."""
from __future__ import annotations

from typing import Any, Sequence

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import MATCH, Input, Output, State, callback, dcc, html, no_update

from dashboard import export, figures, ids, queries
from dashboard.filters import CATEGORIES, COUNTRIES, FIRST_YEAR, LAST_YEAR, Filters

NO_HS_DATA = ("No HS-level data yet: run `python -m etl refresh` (needs internet) or "
              "`python -m etl import FILE` (a UN Comtrade CSV download).")
NO_SELECTION = "No rows for this selection: widen the years, or change the frequency or flow."
GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}
CATEGORY_LABELS = {
    "integrated_circuits": "Integrated circuits (8542)", "semiconductors": "Chips: discrete semiconductors (8541)",
    "machine_tools": "Machine tools (8456–8463, 8466)", "optics": "Optics (9001, 9002, 9005, 9013, 9014)",
    "chpl_tier_1": "CHPL Tier 1", "chpl_tier_2": "CHPL Tier 2", "chpl_tier_3a": "CHPL Tier 3.A",
    "chpl_tier_3b": "CHPL Tier 3.B", "chpl_tier_4a": "CHPL Tier 4.A", "chpl_tier_4b": "CHPL Tier 4.B",
    "crude_oil": "Crude oil (2709)", "coal": "Coal (2701)", "natural_gas": "Natural gas (271111, 271121)",
    "refined_oil": "Refined oil products (2710)",
}


# --- charts -------------------------------------------------------------------------------------------------

def chart_card(chart: str, title: str, subtitle: str | None = None,
               initial: tuple[Any, Any, str, bool] | None = None) -> dbc.Card:
    """A card: title, CSV button, the chart (or its empty state), and a line naming the source.

    `initial` (a chart_result) fills the card at layout time; otherwise a page callback fills it.
    """
    body, payload, source, disabled = initial if initial is not None else (None, None, "", True)
    header = html.Div([
        html.Div([html.H5(title, className="card-title mb-0"),
                  html.Small(subtitle, className="text-muted") if subtitle else None]),
        dbc.Button([html.Span("⬇", className="me-1"), "CSV"], id=ids.chart_id(ids.CHART_CSV, chart),
                   color="light", size="sm", className="chart-csv-button", title="Download the numbers as CSV",
                   disabled=disabled),
    ], className="d-flex justify-content-between align-items-start gap-2")
    return dbc.Card([
        dbc.CardHeader(header, className="bg-white border-0 pb-0"),
        dbc.CardBody(dcc.Loading(html.Div(body, id=ids.chart_id(ids.CHART_BODY, chart), className="chart-body"),
                                 type="dot", delay_show=300)),
        dbc.CardFooter(html.Small(source, id=ids.chart_id(ids.CHART_SOURCE, chart),
                                  className="text-muted source-line"), className="bg-white border-0 pt-0"),
        dcc.Store(id=ids.chart_id(ids.CHART_DATA, chart), data=payload),
        dcc.Download(id=ids.chart_id(ids.CHART_DOWNLOAD, chart)),
    ], className="chart-card shadow-sm mb-3")


def chart_outputs(chart: str) -> list[Output]:
    """The outputs a page callback fills for one chart card: body, CSV payload, source line, CSV button state."""
    return [Output(ids.chart_id(ids.CHART_BODY, chart), "children"),
            Output(ids.chart_id(ids.CHART_DATA, chart), "data"),
            Output(ids.chart_id(ids.CHART_SOURCE, chart), "children"),
            Output(ids.chart_id(ids.CHART_CSV, chart), "disabled")]


def chart_result(chart: str, content: figures.Figure | go.Figure | Any | None, frame: pd.DataFrame, source: str,
                 empty: str = NO_HS_DATA) -> tuple[Any, Any, str, bool]:
    """Values for chart_outputs: the figure (or a table) and its numbers; an empty state and no CSV for None."""
    if content is None:
        return empty_state(empty), None, source, True
    if isinstance(content, (figures.Figure, go.Figure)):
        plain = content.to_plotly_json() if isinstance(content, figures.Figure) else content
        content = dcc.Graph(figure=plain, config=GRAPH_CONFIG, className="chart-graph",
                            id=ids.chart_id(ids.GRAPH, chart))
    return content, chart_payload(frame, f"chokepoint_{chart}"), source, False


def chart_payload(frame: pd.DataFrame, filename: str) -> dict[str, Any]:
    """export.chart_payload's store (file name, columns, rows as lists, NULL as None), built column-wise:
    the same content at a fraction of the cost of a Python call per cell."""
    columns = [_plain_values(frame[c]) for c in frame.columns]
    return {"filename": export.safe_filename(filename), "columns": [str(c) for c in frame.columns],
            "rows": [list(row) for row in zip(*columns)]}


def _plain_values(column: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values: numbers as int/float, NULL (NaN, NA, None) as None."""
    values = column.tolist()
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":
        return values
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "f":
        return [None if v != v else v for v in values]  # NaN is the only value not equal to itself
    if column.dtype != object:  # text (pandas' string dtype) and nullable numbers: NULL from one vectorised mask
        return [None if missing else v for v, missing in zip(values, column.isna().tolist())]
    return [_cell(v) for v in values]


def _cell(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def data_grid(grid_id: Any, rows: list[dict[str, Any]], columns: list[dict[str, Any]], height: int | None = None,
              page_size: int = 50, fit: bool = True, block_size: int | None = None) -> dag.AgGrid:
    """An AG Grid showing rows as plain text (no HTML renderer), sortable and filterable.

    With no `height`, the grid grows with its rows (up to a page), which suits the short summary tables.
    With `block_size`, the grid holds no rows of its own (`rows` is not used): it asks the server for blocks of that
    many rows as the user scrolls (AG Grid's infinite row model: a page callback answers its getRowsRequest with
    getRowsResponse), and its sort and filter models go with every request. One request at a time, so each answer
    belongs to the request the grid is waiting for.
    """
    options: dict[str, Any] = {"animateRows": False}
    extra: dict[str, Any] = {"rowData": rows}
    if block_size:
        options |= {"cacheBlockSize": block_size, "maxConcurrentDatasourceRequests": 1}
        extra = {"rowModelType": "infinite"}
    else:
        options |= {"pagination": True, "paginationPageSize": page_size, "paginationPageSizeSelector": False}
    if height is None:
        options["domLayout"] = "autoHeight"
    return dag.AgGrid(id=grid_id, columnDefs=columns,
                      defaultColDef={"sortable": True, "resizable": True, "filter": True, "minWidth": 90},
                      dashGridOptions=options, columnSize="responsiveSizeToFit" if fit else None,
                      style={"height": f"{height}px" if height else None, "width": "100%"}, **extra)


def number_column(field: str, header: str, digits: int = 0, suffix: str = "", width: int = 130) -> dict[str, Any]:
    """A right-aligned numeric column; NULL shows as an empty cell, never 0."""
    fmt = f"params.value == null ? '' : d3.format(',.{digits}f')(params.value) + '{suffix}'"
    return {"field": field, "headerName": header, "type": "numericColumn", "filter": "agNumberColumnFilter",
            "valueFormatter": {"function": fmt}, "minWidth": width}


def text_column(field: str, header: str, width: int = 110, flex: int | None = None) -> dict[str, Any]:
    column: dict[str, Any] = {"field": field, "headerName": header, "minWidth": width}
    if flex:
        column["flex"] = flex
    return column


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Grid rows: NaN -> None so JSON carries null (an empty cell)."""
    names = [str(c) for c in frame.columns]
    return [dict(zip(names, row)) for row in zip(*(_plain_values(frame[c]) for c in frame.columns))]


def no_data_message() -> str:
    """Why a chart is empty: no HS-level data loaded at all, or none for this selection."""
    loaded = queries.cached_query("dash_trade_exists")
    return NO_SELECTION if int(loaded["has_rows"].iloc[0]) else NO_HS_DATA


def empty_state(message: str) -> dbc.Alert:
    return dbc.Alert(message, color="light", className="empty-state mb-0")


def source_line(frame: pd.DataFrame, prefix: str, column: str = "source") -> str:
    """'Source: <prefix>; loaded from <sources>, retrieved <latest>' from a frame's provenance columns."""
    if frame.empty or column not in frame:
        return f"Source: {prefix}."
    names = sorted({s for v in frame[column].tolist() if isinstance(v, str) for s in v.split(" + ")})
    times = [t for t in frame["retrieved_at"].tolist() if isinstance(t, str)] if "retrieved_at" in frame else []
    when = f", retrieved {max(times)[:10]}" if times else ""
    return f"Source: {prefix}; rows from {', '.join(names)}{when}."


@callback(Output(ids.chart_id(ids.CHART_DOWNLOAD, MATCH), "data"),
          Input(ids.chart_id(ids.CHART_CSV, MATCH), "n_clicks"),
          State(ids.chart_id(ids.CHART_DATA, MATCH), "data"),
          prevent_initial_call=True)
def download_chart(n_clicks: int | None, payload: dict[str, Any] | None) -> Any:
    """A chart's CSV button: the numbers the chart plots, with their provenance columns."""
    if not n_clicks or not payload:
        return no_update
    return {"content": export.payload_csv(payload), "filename": payload["filename"], "type": "text/csv",
            "base64": False}


# --- KPI cards and page furniture ---------------------------------------------------------------------------

def kpi_cards(kpis: Sequence[tuple[str, str, str]]) -> dbc.Row:
    cards = [dbc.Col(dbc.Card(dbc.CardBody([
        html.Div(label, className="kpi-label"), html.Div(value, className="kpi-value"),
        html.Small(detail, className="text-muted")]), className="kpi-card shadow-sm h-100"), xs=6, md=4, xl=True)
        for label, value, detail in kpis]
    return dbc.Row(cards, className="g-3 mb-3")


def page_header(title: str, lead: str) -> html.Div:
    return html.Div([html.H2(title, className="page-title"), html.P(lead, className="lead-text text-muted")],
                    className="mb-3")


def note(text: str) -> html.P:
    return html.P(text, className="small text-muted note mb-2")


# --- filter controls (ids: {"type": "filter", "key": <URL key>}) ---------------------------------------------

def _labelled(label: str, control: Any, width: dict[str, int]) -> dbc.Col:
    return dbc.Col([dbc.Label(label, className="filter-label"), control], **width)


def years_control(filters: Filters) -> dbc.Col:
    marks = {y: {"label": f"'{str(y)[2:]}"} for y in range(FIRST_YEAR, LAST_YEAR + 1, 2)}
    slider = dcc.RangeSlider(id=ids.filter_id(ids.YEARS), min=FIRST_YEAR, max=LAST_YEAR, step=1, marks=marks,
                             value=[filters.start, filters.end], allowCross=False,
                             tooltip={"placement": "bottom", "always_visible": False})
    return _labelled(f"Years", slider, {"xs": 12, "lg": 4})


def radio_control(key: str, label: str, options: Sequence[tuple[str, str]], value: str) -> dbc.Col:
    radio = dbc.RadioItems(id=ids.filter_id(key), options=[{"label": t, "value": v} for v, t in options],
                           value=value, inline=True, className="btn-group btn-group-sm filter-radio",
                           inputClassName="btn-check", labelClassName="btn btn-outline-primary",
                           labelCheckedClassName="active")
    return _labelled(label, html.Div(radio), {"xs": "auto"})


def freq_control(filters: Filters) -> dbc.Col:
    return radio_control("freq", "Frequency", (("A", "Annual"), ("M", "Monthly")), filters.freq)


def view_control(filters: Filters) -> dbc.Col:
    return radio_control("view", "Values", (("usd", "USD"), ("index", "Index 2021 = 100")), filters.view)


def flow_control(filters: Filters) -> dbc.Col:
    return radio_control("flow", "Flow (reporter's view)", (("X", "Exports"), ("M", "Imports")), filters.flow)


def category_control(filters: Filters, choices: Sequence[str] = CATEGORIES, clearable: bool = False,
                     placeholder: str = "All", label: str = "Category") -> dbc.Col:
    options = [{"label": CATEGORY_LABELS.get(c, c), "value": c} for c in choices]
    dropdown = dcc.Dropdown(id=ids.filter_id("category"), options=options, value=filters.category,
                            clearable=clearable, placeholder=placeholder, searchable=False)
    return _labelled(label, dropdown, {"xs": 12, "md": 4, "lg": 3})


def country_control(key: str, label: str, value: int, choices: Sequence[int]) -> dbc.Col:
    options = [{"label": f"{COUNTRIES[c]} ({c})", "value": c} for c in choices]
    dropdown = dcc.Dropdown(id=ids.filter_id(key), options=options, value=value, clearable=False, searchable=False)
    return _labelled(label, dropdown, {"xs": 6, "md": 3, "lg": 2})


def filter_bar(*controls: dbc.Col) -> dbc.Card:
    return dbc.Card(dbc.CardBody(dbc.Row(list(controls), className="g-3 align-items-end")),
                    className="filter-bar shadow-sm mb-3")


def filter_inputs(keys: Sequence[str]) -> list[Input]:
    """Inputs for a page callback, one per control, in `keys` order."""
    return [Input(ids.filter_id(k), "value") for k in keys]
