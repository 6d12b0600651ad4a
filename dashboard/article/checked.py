"""An article with its claims found and checked, and each claim's chart: built once per data version and shared
by every visitor (dashboard.queries.per_version), so opening the page or clicking a claim costs a lookup."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dashboard import queries
from dashboard.article import render
from dashboard.article.check import check_all
from dashboard.article.evidence import Evidence
from dashboard.article.extract import extract, paragraphs

CHART = "article-claim"


@dataclass(frozen=True)
class Checked:
    """An article with its claims found and checked: the same for every visitor until the data changes."""

    article: dict[str, Any]
    texts: list[str]
    claims: list[list[Any]]
    verdicts: dict[str, Any]
    entries: dict[str, dict[str, Any]]
    evidence: Evidence


def _check(article: dict[str, Any]) -> Checked:
    """Paragraphs, claims per paragraph, verdicts and the JSON entries the click callback needs."""
    ev = Evidence(article, run=queries.cached_query)
    texts = paragraphs(str(article["body"]))
    claims = extract(str(article["body"]), article.get("published"))
    flat = [c for found in claims for c in found]
    verdicts = check_all(flat, ev)
    entries = {c.id: {"id": c.id, "kind": c.kind, "text": c.text, "verdict": verdicts[c.id].verdict,
                      "hover": verdicts[c.id].hover, "chart": verdicts[c.id].chart, "link": verdicts[c.id].link}
               for c in flat}
    return Checked(article, texts, claims, verdicts, entries, ev)


def checked(article_id: str) -> Checked | None:
    """The stored article with this id, checked once per data version (None when there is no such article)."""
    def build() -> Checked | None:
        found = queries.cached_query("article_get", id=article_id).to_dict("records")
        return _check(found[0]) if found else None
    return queries.per_version(("article", article_id), build)


def claim_outputs(done: Checked, claim_id: str) -> tuple[Any, ...]:
    """The chart outputs for one claim, built once per data version."""
    return queries.per_version(("article-claim", str(done.article["id"]), claim_id),
                               lambda: render.chart_outputs(CHART, done.entries[claim_id], done.evidence))
