"""`python -m etl schedule`: parsing --every and --cron, and a schedule that carries on after failed runs."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from etl.cli import main
from etl.errors import InputError
from etl.scheduler import make_trigger, parse_cron, parse_every
from tests.conftest import ROOT
from tests.test_comtrade_fake import (FakeComtrade, api_server, api_server_module, fake_api,  # noqa: F401
                                      fast_env, json_response)
from tests.test_refresh import rows

MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("text", "expected"), [("30m", timedelta(minutes=30)), ("24h", timedelta(hours=24)),
                                                ("7d", timedelta(days=7)), (" 90S ", timedelta(seconds=90)),
                                                ("2w", timedelta(weeks=2))])
def test_every_accepts_a_number_and_a_unit(text: str, expected: timedelta) -> None:
    assert parse_every(text) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "0h", "1.5h", "24 hours", "-1d", "1y"])
def test_every_refuses_anything_else(text: str) -> None:
    with pytest.raises(InputError, match="expected a number and a unit, e.g. 30m, 24h or 7d"):
        parse_every(text)


def test_every_makes_an_interval_trigger() -> None:
    trigger = make_trigger("24h", None)
    assert isinstance(trigger, IntervalTrigger) and trigger.interval == timedelta(hours=24)


def fires(expr: str, count: int = 3) -> list[datetime]:
    trigger = parse_cron(expr)
    trigger.timezone = timezone.utc
    out, previous, now = [], None, MONDAY_NOON
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, now)
        out.append(previous)
        now = previous + timedelta(seconds=1)
    return out


def test_cron_reads_a_crontab_line() -> None:
    assert isinstance(make_trigger(None, "0 6 * * *"), CronTrigger)
    assert fires("0 6 * * *") == [datetime(2026, 11, d, 6, 0, tzinfo=timezone.utc) for d in (24, 25, 26)]
    assert fires("30 2 1 * *", 2) == [datetime(2026, 12, 1, 2, 30, tzinfo=timezone.utc),
                                      datetime(2027, 1, 1, 2, 30, tzinfo=timezone.utc)]


def test_cron_weekdays_count_from_sunday_as_crontab_does() -> None:
    assert [d.strftime("%a") for d in fires("0 6 * * 0", 2)] == ["Sun", "Sun"]
    assert [d.strftime("%a") for d in fires("0 6 * * 7", 1)] == ["Sun"]
    assert [d.strftime("%a") for d in fires("0 6 * * 1-5", 5)] == ["Tue", "Wed", "Thu", "Fri", "Mon"]
    assert [d.strftime("%a") for d in fires("0 6 * * 6,0", 2)] == ["Sat", "Sun"]
    assert [d.strftime("%a") for d in fires("0 6 * * sat", 1)] == ["Sat"]


@pytest.mark.parametrize("expr", ["0 6 * *", "61 6 * * *", "0 6 * * 8", "every day", "0 6 * * 5-2"])
def test_cron_refuses_what_crontab_would(expr: str) -> None:
    with pytest.raises(InputError, match="is not a crontab expression .* Use five fields"):
        parse_cron(expr)


def test_the_cli_explains_a_bad_interval(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "--every", "soon"]) == 2
    assert "error: --every 'soon': expected a number and a unit" in capsys.readouterr().err


def test_failed_runs_are_logged_and_the_schedule_carries_on(db_url: str, cli_env: dict[str, str],
                                                            fake_api: FakeComtrade) -> None:
    fake_api.always = json_response(500, '{"statusCode": 500, "message": "Internal server error"}')
    env = fast_env(cli_env, fake_api.base, COMTRADE_MAX_RETRIES="0")
    process = subprocess.Popen([sys.executable, "-m", "etl", "schedule", "--every", "1s", "--now"], cwd=ROOT,
                               env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 45
    while sum("scheduled refresh failed (exit 3)" in line for line in lines) < 2:
        assert process.poll() is None, "".join(lines)
        assert time.monotonic() < deadline, "".join(lines)
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    reader.join(5)
    output = "".join(lines)
    assert "refresh scheduled (every 1s); running once now" in output
    assert "error: UN Comtrade failed with HTTP 500 (Internal server error) for /public/v1/preview/C/A/HS" in output
    assert "scheduled refresh failed (exit 3) after" in output and "; the schedule carries on. UN Comtrade" in output
    assert "stopping the schedule (signal 15)" in output
    failed = rows(db_url, "SELECT COUNT(*) FROM etl_run WHERE source = 'comtrade' AND status = 'failed'")[0][0]
    assert failed >= 2 and len(fake_api.calls) >= 2
