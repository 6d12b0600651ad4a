"""Figure 6: 20 concurrent clients for 20 s against the production server (gunicorn, 2 workers), mixing every
callback with the requests figure 2 sent (and its GETs of the Data CSV route); and the app processes the benchmark starts (peak RSS for figure 5)."""
from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
import urllib.request
from pathlib import Path
from typing import Any

import requests

from tests.benchmarks.bench_callbacks import percentile
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 20
SECONDS = 20.0


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of an app process: this database, no first-start refresh."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMTRADE_", "CHOKEPOINT_", "DATABASE_"))}
    return env | {"DATABASE_URL": database_url, "CHOKEPOINT_AUTO_REFRESH": "0",
                  "COMTRADE_API_BASE": "http://127.0.0.1:9"} | extra


def wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path, limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    stop(proc)
    raise RuntimeError(f"the server did not answer within {limit_s} s:\n{log.read_text()[-3000:]}")


def start_bench_app(database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The dashboard plus the echo callback (tests.benchmarks.bench_app), as `python app.py` serves it."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.bench_app", "--port", str(port)], cwd=ROOT,
                                env=app_env(database_url), stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_ready(proc, url, log)
    return proc, url


def start_gunicorn(database_url: str, log: Path, workers: int = 2) -> tuple[subprocess.Popen[bytes], str]:
    """`gunicorn -c dashboard/gunicorn_conf.py`, the production server, on a free port."""
    port = free_port()
    env = app_env(database_url, CHOKEPOINT_PORT=str(port), CHOKEPOINT_WORKERS=str(workers))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as out:
        proc = subprocess.Popen([str(gunicorn), "-c", "dashboard/gunicorn_conf.py", "--access-logfile", "/dev/null"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_ready(proc, url, log)
    return proc, url


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmHWM for process {pid}")


def _client(url: str, bodies: list[tuple[str, dict[str, Any]]], until: float, seed: int,
            out: list[tuple[str, float, int]]) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    while time.perf_counter() < until:
        label, body = rng.choice(bodies)
        start = time.perf_counter()
        try:
            if "get" in body:  # the Data page's CSV route
                response = session.get(url + body["get"], timeout=60)
            else:
                response = session.post(f"{url}/_dash-update-component", json=body, timeout=60)
            _ = response.content
            status = response.status_code
        except requests.RequestException:
            status = 0
        out.append((label, time.perf_counter() - start, status))


def load(url: str, bodies: list[tuple[str, dict[str, Any]]], clients: int = CLIENTS,
         seconds: float = SECONDS) -> dict[str, Any]:
    """`clients` threads sending random callback requests (and route GETs) for `seconds`: throughput, latency,
    errors."""
    results: list[tuple[str, float, int]] = []
    until = time.perf_counter() + seconds
    threads = [threading.Thread(target=_client, args=(url, bodies, until, i, results)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    ms = sorted(r[1] * 1000 for r in results)
    failed = [f"{r[0]}: {r[2] or 'no answer'}" for r in results if r[2] == 0 or r[2] >= 400]
    errors = len(failed)
    return {"failed": dict(Counter(failed)), "clients": clients, "seconds": round(elapsed, 1), "requests": len(results),
            "throughput_rps": round(len(results) / elapsed, 1), "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1), "errors": errors, "callbacks_mixed": len({b[0] for b in bodies}),
            "target": "zero errors", "pass": errors == 0}
