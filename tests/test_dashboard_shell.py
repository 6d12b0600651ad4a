"""The shell's freshness banner and refresh progress, read from a real database."""
from __future__ import annotations

from pathlib import Path

from dash import html

from dashboard import queries, shell
from etl.db import utc_now
from etl.pipeline import init_db, writer_engine
from etl.refresh_store import Progress, write_state
from etl.settings import Settings


def texts(component: object) -> str:
    """All text in a component tree, as the browser would show it."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(texts(c) for c in component)
    return texts(getattr(component, "children", None))


def test_banner_says_when_each_source_loaded_and_what_to_run(settings: Settings) -> None:
    init_db(settings)
    queries.configure(settings)
    banner = texts(shell.freshness_items())
    assert "Bundled reference data" in banner
    assert "UN Comtrade: never refreshed — run `python -m etl refresh`" in banner
    assert shell.refresh_progress() == (None, False)  # no refresh ever: nothing shown, no polling


def test_refresh_progress_is_shown_as_text_and_polled_while_running(settings: Settings) -> None:
    init_db(settings)
    queries.configure(settings)
    progress = Progress(started_at=utc_now(), calls_done=3, calls_planned=12, retries=1,
                        message="<b>calling</b> comtrade")
    with writer_engine(settings).begin() as conn:
        write_state(conn, progress)
    shown, polling = shell.refresh_progress()
    assert polling is True
    line = texts(shown)
    assert "Comtrade refresh running: 3/12 calls, 0 rows written, 1 retries" in line
    assert "<b>calling</b> comtrade" in line  # a plain string child: Dash renders it as text, not markup
    progress.status = "ok"
    with writer_engine(settings).begin() as conn:
        write_state(conn, progress)
    shown, polling = shell.refresh_progress()
    assert polling is False and "Comtrade refresh ok" in texts(shown)


def test_banner_survives_an_unreadable_database(tmp_path: Path) -> None:
    queries.configure(Settings.from_env(environ={}, database_url=f"sqlite:///{tmp_path / 'missing' / 'x.db'}"))
    items = shell.freshness_items()
    assert "run `python -m etl init`" in texts(items)
    assert isinstance(items[0], html.Span)
    assert shell.refresh_progress() == (None, False)


def test_banner_names_the_latest_imports_only() -> None:
    last = {"csv:a.csv": "2026-01-01 10:00", "reference": "2026-01-01 09:00", "csv:b.csv": "2026-01-03 10:00",
            "csv:c.csv": "2026-01-02 10:00", "csv:d.csv": "2025-12-31 10:00", "comtrade": "2026-01-04 00:00"}
    assert shell.banner_sources(last) == ["reference", "comtrade", "csv:b.csv", "csv:c.csv", "csv:a.csv"]
