"""Article: a news article's text with its claims checked against the database, and the chart behind each claim."""
from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.exc import SQLAlchemyError

from dashboard import components, queries
from dashboard.article import ids, render
from dashboard.article.checked import CHART, Checked, checked, claim_outputs

dash.register_page(__name__, path="/article", name="Article", order=4, title="Chokepoint — Article")

CHART_TITLE = "The data behind the claim"
KIND_ORDER = ("money", "goods", "price", "event", "country")


def _first_claim(entries: dict[str, dict[str, Any]]) -> str | None:
    """The claim charted on arrival: the first supported money figure, else the first claim by kind."""
    ranked = sorted(entries.values(), key=lambda e: (e["verdict"] != "supported", KIND_ORDER.index(e["kind"])))
    return str(ranked[0]["id"]) if ranked else None


def _article_view(done: Checked, rows: list[dict[str, Any]]) -> html.Div:
    article, entries = done.article, done.entries
    selected = _first_claim(entries)
    initial = claim_outputs(done, selected) if selected else components.chart_result(
        CHART, None, pd.DataFrame(), "", "This article has no claims the extractor recognises.")
    store = {"article": {k: article.get(k) for k in ("id", "outlet", "url", "source_ref")}, "selected": selected}
    text = html.Article([html.H2(render.safe(article["title"]), className="article-title"),
                         render.byline(article), render.legend(),
                         html.Div(render.article_body(done.texts, done.claims, done.verdicts, selected),
                                  className="article-body")],
                        id=ids.ARTICLE_TEXT, className="article-text", **{"data-article": str(article["id"])})
    chart = html.Div(components.chart_card(CHART, CHART_TITLE, "Click a highlighted claim in the text",
                                           initial=initial), className="article-chart")
    return html.Div([
        dcc.Store(id=ids.CLAIMS_STORE, data=store),
        dbc.Row([dbc.Col(text, lg=7), dbc.Col(chart, lg=5)], className="g-4"),
        html.Hr(), render.article_list(rows, str(article["id"])),
    ])


def layout(id: str | None = None, **_query: str) -> html.Div:  # noqa: A002 - `id` is the URL key
    try:
        rows = queries.cached_query("article_list").to_dict("records")
        wanted = id or (str(rows[0]["id"]) if rows else None)
        done = checked(wanted) if wanted else None
        body = queries.per_version(("article-view", wanted), lambda: _article_view(done, rows)) if done else None
    except SQLAlchemyError:
        return html.Div(dbc.Alert("The database cannot be read: run `python -m etl init`.", color="danger"))
    header = components.page_header("Article", "A news article's claims checked against the data: figures against "
                                     "China customs, goods against UN Comtrade flows, dates against the events "
                                     "timeline. Verdicts are recomputed whenever the data changes.")
    return html.Div([header, body or render.no_article(wanted, rows)], className="article-page")


@callback(*components.chart_outputs(CHART),
          Output({"type": ids.CLAIM, "index": ALL}, "className"),
          Input({"type": ids.CLAIM, "index": ALL}, "n_clicks"),
          State(ids.CLAIMS_STORE, "data"),
          prevent_initial_call=True)
def show_claim(clicks: list[int | None], store: dict[str, Any] | None) -> tuple[Any, ...]:
    """A click on a claim charts the data that checks it and marks it as selected."""
    target = ctx.triggered_id
    if not store or not isinstance(target, dict) or not any(clicks):
        raise PreventUpdate
    article = store.get("article")
    done = checked(str(article.get("id"))) if isinstance(article, dict) else None
    claim_id = str(target["index"])
    if done is None or claim_id not in done.entries:
        raise PreventUpdate
    entries = done.entries
    outputs = claim_outputs(done, claim_id)
    classes = [render.class_name(entries[str(i["id"]["index"])]["kind"], i["id"]["index"] == claim_id)
               if str(i["id"]["index"]) in entries else no_update for i in ctx.inputs_list[0]]
    return (*outputs, classes)
