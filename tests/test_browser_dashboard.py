"""The real app in Debian's Chromium: pages load cleanly, filters live in the URL, CSV downloads match the data."""
from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from etl.export import EXPORT_COLUMNS
from etl.pipeline import import_file, init_db
from etl.settings import Settings
from tests.conftest import CASES, ROOT, LiveApp

pytestmark = pytest.mark.browser

PAGES = ("/", "/dual-use", "/energy", "/suppliers", "/data")
SYNTHETIC = CASES / "dashboard" / "synthetic_china_russia.csv"


def app_env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMTRADE_", "CHOKEPOINT_", "DATABASE_"))}
    env.update({"DATABASE_URL": f"sqlite:///{db_path}", "COMTRADE_API_BASE": "http://127.0.0.1:9",
                "CHOKEPOINT_AUTO_REFRESH": "0"})
    return env


def start_app(folder: Path, seed: bool):  # type: ignore[no-untyped-def]
    db_path = folder / "chokepoint.db"
    settings = Settings.from_env(environ={}, database_url=f"sqlite:///{db_path}")
    init_db(settings)
    if seed:
        import_file(settings, SYNTHETIC)
    app = LiveApp(app_env(db_path), folder / "app.log")
    app.db_path = db_path  # type: ignore[attr-defined]
    return app


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory):  # type: ignore[no-untyped-def]
    app = start_app(tmp_path_factory.mktemp("seeded"), seed=True)
    yield app
    app.stop()


@pytest.fixture(scope="module")
def empty_app(tmp_path_factory):  # type: ignore[no-untyped-def]
    app = start_app(tmp_path_factory.mktemp("empty"), seed=False)
    yield app
    app.stop()


