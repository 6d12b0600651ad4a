"""Hostile content in the data renders inert on every dashboard page, and the Comtrade key never reaches the
browser. Figures are SYNTHETIC (imported from tests/cases/dashboard)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from etl.db import make_engine
from etl.pipeline import import_file, init_db
from etl.settings import Settings
from tests.conftest import CASES, LiveApp

pytestmark = pytest.mark.browser

SECRET = "SYNTHETIC-KEY-7f3a9c"
HOSTILE = ('<img src=x onerror="window.__pwned=1"><script>window.__pwned=2;alert(1)</script>'
           '<a href="javascript:window.__pwned=3">click</a> \u202eevil\u202c')
PAGES = ("/", "/dual-use?category=chpl_tier_1&freq=A", "/energy", "/suppliers", "/data?category=chpl_tier_1",
         "/article")


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{folder / 'chokepoint.db'}"
    settings = Settings.from_env(environ={}, database_url=url)
    init_db(settings)
    import_file(settings, CASES / "dashboard" / "synthetic_china_russia.csv")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMTRADE_", "CHOKEPOINT_", "DATABASE_"))}
    env.update({"DATABASE_URL": url, "COMTRADE_API_BASE": "http://127.0.0.1:9", "COMTRADE_API_KEY": SECRET,
                "CHOKEPOINT_AUTO_REFRESH": "0"})
    app = LiveApp(env, folder / "app.log")
    # Poison a reference row and an event, as a compromised source might (after start: app start re-syncs the bundle).
    with make_engine(url).begin() as conn:
        conn.execute(text("UPDATE hs_code SET description = :d WHERE code IN ('854231', '8542')"), {"d": HOSTILE})
        conn.execute(text("INSERT INTO event (event_date, precision, jurisdiction, kind, title, hs_scope, source) "
                          "VALUES ('2023-06-01', 'day', 'XX', 'sanctions', :t, 'CHPL', :t)"), {"t": HOSTILE})
    yield app
    app.stop()


def test_hostile_text_in_descriptions_and_events_is_inert(hostile_app, page) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    delivered: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("response", lambda r: delivered.append(r.text()) if "_dash-update-component" in r.url else None)
    for path in PAGES:
        page.goto(hostile_app.url + path)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)
        assert page.evaluate("window.__pwned === undefined"), path
        assert page.locator("img[src='x']").count() == 0, path
        assert page.locator("a[href^='javascript:']").count() == 0, path
    assert dialogs == []
    assert page.errors == []
    assert any("window.__pwned=1" in body for body in delivered)  # the poison did reach the browser


def test_callback_answers_never_carry_the_key(hostile_app, page) -> None:  # type: ignore[no-untyped-def]
    answers: list[str] = []

    def keep(response) -> None:  # type: ignore[no-untyped-def]
        if "_dash-update-component" in response.url or response.request.resource_type == "document":
            answers.append(response.text())

    page.on("response", keep)
    for path in PAGES:
        page.goto(hostile_app.url + path)
        page.wait_for_load_state("networkidle")
    assert len(answers) > len(PAGES)
    assert not any(SECRET in body for body in answers)
