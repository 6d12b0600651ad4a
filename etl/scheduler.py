"""`python -m etl schedule (--every 24h | --cron "0 6 * * *") [--now]`: refresh on a schedule (APScheduler 3).

The scheduler is its own long-running process, never part of the web workers. Each run is a child process
`python -m etl refresh`, not a function call: a run that crashes, hangs or leaks memory cannot take the schedule
down with it, and it behaves exactly like a refresh started by cron (same lock, same etl_run row, same exit codes).
A failed run is logged with its error and the schedule carries on.
"""
from __future__ import annotations

import argparse
import logging
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from etl.errors import InputError
from etl.refresh import child_env
from etl.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # crontab numbering: 0 and 7 are Sunday


def parse_every(text: str) -> timedelta:
    """'30m', '24h', '7d' (also s and w) -> a positive timedelta."""
    found = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", text.lower())
    if not found or int(found.group(1)) == 0:
        raise InputError(f"--every {text!r}: expected a number and a unit, e.g. 30m, 24h or 7d "
                         "(s seconds, m minutes, h hours, d days, w weeks).")
    return timedelta(**{UNITS[found.group(2)]: int(found.group(1))})


def _weekdays(field: str) -> str:
    """A crontab day-of-week field in names, since APScheduler 3 numbers days from Monday, not Sunday."""
    days: list[str] = []
    for token in field.lower().split(","):
        found = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", token)
        if not found:
            days.append(token)  # names (mon-fri) mean the same to both
            continue
        first = 0 if found.group(1) == "*" else int(found.group(1))
        last = int(found.group(2)) if found.group(2) else (6 if found.group(1) == "*" or found.group(3) else first)
        if not 0 <= first <= last <= 7 or found.group(3) == "0":
            raise ValueError(f"day of week {token!r} is not within 0-7 (0 and 7 are Sunday)")
        days += [CRON_DAYS[d] for d in range(first, last + 1, int(found.group(3) or 1))]
    return ",".join(dict.fromkeys(days))


def parse_cron(expr: str) -> CronTrigger:
    """A 5-field crontab expression (minute hour day month weekday), with crontab's weekday numbers."""
    fields = expr.split()
    try:
        if len(fields) != 5:
            raise ValueError(f"it has {len(fields)} fields, not 5")
        if fields[4] not in ("*", "?"):
            fields[4] = _weekdays(fields[4])
        return CronTrigger.from_crontab(" ".join(fields))
    except ValueError as exc:
        raise InputError(f"--cron {expr!r} is not a crontab expression ({exc}). Use five fields: minute hour "
                         "day-of-month month day-of-week, e.g. \"0 6 * * *\" for 06:00 every day.") from None


def make_trigger(every: str | None, cron: str | None) -> BaseTrigger:
    if cron:
        return parse_cron(cron)
    if not every:
        raise InputError("schedule needs --every INTERVAL (e.g. 24h) or --cron EXPR (e.g. \"0 6 * * *\").")
    return IntervalTrigger(seconds=int(parse_every(every).total_seconds()))


class RefreshJob:
    """Runs `python -m etl refresh` as a child, relays its output, and never raises: a failure is a log line."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._child: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._stopping = False

    def __call__(self) -> int:
        started = time.monotonic()
        log.info("scheduled refresh starting")
        try:
            code, error = self._run()
        except OSError as exc:
            log.error("scheduled refresh could not start: %s; the schedule carries on", exc)
            return -1
        took = time.monotonic() - started
        if code == 0:
            log.info("scheduled refresh finished in %.0f s", took)
        elif self._stopping:
            log.info("scheduled refresh stopped (exit %d) with the schedule", code)
        else:
            log.error("scheduled refresh failed (exit %d) after %.0f s; the schedule carries on. %s", code, took,
                      error or "See the lines above.")
        return code

    def _run(self) -> tuple[int, str]:
        with self._lock:
            self._child = subprocess.Popen([sys.executable, "-m", "etl", "refresh"], cwd=PROJECT_ROOT,
                                           env=child_env(self._settings), stdin=subprocess.DEVNULL,
                                           stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace")
        error = ""
        assert self._child.stderr is not None
        for line in self._child.stderr:  # relayed as it comes, so the refresh's own log lines stay in order
            sys.stderr.write(line)
            if line.startswith("error:"):
                error = line[len("error:"):].strip()
        code = self._child.wait()
        with self._lock:
            self._child = None
        return code, error

    def stop(self) -> None:
        """Ask a running child to stop (it records itself as interrupted)."""
        with self._lock:
            self._stopping = True
            if self._child is not None and self._child.poll() is None:
                self._child.terminate()


def cli_schedule(args: argparse.Namespace, settings: Settings) -> int:
    """Block, running the refresh on the trigger, until SIGTERM or SIGINT."""
    trigger = make_trigger(args.every, args.cron)
    scheduler = BlockingScheduler()
    job = RefreshJob(settings)
    extra = {"next_run_time": datetime.now(scheduler.timezone)} if args.now else {}
    scheduler.add_job(job, trigger, id="refresh", name="python -m etl refresh", max_instances=1, coalesce=True,
                      misfire_grace_time=None, **extra)

    def report(event: JobExecutionEvent) -> None:
        upcoming = scheduler.get_job("refresh")
        if upcoming is not None:
            log.info("next refresh at %s", upcoming.next_run_time)

    scheduler.add_listener(report, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def stop(signum: int, frame: object) -> None:
        log.info("stopping the schedule (signal %d)", signum)
        job.stop()
        scheduler.shutdown(wait=False)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    first = trigger.get_next_fire_time(None, datetime.now(scheduler.timezone))
    log.info("refresh scheduled (%s); %s", args.cron or f"every {args.every}",
             "running once now" if args.now else f"first run at {first}")
    scheduler.start()
    return 0
