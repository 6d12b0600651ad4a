"""Figure 3: page load in headless Chromium, from navigation to every chart drawn, per page.

"Drawn" means: the page's content is in, no Dash component is loading, every chart card holds a drawn plot
(plotly's SVG), a grid or its empty state, and the Data page's grid shows its first row (a block the grid fetched
from the server, not a loading placeholder) or says why it has none. Each page is opened VISITS times per app in a
fresh browser context (nothing cached: a first visit), then loaded REPEATS times in that context (an analyst coming
back: scripts cached). The apps take turns visit by visit, each round in a rotated order, so a slow spell of the
machine falls on every database alike, as in figure 2. Reported: the median first visit and the median repeat.
"""
from __future__ import annotations

import statistics
import time
from typing import Any

from tests.conftest import CHROMIUM, CHROMIUM_FLAGS

VISITS = 3
REPEATS = 3
DRAWN = """() => {
  const content = document.getElementById('_pages_content');
  if (!content || !content.children.length) return false;
  if (document.querySelector('[data-dash-is-loading="true"]')) return false;
  for (const body of document.querySelectorAll('.chart-body')) {
    const plot = body.querySelector('.js-plotly-plot');
    if (plot ? !plot.querySelector('.main-svg') : !body.querySelector('.empty-state, .ag-root-wrapper')) return false;
  }
  const grid = document.getElementById('data-table');
  const first = grid && grid.querySelector(".ag-row[row-index='0'] .ag-cell[col-id='hs_code']");
  if (grid && !(first && first.innerText.trim()) && !document.querySelector('#data-table-note .empty-state')) return false;
  return true;
}"""


def load_seconds(page: Any, url: str) -> float:
    """Seconds from navigation start to every chart drawn."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(DRAWN, polling="raf", timeout=60_000)
    return time.perf_counter() - start


def run(urls: dict[str, str], paths: list[str], visits: int = VISITS,
        repeats: int = REPEATS) -> dict[str, dict[str, dict[str, Any]]]:
    """Per app (keyed as `urls`) and page: the median of `visits` first loads, each in a fresh context, and the
    median of the `repeats` loads after each of them (seconds), with every load behind them."""
    from playwright.sync_api import sync_playwright

    names = list(urls)
    seen: dict[str, dict[str, dict[str, list[float]]]] = {
        n: {p: {"first": [], "repeat": []} for p in paths} for n in names}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            for path in paths:
                for visit in range(visits):
                    for name in names[visit % len(names):] + names[:visit % len(names)]:
                        first, again = _visit(browser, urls[name] + path, repeats)
                        seen[name][path]["first"].append(first)
                        seen[name][path]["repeat"] += again
        finally:
            browser.close()
    return {n: {p: {"first_s": round(statistics.median(t["first"]), 3),
                    "repeat_median_s": round(statistics.median(t["repeat"]), 3),
                    "first_all_s": [round(x, 3) for x in t["first"]],
                    "repeat_all_s": [round(x, 3) for x in t["repeat"]]} for p, t in by_path.items()}
            for n, by_path in seen.items()}


def _visit(browser: Any, url: str, repeats: int) -> tuple[float, list[float]]:
    """One fresh context: the first load of `url`, then `repeats` loads with its cache; a page error fails the run."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        first = load_seconds(page, url)
        again = [load_seconds(page, url) for _ in range(repeats)]
    finally:
        context.close()
    if errors:
        raise RuntimeError(f"{url}: the page raised {errors[0]}")
    return first, again
