"""Figure 3: page load in headless Chromium, from navigation to every chart drawn, per page.

"Drawn" means: the page's content is in, no Dash component is loading, every chart card holds a drawn plot
(plotly's SVG), a grid or its empty state, and the Data page's grid shows its first row (a block the grid fetched
from the server, not a loading placeholder) or says why it has none. Each page is
loaded once in a fresh browser (nothing cached: the first visit) and then REPEATS times in the same browser (an
analyst coming back: scripts cached); both are reported.
"""
from __future__ import annotations

import statistics
import time
from typing import Any

from tests.conftest import CHROMIUM, CHROMIUM_FLAGS

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


def run(url: str, paths: list[str], repeats: int = REPEATS) -> dict[str, dict[str, float]]:
    """Per page: the first load in a fresh browser and the median of `repeats` loads after it (seconds)."""
    from playwright.sync_api import sync_playwright

    out: dict[str, dict[str, float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            for path in paths:
                context = browser.new_context(viewport={"width": 1366, "height": 900})
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                first = load_seconds(page, url + path)
                again = [load_seconds(page, url + path) for _ in range(repeats)]
                context.close()
                if errors:
                    raise RuntimeError(f"{path}: the page raised {errors[0]}")
                out[path] = {"first_s": round(first, 3), "repeat_median_s": round(statistics.median(again), 3)}
        finally:
            browser.close()
    return out
