"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL for tests marked both_backends), settings
pointing at it, the real app and browser, and the CI no-skip rule."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from etl.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """Under CI a skipped test is a failure: everything the suite holds must run there."""
    outcome = yield
    report = outcome.get_result()
    if _ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped under CI=true, which must run every test: {reason}"


BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config):  # type: ignore[no-untyped-def]
    config.addinivalue_line("markers", "both_backends: run the test on SQLite and on a real PostgreSQL server "
                                       "(the db_url fixture is parametrized)")


def pytest_generate_tests(metafunc):  # type: ignore[no-untyped-def]
    if "db_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("db_backend", BACKENDS, indirect=True)


@pytest.fixture
def db_backend(request) -> str:  # type: ignore[no-untyped-def]
    """'sqlite' unless the test is marked both_backends (then each of BACKENDS in turn)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def pg_cluster():  # type: ignore[no-untyped-def]
    """A throwaway PostgreSQL server for the whole session (see tests/pg.py); skips with the reason if impossible."""
    from tests import pg

    try:
        cluster = pg.Cluster()
    except pg.Unavailable as exc:
        pytest.skip(f"PostgreSQL tests need a local server: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def db_url(request, db_backend: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh database: a SQLite file in tmp_path, or an empty database on the session's PostgreSQL server."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'chokepoint.db'}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = cluster.create_database()
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings from an empty environment, pointing at a fresh SQLite file."""
    return Settings.from_env(environ={}, database_url=db_url, comtrade_api_base="http://127.0.0.1:9",
                             comtrade_min_interval_s=0.0, chokepoint_lock_timeout_s=5.0,
                             chokepoint_auto_refresh=False)


@pytest.fixture
def cli_env(db_url: str) -> dict[str, str]:
    """Environment for running `python -m etl` in a subprocess against the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMTRADE_", "CHOKEPOINT_", "DATABASE_"))}
    env.update({"DATABASE_URL": db_url, "COMTRADE_API_BASE": "http://127.0.0.1:9", "CHOKEPOINT_AUTO_REFRESH": "0"})
    return env


# --- the real app and a real browser ------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--disable-quic"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveApp:
    """`python app.py` in a subprocess on a free 127.0.0.1 port, against its own database."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        import subprocess
        import sys
        import time
        import urllib.request

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("w")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(self.port)], env=env,
                                     cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.proc.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"app.py did not answer within 60 s:\n{log_path.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.proc.kill()
        self._log.close()


@pytest.fixture
def live_app_factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Start the real app: live_app_factory(env) -> LiveApp (stopped after the test)."""
    apps: list[LiveApp] = []

    def start(env: dict[str, str]) -> LiveApp:
        app = LiveApp(env, tmp_path / f"app-{len(apps)}.log")
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.stop()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's headless Chromium driven by Playwright (Playwright's own browser download is not used)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """A fresh browser page that records console errors and uncaught page errors in page.errors."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda msg: pg.errors.append(msg.text) if msg.type == "error" else None)  # type: ignore[attr-defined]
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))  # type: ignore[attr-defined]
    yield pg
    context.close()