@pytest.fixture
def outside(page):  # type: ignore[no-untyped-def]
    """Requests the page makes to anything but the app's own server (must stay empty: no CDN, no fonts)."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("http://127.0.0.1:") else None)
    return requests


def css_id(kind: str, chart: str) -> str:
    """The selector of a pattern-matching id as Dash renders it (JSON with sorted keys)."""
    return "[id='" + json.dumps({"chart": chart, "type": kind}, separators=(",", ":"), sort_keys=True) + "']"


def graph(chart: str) -> str:
    return f"{css_id('chart-body', chart)} .js-plotly-plot"


def first_trace_points(page, chart: str) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate("(sel) => document.querySelector(sel).data[0].x.length", graph(chart))


def y_title(page, chart: str) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate("(sel) => document.querySelector(sel).layout.yaxis.title.text", graph(chart))


def wait_points(page, chart: str, count: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("([sel, n]) => document.querySelector(sel)?.data[0].x.length === n",
                           arg=[graph(chart), count], timeout=30_000)


def download(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    with page.expect_download(timeout=15_000) as info:
        page.click(selector)
    return Path(info.value.path()).read_text(encoding="utf-8")


def test_every_page_loads_without_errors_or_outside_requests(seeded_app, page, outside) -> None:  # type: ignore[no-untyped-def]
    wanted = {"/": graph("flows"), "/dual-use": graph("dual-use-tiers"), "/energy": graph("energy"),
              "/suppliers": graph("suppliers-tiers"), "/data": ".ag-row"}
    for path in PAGES:
        page.goto(seeded_app.url + path)
        page.wait_for_selector(wanted[path], timeout=30_000)
        assert "synthetic_china_russia.csv" in page.inner_text("body") or path == "/data"
    page.wait_for_timeout(300)
    assert page.errors == []
    assert outside == []
    nav = page.locator(".navbar .nav-link").all_inner_texts()
    assert nav[:4] == ["Overview", "Dual-use", "Energy", "Suppliers"] and "Data" in nav


def test_filter_change_redraws_updates_the_url_and_survives_reload(seeded_app, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(seeded_app.url + "/dual-use?from=2021&to=2024")
    page.wait_for_selector(graph("dual-use-categories"), timeout=30_000)
    assert first_trace_points(page, "dual-use-categories") == 4
    page.get_by_text("Monthly", exact=True).click()
    page.wait_for_url("**freq=M**", timeout=15_000)
    wait_points(page, "dual-use-categories", 48)
    assert "from=2021" in page.url and "to=2024" in page.url
    page.get_by_text("Index 2021 = 100", exact=True).click()
    page.wait_for_url("**view=index**", timeout=15_000)
    page.reload()
    wait_points(page, "dual-use-categories", 48)
    assert y_title(page, "dual-use-categories") == "Index, 2021 = 100"
    assert page.get_by_role("radio", name="Monthly").is_checked()
    assert page.errors == []


def test_invalid_url_values_fall_back_to_defaults(seeded_app, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(seeded_app.url + "/suppliers?from=abc&freq=Q&category=%3Cscript%3E&view=index")
    page.wait_for_selector(graph("suppliers-values"), timeout=30_000)
    assert first_trace_points(page, "suppliers-values") == 6  # defaults 2019-2024, annual
    assert y_title(page, "suppliers-values") == "Index, 2021 = 100"
    assert page.errors == []


def db_rows(db_path: Path) -> set[tuple]:
    with sqlite3.connect(db_path) as conn:
        return set(conn.execute(
            "SELECT reporter_code, partner_code, flow, freq, period, classification, hs_code, value_usd, source, "
            "retrieved_at FROM trade_flow WHERE reporter_code = 156 AND partner_code = 643 AND flow = 'X' "
            "AND freq = 'A' AND period BETWEEN '2019' AND '2024'"))


def csv_rows(text: str) -> set[tuple]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
    return {(int(r["reporter_code"]), int(r["partner_code"]), r["flow"], r["freq"], r["period"],
             r["classification"], r["hs_code"], float(r["value_usd"]) if r["value_usd"] else None, r["source"],
             r["retrieved_at"]) for r in reader}


def wait_grid_row(page, index: int) -> None:  # type: ignore[no-untyped-def]
    """Until the Data grid's row `index` holds data (the grid fetches blocks as it scrolls; a loading row is empty)."""
    page.wait_for_function("(i) => document.querySelector(`#data-table .ag-row[row-index='${i}'] "
                           ".ag-cell[col-id='hs_code']`)?.innerText.trim().length > 0", arg=index, timeout=30_000)


