"""Figure 4: `python app.py` to the first HTTP 200 (cold start)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def start_app(database_url: str, port: int | None = None) -> tuple[subprocess.Popen[bytes], str, float]:
    """Start app.py; return the process, its URL and the seconds until it answered 200."""
    port = port or free_port()
    env = dict(os.environ, DATABASE_URL=database_url, CHOKEPOINT_AUTO_REFRESH="0")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - start < 60:
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:
                if response.status == 200:
                    return proc, url, time.perf_counter() - start
        except OSError:
            time.sleep(0.02)
    proc.kill()
    raise RuntimeError("app.py did not answer within 60 s")


def run(database_url: str, repeats: int = 3) -> dict[str, object]:
    times = []
    for _ in range(repeats):
        proc, _url, seconds = start_app(database_url)
        times.append(seconds)
        proc.terminate()
        proc.wait(timeout=10)
    best = min(times)
    return {"runs_s": [round(t, 2) for t in times], "best_s": round(best, 2), "median_s": round(sorted(times)[1], 2),
            "target": "<= 3 s", "pass": sorted(times)[len(times) // 2] <= 3.0}
