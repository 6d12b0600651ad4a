"""The Article page in real Chromium: claims with verdicts, a click shows its chart, hostile text stays inert."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from etl import load
from etl.db import make_engine
from etl.pipeline import init_db
from etl.settings import Settings
from tests.conftest import LiveApp

pytestmark = pytest.mark.browser

SEED_ID = "c06f46d3c8b4"
HOSTILE_ID = "0badc0ffee00"
HOSTILE_BODY = "\n\n".join([
    "<script>alert('script')</script> Trade between China and Russia reached a high of $240 billion in 2023.",
    "<img src=x onerror=alert('img')> China supplied chips to Russia.",
    "Click <a href=\"javascript:alert('link')\">here</a> or javascript:alert('bare') for more.",
    "Direction \u202eoverride\u202c and isolate \u2067text\u2069 here.",
])


@pytest.fixture(scope="module")
def article_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """One app for the module, over a database holding the seed article and a hostile one."""
    folder = tmp_path_factory.mktemp("article-app")
    url = f"sqlite:///{folder / 'chokepoint.db'}"
    settings = Settings.from_env(environ={}, database_url=url)
    init_db(settings)
    hostile = {"id": HOSTILE_ID, "title": "<img src=x onerror=alert('title')>Hostile \u202etitle",
               "author": "<script>alert('author')</script>", "outlet": "<b>Outlet</b>",
               "url": "javascript:alert('url')", "published": "2024-04", "body": HOSTILE_BODY,
               "source_ref": "test: hostile article stored directly", "retrieved_at": "2030-01-01T00:00:00Z"}
    with make_engine(url).begin() as conn:
        load.upsert_rows(conn, "article", [hostile])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMTRADE_", "CHOKEPOINT_", "DATABASE_"))}
    env.update({"DATABASE_URL": url, "COMTRADE_API_BASE": "http://127.0.0.1:9", "CHOKEPOINT_AUTO_REFRESH": "0"})
    app = LiveApp(env, Path(folder) / "app.log")
    yield app
    app.stop()


def open_article(page, app: LiveApp, query: str = "") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{app.url}/article{query}")
    page.wait_for_selector("#article-text .claim", timeout=30_000)


def test_seed_article_claims_and_verdicts(article_app: LiveApp, page) -> None:  # type: ignore[no-untyped-def]
    open_article(page, article_app)
    claims = page.locator("#article-text .claim")
    assert claims.count() > 20
    verdicts = set(claims.evaluate_all("els => els.map(e => e.getAttribute('data-verdict'))"))
    assert verdicts <= {"supported", "contradicted", "unchecked"} and "supported" in verdicts
    assert all("claim" in c.split() for c in claims.evaluate_all("els => els.map(e => e.className)"))
    money = page.locator(".claim", has_text="a high of $240 billion in 2023")
    assert money.get_attribute("data-verdict") == "supported"
    assert money.get_attribute("title").startswith("USD 240 bn in 2023 — China customs: USD 240.1 bn")
    assert page.locator("#article-text").get_attribute("data-article") == SEED_ID
    assert "Popular Right Now" not in page.inner_text("#article-text")
    assert "Cameron Manley" in page.inner_text(".article-byline")
    # the money claim's chart is shown on arrival
    page.wait_for_selector(".claim-graph .js-plotly-plot", timeout=30_000)
    assert page.errors == []


def test_clicking_claims_shows_their_charts(article_app: LiveApp, page) -> None:  # type: ignore[no-untyped-def]
    open_article(page, article_app)
    event = page.locator(".claim[data-kind='event']", has_text="'no limits' friendship in 2022")
    event_id = event.get_attribute("id")
    event.click()
    summary = page.locator(".claim-summary", has_text="'no limits' friendship in 2022")
    summary.wait_for(timeout=30_000)
    page.wait_for_selector(".claim-graph .js-plotly-plot", timeout=30_000)
    assert "2022-02-04" in summary.inner_text()
    assert "claim-selected" in page.locator(f"[id='{event_id}']").get_attribute("class")
    assert page.locator(".claim-page-link").get_attribute("href") == "/?from=2022&to=2022"

    page.locator(".claim[data-kind='goods']", has_text="integrated circuits").click()
    empty = page.locator(".empty-state", has_text="needs UN Comtrade HS 8542")
    empty.wait_for(timeout=30_000)
    link = page.locator(".claim-page-link").get_attribute("href")
    assert link.startswith("/dual-use?category=integrated_circuits&reporter=156&partner=643&flow=X")
    assert page.errors == []


def test_unknown_id_lists_the_stored_articles(article_app: LiveApp, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{article_app.url}/article?id=nosucharticle")
    page.wait_for_selector(".no-article", timeout=30_000)
    assert "No such article" in page.inner_text(".no-article")
    hrefs = page.locator("#article-list a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert set(hrefs) == {f"/article?id={SEED_ID}", f"/article?id={HOSTILE_ID}"}
    assert page.errors == []


def test_hostile_article_renders_inert(article_app: LiveApp, page) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_article(page, article_app, f"?id={HOSTILE_ID}")
    for claim in page.locator("#article-text .claim").all():
        claim.click()
    page.wait_for_timeout(500)  # give any injected handler the chance to fire
    text = page.inner_text(".article-page")
    assert "<script>alert('script')</script>" in text and "<img src=x onerror=alert('img')>" in text
    assert "\u202e" not in text and "\u2067" not in text
    article = page.locator(".article-page")
    assert article.locator("img").count() == 0 and article.locator("script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator(".claim", has_text="$240 billion in 2023").get_attribute("data-verdict") == "supported"
    assert dialogs == []
    assert page.errors == []