def test_data_page_download_equals_the_database_rows_and_the_cli_export(seeded_app, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(seeded_app.url + "/data?from=2019&to=2024&freq=A&flow=X&reporter=156&partner=643")
    wait_grid_row(page, 0)
    text = download(page, "#download-csv")
    expected = db_rows(seeded_app.db_path)
    assert len(expected) > 40
    assert csv_rows(text) == expected
    cli = subprocess.run([sys.executable, "-m", "etl", "export", "--out", "-", "--reporter", "156", "--partner",
                          "643", "--flow", "X", "--freq", "A", "--from", "2019", "--to", "2024"], cwd=ROOT,
                         env=app_env(seeded_app.db_path), capture_output=True, text=True, check=True)
    assert sorted(text.splitlines()[1:]) == sorted(cli.stdout.splitlines()[1:])  # the very same CSV format
    assert page.errors == []


def sorted_chips(db_path: Path) -> list[tuple]:
    """China's monthly exports to Russia under 8542*, as the grid sorts them by value, largest first."""
    with sqlite3.connect(db_path) as conn:
        return list(conn.execute(
            "SELECT hs_code, period, value_usd FROM trade_flow WHERE reporter_code = 156 AND partner_code = 643 "
            "AND flow = 'X' AND freq = 'M' AND period BETWEEN '201901' AND '202412' AND hs_code LIKE '8542%' "
            "ORDER BY value_usd DESC NULLS LAST, hs_code, period, source, classification"))


def test_data_grid_scrolls_sorts_and_filters_on_the_server_and_downloads_what_it_shows(  # type: ignore[no-untyped-def]
        seeded_app, page) -> None:
    page.goto(seeded_app.url + "/data?from=2019&to=2024&freq=M&flow=X&reporter=156&partner=643")
    wait_grid_row(page, 0)
    with sqlite3.connect(seeded_app.db_path) as conn:
        total = conn.execute("SELECT COUNT(*) FROM trade_flow WHERE reporter_code = 156 AND partner_code = 643 "
                             "AND flow = 'X' AND freq = 'M' AND period BETWEEN '201901' AND '202412'").fetchone()[0]
    assert total > 100  # more than one block of rows
    assert f"{total:,} rows" in page.inner_text("#data-table-note")
    page.evaluate("(n) => dash_ag_grid.getApi('data-table').ensureIndexVisible(n - 1)", total)
    wait_grid_row(page, total - 1)  # the last block came from the server as the grid scrolled
    for _ in range(2):  # ascending, then descending
        with page.expect_response(lambda r: "_dash-update-component" in r.url):
            page.click("#data-table .ag-header-cell[col-id='value_usd'] .ag-header-cell-label")
    with page.expect_response(lambda r: "_dash-update-component" in r.url):
        page.evaluate("dash_ag_grid.getApi('data-table').setFilterModel("
                      "{hs_code: {filterType: 'text', type: 'startsWith', filter: '8542'}})")
    wait_grid_row(page, 0)
    expected = sorted_chips(seeded_app.db_path)
    shown = page.locator("#data-table .ag-row[row-index='0'] .ag-cell[col-id='hs_code']").inner_text()
    assert shown == expected[0][0]
    rows = list(csv.DictReader(io.StringIO(download(page, "#download-csv"))))
    assert [(r["hs_code"], r["period"], float(r["value_usd"]) if r["value_usd"] else None) for r in rows] == expected
    assert page.errors == []


def test_each_chart_downloads_the_numbers_it_plots(seeded_app, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(seeded_app.url + "/suppliers?from=2021&to=2024&reporter=344")
    page.wait_for_selector(graph("suppliers-values"), timeout=30_000)
    widths = page.evaluate("(sel) => document.querySelector(sel).data.map(t => [t.name, t.line.width])",
                           graph("suppliers-values"))
    assert ["Hong Kong", 4] in widths  # ?reporter= highlights that supplier
    rows = list(csv.DictReader(io.StringIO(download(page, css_id("chart-csv", "suppliers-values")))))
    assert {"period", "value_usd", "source", "retrieved_at"} <= set(rows[0])
    hong_kong = {r["period"]: float(r["value_usd"]) for r in rows if r["reporter"] == "Hong Kong"}
    assert hong_kong == {"2021": 1e8, "2022": 3e8, "2023": 4e8, "2024": 3.5e8}
    assert {r["source"] for r in rows} == {"csv:synthetic_china_russia.csv"}
    page.goto(seeded_app.url + "/")
    page.wait_for_selector(graph("headline"), timeout=30_000)
    headline = {r["year"]: r for r in csv.DictReader(io.StringIO(download(page, css_id("chart-csv", "headline"))))}
    assert float(headline["2023"]["total_usd"]) == pytest.approx(240.11e9)
    assert headline["2021"]["cn_to_ru_usd"] == ""  # not found: an empty cell, never 0
    assert headline["2023"]["source_url"].startswith("http")
    assert page.errors == []


def test_empty_database_shows_what_to_run(empty_app, page, outside) -> None:  # type: ignore[no-untyped-def]
    page.goto(empty_app.url + "/")
    page.wait_for_selector(graph("headline"), timeout=30_000)  # the bundled headline figures still chart
    page.wait_for_selector("text=No HS-level data yet", timeout=30_000)
    for path in ("/dual-use", "/energy", "/suppliers", "/data"):
        page.goto(empty_app.url + path)
        page.wait_for_selector("text=No HS-level data yet", timeout=30_000)
        assert "python -m etl refresh" in page.inner_text("body")
    assert "never refreshed" in page.inner_text(".banner")
    assert page.errors == []
    assert outside == []
