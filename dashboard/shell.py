"""The page shell: navbar, freshness banner, shared filter store and the page container."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids, queries


def navbar() -> dbc.Navbar:
    links = [dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
             for page in dash.page_registry.values()]
    return dbc.Navbar(dbc.Container([dbc.NavbarBrand("Chokepoint", href="/"), dbc.Nav(links, navbar=True)]),
                      color="dark", dark=True, className="mb-3")


def freshness_banner() -> html.Div:
    """When each source last loaded; says what to run when nothing is there."""
    try:
        fresh = queries.run_query("freshness")
    except Exception:  # noqa: BLE001 - a missing/locked database must still render the shell
        return html.Div(dbc.Alert("The database cannot be read. Run `python -m etl init`.", color="danger"),
                        id=ids.FRESHNESS)
    if fresh.empty:
        text = "No data loaded yet. Run `python -m etl init`."
    else:
        text = " · ".join(f"{r.source}: {r.last_ok}" for r in fresh.itertuples())
        text = f"Last loaded — {text}"
    return html.Div(html.Small(text, className="text-muted"), id=ids.FRESHNESS, className="mb-2")


def layout() -> html.Div:
    return html.Div([
        navbar(),
        dbc.Container([freshness_banner(), dcc.Store(id=ids.FILTER_STORE, storage_type="memory"),
                       dash.page_container], fluid=True),
    ])
