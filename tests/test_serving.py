"""Serving: security headers on every response, debug off, 127.0.0.1, and the production server (gunicorn)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port

EXPECTED = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer"}


def headers(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return {k.lower(): v for k, v in response.headers.items()}


def assert_secure(url: str) -> None:
    for path in ("/", "/_dash-layout", "/_dash-dependencies", "/assets/style.css"):
        got = headers(url + path)
        for name, value in EXPECTED.items():
            assert got.get(name) == value, (path, name)
        csp = got["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "'unsafe-eval'" not in csp and "script-src 'self' 'sha256-" in csp


def test_dev_server_sends_security_headers_with_debug_off(live_app_factory, cli_env) -> None:  # type: ignore[no-untyped-def]
    app = live_app_factory(cli_env)
    assert_secure(app.url)
    log = app.log_path.read_text()
    assert "Debug mode: off" in log and "Running on http://127.0.0.1:" in log


def test_gunicorn_serves_with_two_workers_on_loopback(cli_env: dict[str, str], tmp_path: Path) -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed (pip install -e '.[serve]')")
    port = free_port()
    env = dict(cli_env, CHOKEPOINT_PORT=str(port), CHOKEPOINT_WORKERS="2")
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen([str(gunicorn), "-c", "dashboard/gunicorn_conf.py"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                assert_secure(url)
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.3)
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 2
        # The Data page's CSV link with long column filters: its request line is over gunicorn's default limit.
        columns = ("period", "classification", "hs_code", "hs_description", "qty_unit", "source", "source_ref",
                   "retrieved_at")
        model = {c: {"type": "contains", "filter": '"{}' * 50} for c in columns}
        view = json.dumps({"sortModel": [], "filterModel": model}, separators=(",", ":"))
        query = urllib.parse.urlencode({"view": view})
        assert len(view) < 2000 and len(query) > 4100
        with urllib.request.urlopen(f"{url}/download/trade.csv?{query}", timeout=10) as response:
            assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
        text = (tmp_path / "gunicorn.log").read_text()
        assert f"Listening at: http://127.0.0.1:{port}" in text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def test_the_app_is_fully_set_up_before_its_first_client(settings) -> None:  # type: ignore[no-untyped-def]
    # Concurrent first requests to a threaded worker once met a half-built callback map (HTTP 500 under load).
    from dashboard import create_app
    from etl.pipeline import init_db

    init_db(settings)
    app = create_app(settings)
    outputs = set(app.callback_map)
    assert "..data-table.getRowsResponse...data-table-note.children.." in outputs
    assert any('"chart":"flows"' in key for key in outputs) and any("article-claim" in key for key in outputs)


def test_versioned_assets_are_kept_by_the_browser(settings) -> None:  # type: ignore[no-untyped-def]
    # A repeat visit must not wait on a revalidation of the CSS and plotly.js; a file that changes gets a new URL.
    from dashboard import ASSET_CACHE, create_app
    from etl.pipeline import init_db

    init_db(settings)
    client = create_app(settings).server.test_client()
    page = client.get("/suppliers").get_data(as_text=True)
    linked = re.findall(r'(?:href|src)="(/assets/[^"]+)"', page)
    assert any(u.startswith("/assets/vendor/plotly-basic.min.js?m=") for u in linked)
    assert any(u.startswith("/assets/style.css?m=") for u in linked)
    for url in linked:
        assert "?m=" in url, url  # every asset the page links carries its version
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == ASSET_CACHE, url
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.headers["Cache-Control"] == ASSET_CACHE, url
    bare = client.get("/assets/style.css")  # no version in the URL: the browser asks again each time
    assert bare.status_code == 200 and "immutable" not in bare.headers["Cache-Control"]
    assert "immutable" not in (client.get("/suppliers?m=1").headers.get("Cache-Control") or "")
