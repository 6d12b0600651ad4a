"""Charts draw once: on a desktop screen every chart's margins already hold its legend and tick labels, so plotly's
automargin never has to lay the chart out a second time (which doubles the time a chart takes to appear)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from etl.pipeline import import_file, init_db
from etl.settings import Settings
from tests.conftest import CASES, LiveApp

pytestmark = pytest.mark.browser

SYNTHETIC = CASES / "dashboard" / "synthetic_china_russia.csv"
CHART_PAGES = ("/", "/dual-use", "/energy", "/suppliers", "/article")
# Every chart on the page drawn (its SVG in place) and nothing loading.
DRAWN = """() => {
  if (document.querySelector('[data-dash-is-loading="true"]')) return false;
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  return plots.length > 0 && plots.every(p => p.querySelector('.main-svg') && p._fullLayout);
}"""
# Per chart: the margins it asked for and the ones plotly drew it with.
MARGINS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(p => ({
  id: p.closest('[id]').id, asked: p.layout.margin, drawn: p._fullLayout._size}))"""


@pytest.fixture(scope="module")
def chart_app(tmp_path_factory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("charts")
    db_path = folder / "chokepoint.db"
    settings = Settings.from_env(environ={}, database_url=f"sqlite:///{db_path}")
    init_db(settings)
    import_file(settings, SYNTHETIC)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMTRADE_", "CHOKEPOINT_", "DATABASE_"))}
    env |= {"DATABASE_URL": f"sqlite:///{db_path}", "COMTRADE_API_BASE": "http://127.0.0.1:9",
            "CHOKEPOINT_AUTO_REFRESH": "0"}
    app = LiveApp(env, folder / "app.log")
    yield app
    app.stop()


@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_is_drawn_with_the_margins_it_asked_for(  # type: ignore[no-untyped-def]
        chart_app, page, path: str) -> None:
    page.goto(chart_app.url + path)  # the article page shows its headline claim's chart on arrival
    page.wait_for_function(DRAWN, timeout=30_000)
    charts = page.evaluate(MARGINS)
    assert charts, f"no chart drawn on {path}"
    for chart in charts:
        pushed = {side: (chart["asked"][side], chart["drawn"][side]) for side in "lrtb"
                  if chart["drawn"][side] > chart["asked"][side] + 0.5}
        assert not pushed, f"{path} {chart['id']}: margins (asked, drawn) {pushed} — plotly laid it out twice"
    assert not page.errors
