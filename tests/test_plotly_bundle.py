"""The charts are drawn by the vendored plotly.js basic bundle, not by the full bundle Dash would fetch. Values are
synthetic."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs_version

from etl.pipeline import import_file, init_db
from etl.settings import Settings
from tests.conftest import CASES, LiveApp

BUNDLE = Path(__file__).resolve().parents[1] / "assets" / "vendor" / "plotly-basic.min.js"


def app_env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMTRADE_", "CHOKEPOINT_", "DATABASE_"))}
    return env | {"DATABASE_URL": f"sqlite:///{db_path}", "COMTRADE_API_BASE": "http://127.0.0.1:9",
                  "CHOKEPOINT_AUTO_REFRESH": "0"}


def bundled_version() -> str:
    found = re.search(r"plotly\.js \(basic - minified\) v(\d+\.\d+\.\d+)", BUNDLE.read_text()[:400])
    assert found, f"{BUNDLE} does not start with the plotly.js basic bundle's banner"
    return found.group(1)


def test_the_vendored_bundle_matches_the_python_plotly_major_version() -> None:
    # Figures are built by the Python package; a bundle from another major version may not draw them.
    assert bundled_version().split(".")[0] == get_plotlyjs_version().split(".")[0]


@pytest.mark.browser
def test_chart_pages_draw_with_the_basic_bundle_only(tmp_path: Path, page) -> None:  # type: ignore[no-untyped-def]
    db_path = tmp_path / "chokepoint.db"
    settings = Settings.from_env(environ={}, database_url=f"sqlite:///{db_path}")
    init_db(settings)
    import_file(settings, CASES / "dashboard" / "synthetic_china_russia.csv")
    app = LiveApp(app_env(db_path), tmp_path / "app.log")
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    try:
        for path in ("/", "/dual-use", "/energy", "/suppliers"):
            page.goto(app.url + path)
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20_000)
            assert page.evaluate("() => window.Plotly.version") == bundled_version()
    finally:
        app.stop()
    assert any("plotly-basic.min.js" in url for url in scripts)
    assert not any("package_data/plotly.min.js" in url for url in scripts), "the full plotly.js was fetched too"
    assert page.errors == []
