"""The real app starts on 127.0.0.1 and the browser sees the shell with no console errors."""
from __future__ import annotations

import pytest


@pytest.mark.browser
def test_overview_renders_headline_chart(live_app_factory, cli_env, page) -> None:  # type: ignore[no-untyped-def]
    app = live_app_factory(cli_env)
    page.goto(app.url + "/")
    page.wait_for_selector(".js-plotly-plot .bars", timeout=30_000)
    assert "Chokepoint" in page.title()
    assert page.errors == []
