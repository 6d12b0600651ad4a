"""Overview: China–Russia trade from the China customs headline figures."""
from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import figures, ids, queries

dash.register_page(__name__, path="/", name="Overview", order=0)


def layout(**_query: str) -> html.Div:
    frame = queries.run_query("headline_trade")
    return html.Div([
        html.H2("China–Russia trade, 2013–2024"),
        dcc.Graph(id=ids.OVERVIEW_GRAPH, figure=figures.headline_figure(frame)),
        html.Small("Source: China customs (GACC) annual figures as reported in the press; one source per year "
                   "in the Data page. Blank years are not found, not zero.", className="text-muted"),
    ])
