"""The page shell: navbar, freshness banner with refresh progress, the URL <-> filters sync, the page container."""
from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, dcc, html, no_update

from dashboard import components  # noqa: F401 - importing it registers every chart's CSV download callback
from dashboard import filters, ids, queries
from etl.queries import QUERY_DIR

PROGRESS_QUERY = "refresh_progress"
POLL_MS = 10_000
MAX_SOURCES = 3  # imported files named in the banner
SOURCE_NAMES = {"reference": "Bundled reference data", "comtrade": "UN Comtrade"}


def navbar() -> dbc.Navbar:
    links = [dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
             for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0)]
    brand = dbc.NavbarBrand([html.Img(src=dash.get_asset_url("logo.svg"), height="28", alt="", className="me-2"),
                             "Chokepoint"], href="/", className="d-flex align-items-center fw-bold")
    return dbc.Navbar(dbc.Container([brand, dbc.NavbarToggler(id="navbar-toggler"),
                                     dbc.Collapse(dbc.Nav(links, navbar=True, className="ms-auto"),
                                                  id="navbar-collapse", navbar=True)], fluid=True),
                      color="primary", dark=True, className="mb-0 shadow-sm", expand="lg")


def _safe_query(name: str, **params: object) -> pd.DataFrame | None:
    """A query for the banner; None if it cannot run (no schema yet, a locked file, a query not shipped)."""
    try:
        return queries.run_query(name, **params)
    except Exception:  # noqa: BLE001 - the banner must never break the page
        return None


def banner_sources(last: dict[str, str]) -> list[str]:
    """The bundled data and Comtrade first, then the latest imports; the Data page lists every source."""
    imports = sorted((s for s in last if s not in SOURCE_NAMES), key=lambda s: last[s], reverse=True)
    return [s for s in SOURCE_NAMES if s in last] + imports[:MAX_SOURCES]


def freshness_items() -> list[Any]:
    """When each source last loaded successfully, and what to run when something is missing."""
    fresh = _safe_query("freshness")
    if fresh is None:
        return [html.Span("The database cannot be read: run `python -m etl init`.", className="text-danger")]
    items: list[Any] = [html.Span("Data freshness:", className="fw-semibold me-2")]
    last = {str(r.source): str(r.last_ok or "")[:16].replace("T", " ") for r in fresh.itertuples()}
    shown = banner_sources(last)
    for source, when in ((s, last[s]) for s in shown):
        name = SOURCE_NAMES.get(source, source)
        items.append(html.Span([html.Span(name, className="fw-semibold"), f" {when} UTC"], className="fresh-item"))
    if len(last) > len(shown):
        items.append(html.Span(f"and {len(last) - len(shown)} more on the Data page", className="fresh-item"))
    if "comtrade" not in last:
        items.append(html.Span("UN Comtrade: never refreshed — run `python -m etl refresh` (needs internet) or "
                               "`python -m etl import FILE`.", className="fresh-hint text-warning-emphasis"))
    return items


def refresh_progress() -> tuple[Any, bool]:
    """The refresh_progress row as a line (or nothing), and whether to keep polling (a refresh is running)."""
    if not (QUERY_DIR / f"{PROGRESS_QUERY}.sql").is_file():
        return None, False
    frame = _safe_query(PROGRESS_QUERY)
    if frame is None or frame.empty:
        return None, False
    row = frame.iloc[0]
    status = str(row.get("status", ""))
    done, planned = row.get("calls_done"), row.get("calls_planned")
    calls = f"{done}/{planned} calls" if planned else f"{done} calls"
    text = (f"Comtrade refresh {status}: {calls}, {row.get('rows_written')} rows written, "
            f"{row.get('retries')} retries; updated {str(row.get('updated_at') or '')[:16].replace('T', ' ')}")
    message = row.get("message")
    parts: list[Any] = [html.Span(text)]
    if isinstance(message, str) and message:
        parts.append(html.Span(f" — {message}", className="text-muted"))
    value = int(done) * 100 // int(planned) if status == "running" and planned and done is not None else None
    bar = dbc.Progress(value=value, className="refresh-bar mt-1", style={"height": "4px"}) if value is not None else None
    return html.Div(parts + [bar], className=f"refresh-status refresh-{status}"), status == "running"


def banner() -> html.Div:
    progress, running = refresh_progress()
    return html.Div(dbc.Container([
        html.Div(freshness_items(), id=ids.FRESHNESS, className="freshness d-flex flex-wrap gap-3"),
        html.Div(progress, id=ids.PROGRESS),
        dcc.Interval(id=ids.PROGRESS_POLL, interval=POLL_MS, disabled=not running),
    ], fluid=True), className="banner small py-1 mb-3")


@callback(Output(ids.PROGRESS, "children"), Output(ids.PROGRESS_POLL, "disabled"),
          Input(ids.PROGRESS_POLL, "n_intervals"), prevent_initial_call=True)
def poll_progress(_n: int | None) -> tuple[Any, bool]:
    progress, running = refresh_progress()
    return progress, not running


@callback(Output(ids.URL, "search"),
          Input({"type": ids.FILTER, "key": ALL}, "value"),
          State({"type": ids.FILTER, "key": ALL}, "id"),
          State(ids.URL, "search"),
          prevent_initial_call=True)
def sync_url(values: list[Any], control_ids: list[dict[str, str]], current: str | None) -> Any:
    """Mirror the page's filter controls into the URL query (without reloading), so a view can be shared."""
    if len(values) > 1 and len(dash.ctx.triggered) == len(values):
        # Every control "changed" at once: the page was just rendered from the URL, not edited by the user.
        # Pushing a canonical query now would add a history entry that Back could never leave.
        return no_update
    query = filters.control_query({i["key"]: v for i, v in zip(control_ids, values)}, current or "")
    return no_update if query == (current or "") else query


@callback(Output("navbar-collapse", "is_open"), Input("navbar-toggler", "n_clicks"),
          State("navbar-collapse", "is_open"), prevent_initial_call=True)
def toggle_navbar(n_clicks: int | None, is_open: bool | None) -> bool:
    return not is_open if n_clicks else bool(is_open)


def footer() -> html.Footer:
    return html.Footer(dbc.Container(html.Small(
        "Chokepoint — open-source sanctions and dual-use trade monitor. Missing figures are gaps, never zero; "
        "every chart names its source and has its own CSV.", className="text-muted"), fluid=True),
        className="py-3 mt-4 border-top")


def layout() -> html.Div:
    """The whole page; a function, so the banner is read at each page load, not at import."""
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        navbar(),
        banner(),
        dbc.Container(dash.page_container, fluid=True, className="page-body"),
        footer(),
    ])

