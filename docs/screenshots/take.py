"""Take the README screenshots: `.venv/bin/python docs/screenshots/take.py` (needs Chromium at /usr/bin/chromium).

Builds a throwaway database (bundled reference data + the synthetic test CSV, so every source line says
`csv:synthetic_...`), serves the real app on a free 127.0.0.1 port and saves one PNG per page next to this file
at a laptop viewport (1366 px wide). Never touches data/chokepoint.db.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from etl.pipeline import import_file, init_db  # noqa: E402
from etl.settings import Settings  # noqa: E402

OUT = Path(__file__).resolve().parent
SYNTHETIC = ROOT / "tests" / "cases" / "dashboard" / "synthetic_china_russia.csv"
PAGES = {"overview": "/", "dual-use": "/dual-use?from=2019&to=2024", "energy": "/energy?from=2019&to=2024",
         "suppliers": "/suppliers?from=2020&to=2024", "article": "/article", "data": "/data?from=2019&to=2024"}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(db_url: str, port: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMTRADE_", "CHOKEPOINT_", "DATABASE_"))}
    env.update({"DATABASE_URL": db_url, "CHOKEPOINT_AUTO_REFRESH": "0", "COMTRADE_API_BASE": "http://127.0.0.1:9"})
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], env=env, cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"the app did not start:\n{log.read_text()}")


def shoot(base: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        for name, path in PAGES.items():
            page.goto(base + path)
            page.wait_for_selector(".js-plotly-plot, .ag-row", timeout=30_000)
            page.wait_for_timeout(2500)  # let every chart on the page finish drawing
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            print(f"wrote {OUT / f'{name}.png'}")
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db_url = f"sqlite:///{Path(folder) / 'screenshots.db'}"
        settings = Settings.from_env(environ={}, database_url=db_url)
        init_db(settings)
        import_file(settings, SYNTHETIC)
        port = free_port()
        proc = serve(db_url, port, Path(folder) / "app.log")
        try:
            shoot(f"http://127.0.0.1:{port}")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
