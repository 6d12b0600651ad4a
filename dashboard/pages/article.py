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
from dashboard.article.check import check_all
from dashboard.article.evidence import Evidence
from dashboard.article.extract import extract, paragraphs

dash.register_page(__name__, path="/article", name="Article", order=4, title="Chokepoint — Article")

CHART = "article-claim"
CHART_TITLE = "The data behind the claim"
KIND_ORDER = ("money", "goods", "price", "event", "country")


def _first_claim(entries: dict[str, dict[str, Any]]) -> str | None:
    """The claim charted on arrival: the first supported money figure, else the first claim by kind."""
    ranked = sorted(entries.values(), key=lambda e: (e["verdict"] != "supported", KIND_ORDER.index(e["kind"])))
    return str(ranked[0]["id"]) if ranked else None


def _entries(article: dict[str, Any],
             ev: Evidence) -> tuple[list[str], list[list[Any]], dict[str, Any], dict[str, dict[str, Any]]]:
    """Paragraphs, claims per paragraph, verdicts and the JSON entries the click callback needs."""
    texts = paragraphs(str(article["body"]))
    claims = extract(str(article["body"]), article.get("published"))
    flat = [c for found in claims for c in found]
    verdicts = check_all(flat, ev)
    entries = {c.id: {"id": c.id, "kind": c.kind, "text": c.text, "verdict": verdicts[c.id].verdict,
                      "hover": verdicts[c.id].hover, "chart": verdicts[c.id].chart, "link": verdicts[c.id].link}
               for c in flat}
    return texts, claims, verdicts, entries


def _article_view(article: dict[str, Any], rows: list[dict[str, Any]]) -> html.Div:
    ev = Evidence(article)
    texts, claims, verdicts, entries = _entries(article, ev)
    selected = _first_claim(entries)
    initial = render.chart_outputs(CHART, entries[selected], ev) if selected else components.chart_result(
        CHART, None, pd.DataFrame(), "", "This article has no claims the extractor recognises.")
    store = {"article": {k: article.get(k) for k in ("id", "outlet", "url", "source_ref")}, "claims": entries,
             "selected": selected}
    text = html.Article([html.H2(render.safe(article["title"]), className="article-title"),
                         render.byline(article), render.legend(),
                         html.Div(render.article_body(texts, claims, verdicts, selected), className="article-body")],
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
        rows = queries.run_query("article_list").to_dict("records")
        wanted = id or (str(rows[0]["id"]) if rows else None)
        found = queries.run_query("article_get", id=wanted).to_dict("records") if wanted else []
    except SQLAlchemyError:
        return html.Div(dbc.Alert("The database cannot be read: run `python -m etl init`.", color="danger"))
    header = components.page_header("Article", "A news article's claims checked against the data: figures against "
                                     "China customs, goods against UN Comtrade flows, dates against the events "
                                     "timeline. Verdicts are computed from the database each time the page opens.")
    body = _article_view(found[0], rows) if found else render.no_article(wanted, rows)
    return html.Div([header, body], className="article-page")


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
    entries = store["claims"]
    claim_id = str(target["index"])
    if claim_id not in entries:
        raise PreventUpdate
    outputs = render.chart_outputs(CHART, entries[claim_id], Evidence(store.get("article")))
    classes = [render.class_name(entries[str(i["id"]["index"])]["kind"], i["id"]["index"] == claim_id)
               if str(i["id"]["index"]) in entries else no_update for i in ctx.inputs_list[0]]
    return (*outputs, classes)
