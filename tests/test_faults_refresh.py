"""`python -m etl refresh` killed with SIGKILL at random points, several times, then finished; and an import
while a refresh writes. Real processes against the fake API on 127.0.0.1; figures are SYNTHETIC."""
from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time

from tests.conftest import CASES, ROOT
from tests.test_comtrade_fake import (FakeComtrade, api_server, api_server_module, fake_api,  # noqa: F401
                                      fast_env, small_watchlist_cells)
from tests.test_refresh import rows, trade_keys

KILLS = 4


def units_complete(db_url: str) -> bool:
    """Every stored cell's call unit is whole: each coverage entry has all the rows its call returned."""
    counted = rows(db_url, "SELECT c.period, c.reporter_code, c.partner_code, c.flow, c.records, "
                           "(SELECT COUNT(*) FROM trade_flow t WHERE t.source = 'comtrade' AND t.period = c.period "
                           " AND t.reporter_code = c.reporter_code AND t.partner_code = c.partner_code "
                           " AND t.flow = c.flow) FROM coverage c")
    return all(stored == records for *_key, records, stored in counted)  # nothing committed yet is whole too


def integrity(db_url: str) -> str:
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_refresh_killed_at_random_points_then_finished_gives_the_clean_result(  # type: ignore[no-untyped-def]
        db_url, cli_env, fake_api: FakeComtrade) -> None:
    env = fast_env(cli_env, fake_api.base)
    fake_api.always = lambda request: (time.sleep(random.uniform(0.01, 0.08)), fake_api.answer(request))[1]
    rng = random.Random(20261125)
    kills = 0
    for _ in range(KILLS):
        process = subprocess.Popen([sys.executable, "-m", "etl", "refresh"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.4, 1.6))  # interpreter start-up is ~0.4 s here; calls follow every ~50 ms
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(30)
        assert integrity(db_url) == "ok"
        assert units_complete(db_url)
    finished = subprocess.run([sys.executable, "-m", "etl", "refresh"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert kills >= 2  # most runs were really cut short
    assert trade_keys(db_url) == fake_api.expected_cells(small_watchlist_cells())
    assert rows(db_url, "SELECT COUNT(*) FROM trade_flow") == [(72,)]
    assert integrity(db_url) == "ok"


def test_an_import_while_a_refresh_writes_waits_and_both_land(db_url, cli_env, fake_api: FakeComtrade) -> None:  # type: ignore[no-untyped-def]
    env = fast_env(cli_env, fake_api.base, CHOKEPOINT_LOCK_TIMEOUT_S="20")
    fake_api.always = lambda request: (time.sleep(0.1), fake_api.answer(request))[1]
    refresh = subprocess.Popen([sys.executable, "-m", "etl", "refresh"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.8)
    imported = subprocess.run([sys.executable, "-m", "etl", "import", str(CASES / "foundation" / "synthetic_long.csv")],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    _out, err = refresh.communicate(timeout=120)
    assert imported.returncode == 0, imported.stderr
    assert refresh.returncode == 0, err
    assert rows(db_url, "SELECT source, COUNT(*) FROM trade_flow GROUP BY source ORDER BY source") == [
        ("comtrade", 72), ("csv:synthetic_long.csv", 6)]
    assert integrity(db_url) == "ok"
