"""The annotated article as Dash components. Everything from an article is passed as text children, never as
HTML, so markup in an article is displayed, not run; invisible and direction-changing characters are removed."""
from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import quote, urlparse

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard import components
from dashboard.article import charts, ids
from dashboard.article.evidence import Evidence, Verdict
from dashboard.article.extract import Claim

VERDICTS = {"supported": "Supported by the data", "contradicted": "Contradicted by the data",
            "unchecked": "Unchecked (hover says what would check it)"}
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADING = re.compile(r"[.!?:;,\"'”’)]$")
PAGE_NAMES = {"": "Overview", "dual-use": "Dual-use goods", "energy": "Energy for tech", "suppliers": "Suppliers",
              "data": "Data"}


def safe(text: object) -> str:
    """Text fit for display: no bidirectional overrides, zero-width or control characters."""
    return _INVISIBLE.sub("", str(text or ""))


def safe_href(url: object) -> str | None:
    """Only absolute http(s) links are rendered as links; anything else (javascript:, data:) stays text."""
    parsed = urlparse(safe(url).strip())
    return parsed.geturl() if parsed.scheme.lower() in ("http", "https") and parsed.netloc else None


def claim_span(claim: Claim, verdict: Verdict, selected: bool = False) -> html.Span:
    return html.Span(safe(claim.text), id={"type": ids.CLAIM, "index": claim.id}, n_clicks=0,
                     className=class_name(claim.kind, selected), title=safe(verdict.hover), role="button",
                     tabIndex="0", **{"data-verdict": verdict.verdict, "data-kind": claim.kind})


def class_name(kind: str, selected: bool) -> str:
    return f"claim claim-{kind}" + (" claim-selected" if selected else "")


def _annotated(paragraph: str, claims: list[Claim], verdicts: Mapping[str, Verdict], selected: str | None) -> list:
    children: list[Any] = []
    cursor = 0
    for claim in claims:
        children.append(safe(paragraph[cursor:claim.start]))
        children.append(claim_span(claim, verdicts[claim.id], claim.id == selected))
        cursor = claim.end
    children.append(safe(paragraph[cursor:]))
    return [c for c in children if c != ""]


def article_body(paragraphs: list[str], claims: list[list[Claim]], verdicts: Mapping[str, Verdict],
                 selected: str | None) -> list[Any]:
    """Paragraphs, sub-headings and bullet lists, each claim wrapped in its span."""
    out: list[Any] = []
    bullets: list[Any] = []
    for text, found in zip(paragraphs, claims):
        children = _annotated(text, found, verdicts, selected)
        if text.startswith("• "):
            first = children[0]
            children[0] = first[2:] if isinstance(first, str) else first
            bullets.append(html.Li(children))
            continue
        if bullets:
            out.append(html.Ul(bullets, className="article-bullets"))
            bullets = []
        heading = len(text) <= 90 and not _HEADING.search(text)
        out.append(html.H4(children, className="article-subheading") if heading else html.P(children))
    if bullets:
        out.append(html.Ul(bullets, className="article-bullets"))
    return out


def byline(row: Mapping[str, object]) -> html.Div:
    parts: list[Any] = []
    for label, key in (("By", "author"), ("", "outlet"), ("Published", "published")):
        if row.get(key):
            parts.append(html.Span(f"{label} {safe(row[key])}".strip(), className=f"article-{key}"))
    href = safe_href(row.get("url"))
    if href:
        parts.append(html.A("Original article ↗", href=href, target="_blank", rel="noopener noreferrer nofollow"))
    return html.Div(parts, className="article-byline text-muted")


def legend() -> html.Div:
    keys = [html.Span(text, className="verdict-key", **{"data-verdict": verdict}) for verdict, text in VERDICTS.items()]
    return html.Div([html.Span("Claims:", className="fw-semibold me-2"), *keys,
                     html.Span("Click a claim to see the chart that checks it.", className="text-muted ms-2")],
                    className="verdict-legend")


def article_list(rows: list[Mapping[str, object]], current: str | None) -> html.Div:
    """Links to every stored article."""
    items = []
    for row in rows:
        label = safe(row["title"]) + (f" — {safe(row['outlet'])}" if row.get("outlet") else "")
        link = dcc.Link(label, href=f"/article?id={quote(str(row['id']))}")
        items.append(html.Li(html.Strong(link) if row["id"] == current else link))
    return html.Div([html.H6("Stored articles", className="mb-1"), html.Ul(items, className="mb-0")],
                    id=ids.ARTICLE_LIST, className="article-list")


def _page_name(link: str) -> str:
    return PAGE_NAMES.get(link.split("?")[0].strip("/"), "Data")


def chart_outputs(chart: str, entry: Mapping[str, Any], ev: Evidence) -> tuple[Any, ...]:
    """The values of components.chart_outputs(chart) for one claim: its summary and chart (or empty state),
    the numbers for the CSV button, and the source line with a link to the page that shows more."""
    spec = dict(entry["chart"])
    figure, caption = charts.figure_for(spec, ev)
    verdict = str(entry["verdict"])
    summary = html.Div([html.Span(verdict, className="verdict-key", **{"data-verdict": verdict}),
                        html.Q(safe(entry["text"]), className="ms-2 fw-semibold"),
                        html.Div(safe(entry["hover"]), className="small mt-1 claim-numbers")],
                       className="claim-summary mb-2", **{"data-claim": str(entry["id"])})
    link = entry.get("link")
    source: list[Any] = [caption if figure is not None else "No chart: nothing in the database checks this claim."]
    if link:
        source += [" ", dcc.Link(f"Open in {_page_name(str(link))} with these filters →", href=str(link),
                                 className="claim-page-link")]
    frame = charts.chart_frame(spec, ev) if figure is not None else pd.DataFrame()
    # the source line is text plus a link, not only a string
    result = list(components.chart_result(chart, figure, frame, source, empty=caption))  # type: ignore[arg-type]
    result[0] = html.Div([summary, html.Div(result[0], className="claim-graph" if figure is not None else None)])
    return tuple(result)


def no_article(wanted: str | None, rows: list[Mapping[str, object]]) -> html.Div:
    """The page when the requested article does not exist (or none is stored yet)."""
    if not rows:
        message = ("No article is stored yet. Run `python -m etl init` (it bundles the seed article) or "
                   "`python -m etl article add FILE|URL`.")
        return html.Div(dbc.Alert(message, color="warning"), className="no-article")
    return html.Div([dbc.Alert(f"No such article: no stored article has the id {safe(wanted)!r}. "
                               "Pick one of the stored articles below.", color="warning"),
                     article_list(rows, None)], className="no-article")
