"""`python -m etl refresh` as real processes against the fake API on 127.0.0.1: killed half way and resumed, one
at a time, exit codes, first start, and the key kept out of every log line and table. Figures are SYNTHETIC."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from etl.refresh import start_first_refresh
from tests.conftest import ROOT
from tests.test_comtrade_fake import (SMALL_WATCHLIST_CALLS, FakeComtrade, api_server, api_server_module,  # noqa: F401
                                      fake_api, fast_env, fast_settings, fixture_text, json_response,
                                      small_watchlist_cells)
from tests.test_refresh import rows, runs, trade_keys


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def refresh(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, text=True, capture_output=True,
                          timeout=60)


def wait_for(condition, seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_refresh_killed_half_way_resumes_with_nothing_lost_or_duplicated(db_url: str, cli_env: dict[str, str],
                                                                          fake_api: FakeComtrade) -> None:
    env = fast_env(cli_env, fake_api.base)
    fake_api.hold_at = 6  # the sixth call hangs until released: the process is killed while waiting for it
    process = start(env, "refresh")
    assert fake_api.reached.wait(30)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    fake_api.release.set()
    # Five calls were committed, each with its rows, coverage and progress; the sixth left nothing behind.
    assert rows(db_url, "SELECT status, calls_done, calls_planned FROM refresh_state") == [("running", 5, 12)]
    done = trade_keys(db_url)
    assert len(done) == 5 * 8 and rows(db_url, "SELECT COUNT(DISTINCT period) FROM coverage") == [(5,)]

    resumed = refresh(env, "refresh")
    assert resumed.returncode == 0, resumed.stderr
    assert len(fake_api.calls) == 6 + (SMALL_WATCHLIST_CALLS - 5)  # only what was missing is asked again
    assert trade_keys(db_url) == fake_api.expected_cells(small_watchlist_cells()) and done < trade_keys(db_url)
    assert rows(db_url, "SELECT COUNT(*) FROM trade_flow") == [(72,)]
    history = runs(db_url)
    assert [r[:2] for r in history] == [("failed", 0), ("ok", 32)]
    assert history[0][3].startswith("stopped before finishing (the process was killed or the machine stopped) "
                                    "after 5 of 12 calls")
    assert "UN Comtrade refresh ok (keyless preview): 7 of 7 calls" in resumed.stdout


def test_only_one_refresh_runs_at_a_time(db_url: str, cli_env: dict[str, str], fake_api: FakeComtrade) -> None:
    env = fast_env(cli_env, fake_api.base)
    fake_api.hold_at = 1
    first = start(env, "refresh")
    assert fake_api.reached.wait(30)
    second = refresh(env, "refresh")
    assert second.returncode == 1
    assert second.stderr.startswith(f"error: Another refresh is running (pid {first.pid}, started 20")
    assert "only one runs at a time" in second.stderr and "Traceback" not in second.stderr
    fake_api.release.set()
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert [r[0] for r in runs(db_url)] == ["ok"]  # the refused one recorded nothing


def test_source_failures_exit_3_with_one_clear_line(db_url: str, cli_env: dict[str, str],
                                                    fake_api: FakeComtrade) -> None:
    fake_api.faults = [json_response(403, fixture_text("quota_403.json"))]
    result = refresh(fast_env(cli_env, fake_api.base), "refresh")
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: UN Comtrade's call quota is used up (HTTP 403")
    assert rows(db_url, "SELECT status FROM refresh_state") == [("failed",)]


def test_the_key_appears_in_no_log_line_and_no_table(db_url: str, cli_env: dict[str, str], api_server) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    key = "SYNTHETIC-KEY-c0ffee-5ecret"
    fake = FakeComtrade(api_server, key=key)
    fake.faults = [json_response(429, fixture_text("rate_limit_429.json").replace("1 seconds", "0 seconds")),
                   json_response(500, f'{{"message": "upstream said {key}"}}')]
    env = fast_env(cli_env, fake.base, COMTRADE_API_KEY=key)
    result = refresh(env, "-v", "refresh")  # debug logging: every request line of the HTTP library too
    assert result.returncode == 0, result.stderr
    assert "retry 2 of 2" in result.stderr and "/data/v1/get/C/A/HS" in result.stderr
    wrong = refresh(dict(env, COMTRADE_API_KEY=key + "-old"), "refresh", "--full")
    assert wrong.returncode == 3 and "refused the subscription key" in wrong.stderr
    assert all(c["headers"].get("Ocp-Apim-Subscription-Key", "").startswith(key) for c in fake.calls)
    assert all(key not in c["url"] for c in fake.calls)
    for text in (result.stdout, result.stderr, wrong.stdout, wrong.stderr):
        assert "5ecret" not in text
    dump = "\n".join(sqlite3.connect(db_url.removeprefix("sqlite:///")).iterdump())
    assert "/data/v1/get/C/A/HS?" in dump and "5ecret" not in dump


def test_first_start_launches_one_background_refresh_that_logs_next_to_the_database(
        db_url: str, fake_api: FakeComtrade) -> None:
    from etl.pipeline import init_db

    settings = fast_settings(db_url, fake_api.base, chokepoint_auto_refresh=True)
    init_db(settings)
    assert start_first_refresh(settings) is True
    wait_for(lambda: rows(db_url, "SELECT status FROM refresh_state") in ([("ok",)], [("failed",)]))
    assert rows(db_url, "SELECT status, calls_done FROM refresh_state") == [("ok", SMALL_WATCHLIST_CALLS)]
    log = Path(db_url.removeprefix("sqlite:///")).parent / "refresh.log"
    assert "UN Comtrade refresh ok (keyless preview): 12 of 12 calls" in log.read_text()
    assert start_first_refresh(settings) is False  # now there is Comtrade data


def test_first_start_offline_records_that_a_refresh_is_needed(db_url: str) -> None:
    from etl.pipeline import init_db

    settings = fast_settings(db_url, "http://127.0.0.1:9", chokepoint_auto_refresh=True, comtrade_max_retries=0)
    init_db(settings)
    assert start_first_refresh(settings) is True
    wait_for(lambda: rows(db_url, "SELECT status FROM refresh_state") == [("failed",)])
    message = rows(db_url, "SELECT message FROM refresh_state")[0][0]
    assert message.startswith("Cannot reach UN Comtrade at http://127.0.0.1:9: Connection refused (1 attempt). "
                              "HS-level data needs a refresh: run `python -m etl refresh`")
    assert runs(db_url)[0][0] == "failed"
    assert os.path.exists(Path(db_url.removeprefix("sqlite:///")).parent / "refresh.log")
