"""`python -m etl refresh`: fetch the watchlist from UN Comtrade, incrementally, committing one call at a time.

An interrupted refresh loses nothing already committed, and the next one asks only for what is still missing
(or still inside the revision window). Only one refresh runs at a time (etl/refresh_lock.py).
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import logging
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import IO, Iterator

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from etl import load
from etl.db import describe_operational_error, make_engine, sqlite_path, utc_now
from etl.errors import ChokepointError, DatabaseError
from etl.pipeline import init_db, writer_engine
from etl.queries import run_query
from etl.refresh_lock import RefreshLock, lock_path
from etl.refresh_plan import (SOURCE, Covered, Options, check_since, load_cursor, load_watchlist, needed,
                              plan_calls, watchlist_path, watchlist_units)
from etl.refresh_store import CallResult, Progress, commit_call, read_state, write_state
from etl.settings import PROJECT_ROOT, SETTINGS, Settings, subprocess_env
from etl.sources.comtrade import ComtradeClient, Query, Record

log = logging.getLogger(__name__)


class Display:
    """A progress bar on a terminal; plain log lines otherwise (cron, systemd, the first-start log file)."""

    def __init__(self, progress: Progress, stream: IO[str]) -> None:
        self._progress = progress
        self._bar = (tqdm(total=progress.calls_planned, unit="call", desc="UN Comtrade", file=stream,
                          dynamic_ncols=True) if stream.isatty() else None)

    def replanned(self) -> None:
        if self._bar is not None:
            self._bar.total = self._progress.calls_planned
            self._bar.refresh()

    def retried(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix(rows=self._progress.rows_written, retries=self._progress.retries)

    def call_done(self, query: Query, result: CallResult) -> None:
        p = self._progress
        if self._bar is not None:
            self._bar.update(1)
            self.retried()
            return
        log.info("call %d/%d %s: %d records, %d new rows, %d changed, %d empty cells", p.calls_done,
                 p.calls_planned, query.describe(), result.records, result.inserted, result.updated + result.removed,
                 result.empty_cells)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def summary(progress: Progress, endpoint: str, seconds: float) -> str:
    p = progress
    if not p.calls_planned:
        return f"UN Comtrade refresh {p.status} ({endpoint}): {p.message}."
    return (f"UN Comtrade refresh {p.status} ({endpoint}): {p.calls_done} of {p.calls_planned} calls, "
            f"{p.records} records; {p.inserted} rows inserted, {p.updated} updated, {p.removed} removed, "
            f"{p.rejected} rejected; {p.empty_cells} empty answers (nothing reported); {p.retries} retries; "
            f"{seconds:.0f} s.")


def run_refresh(settings: Settings, options: Options, stream: IO[str] | None = None) -> Progress:
    """Fetch what the watchlist still needs. Raises ChokepointError (recorded in etl_run) when it cannot finish."""
    check_since(options.since)
    engine = writer_engine(settings)
    with RefreshLock(lock_path(settings.database_url)):
        progress = Progress(started_at=utc_now())
        endpoint = "keyed endpoint" if settings.comtrade_api_key.strip() else "keyless preview"
        params = {"full": options.full, "only": options.only, "since": options.since, "endpoint": endpoint}
        try:
            init_db(settings, engine)
            _run(settings, options, engine, progress, stream or sys.stderr, params)
        except (ChokepointError, KeyboardInterrupt) as exc:
            _record_end(engine, progress, _failure_text(exc, progress), params, failed=True)
            raise
        except OperationalError as exc:
            message = describe_operational_error(exc, settings.database_url)
            _record_end(engine, progress, message, params, failed=True)
            raise DatabaseError(message) from exc
        except Exception as exc:
            _record_end(engine, progress, f"unexpected {type(exc).__name__}: {exc}", params, failed=True)
            raise
    return progress


def _run(settings: Settings, options: Options, engine: Engine, progress: Progress, stream: IO[str],
         params: dict[str, object]) -> None:
    watchlist = load_watchlist(watchlist_path(settings.chokepoint_watchlist))
    params["watchlist"] = str(watchlist.path)
    units = list(watchlist_units(watchlist, options, date.today()))
    display: Display | None = None

    def on_retry(reason: str, wait: float) -> None:
        progress.retries += 1
        _heartbeat(engine, progress)
        if display is not None:
            display.retried()

    def on_split(query: Query, parts: tuple[Query, Query]) -> None:
        progress.calls_planned += 1
        if display is not None:
            display.replanned()

    client = ComtradeClient(settings, on_retry=on_retry, on_split=on_split)
    with engine.begin() as conn:
        cursor = load_cursor(conn)
        _note_interrupted(conn, read_state(conn))
        calls = plan_calls(needed(units, cursor, options, settings.comtrade_revision_months), client.fits,
                           client.max_periods)
        progress.calls_planned = len(calls)
        progress.message = f"fetching {len(calls)} calls from UN Comtrade ({params['endpoint']})"
        progress.planned = True
        write_state(conn, progress)
    log.info("%d watchlist cells, %d calls to make (%s)", len(units), len(calls), params["endpoint"])
    display = Display(progress, stream)
    try:
        with logging_redirect_tqdm() if stream.isatty() else contextlib.nullcontext():
            for call in calls:
                for query, records in client.fetch_all(call):
                    result = _commit(engine, client, query, records, cursor, progress)
                    display.call_done(query, result)
    finally:
        display.close()
    message = (f"{progress.calls_done} calls, {progress.records} records: {progress.inserted} rows inserted, "
               f"{progress.updated} updated, {progress.removed} removed, {progress.rejected} rejected; "
               f"{progress.empty_cells} empty answers; {progress.retries} retries" if calls else
               "the watchlist is up to date: nothing to fetch (--full fetches everything again)")
    _record_end(engine, progress, message, params, failed=False)


def _commit(engine: Engine, client: ComtradeClient, query: Query, records: list[Record], cursor: dict[str, Covered],
            progress: Progress) -> CallResult:
    """One answer, its coverage and the progress row in one transaction; counted only once it is committed."""
    before = copy.copy(progress)
    try:
        with engine.begin() as conn:
            result = commit_call(conn, query, records, client.source_ref(query), cursor)
            _count(progress, result)
            write_state(conn, progress)
    except BaseException:
        progress.__dict__.update(before.__dict__)
        raise
    return result


def _count(progress: Progress, result: CallResult) -> None:
    progress.calls_done += 1
    progress.records += result.records
    progress.inserted += result.inserted
    progress.updated += result.updated
    progress.removed += result.removed
    progress.rejected += result.rejected
    progress.skipped += result.skipped
    progress.empty_cells += result.empty_cells


def _heartbeat(engine: Engine, progress: Progress) -> None:
    """Show a retry in the progress row before waiting; a failure to write it must not stop the refresh."""
    try:
        with engine.begin() as conn:
            write_state(conn, progress)
    except SQLAlchemyError as exc:
        log.warning("could not update the refresh progress: %s", type(exc).__name__)


def _note_interrupted(conn: Connection, state: dict[str, object] | None) -> None:
    """A 'running' row found while we hold the lock belongs to a refresh that died: say so in etl_run."""
    if state is None or state["status"] != "running":
        return
    load.record_run(conn, SOURCE, str(state["started_at"]), "failed", message=(
        f"stopped before finishing (the process was killed or the machine stopped) after {state['calls_done']} of "
        f"{state['calls_planned']} calls; what those calls fetched is kept, and the next refresh asked for the rest"))


def _failure_text(exc: BaseException, progress: Progress) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return (f"interrupted after {progress.calls_done} of {progress.calls_planned} calls; what was fetched is "
                "kept: run `python -m etl refresh` to fetch the rest")
    return str(exc)


def _record_end(engine: Engine, progress: Progress, message: str, params: dict[str, object], failed: bool) -> None:
    """The final progress row and the run's one etl_run row, together. After a failure, best effort."""
    progress.status = ("partial" if progress.calls_done else "failed") if failed else "ok"
    progress.message = message[:4000]
    counts = {"calls_planned": progress.calls_planned, "calls_done": progress.calls_done,
              "records": progress.records, "removed": progress.removed, "skipped": progress.skipped,
              "empty_cells": progress.empty_cells, "retries": progress.retries}
    try:
        with engine.begin() as conn:
            if progress.planned:  # a refresh refused before it planned (bad --only, bad watchlist) keeps the last one
                write_state(conn, progress)
            load.record_run(conn, SOURCE, progress.started_at, progress.status, progress.inserted,
                            progress.updated, progress.rejected, progress.message, {**params, **counts})
    except SQLAlchemyError:
        if not failed:
            raise
        log.warning("could not record the failed refresh in the database (it is what failed)")


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (systemd stop, kill) ends the refresh like Ctrl-C: the unfinished call is rolled back, and recorded."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cli_refresh(args: argparse.Namespace, settings: Settings) -> int:
    """`python -m etl refresh [--full] [--only NAME] [--since PERIOD]`."""
    options = Options(full=bool(args.full), only=args.only, since=args.since)
    endpoint = "keyed endpoint" if settings.comtrade_api_key.strip() else "keyless preview"
    started = time.monotonic()
    with _sigterm_interrupts():
        progress = run_refresh(settings, options)
    print(summary(progress, endpoint, time.monotonic() - started))
    return 0


# --- first start ---------------------------------------------------------------------------------------------

def child_env(settings: Settings) -> dict[str, str]:
    """The environment for a child `python -m etl ...`: exactly these settings (the key stays out of argv)."""
    env = subprocess_env()
    for setting in SETTINGS:
        value = getattr(settings, setting.name.lower())
        env[setting.name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return env


def refresh_log_path(settings: Settings) -> Path:
    """data/refresh.log: next to the SQLite file, or in the project's data folder for server databases."""
    path = sqlite_path(settings.database_url)
    return (path.parent if path is not None else PROJECT_ROOT / "data") / "refresh.log"


def start_first_refresh(settings: Settings) -> bool:
    """On a database without any Comtrade data, start `python -m etl refresh` in the background; True if started."""
    if not settings.chokepoint_auto_refresh:
        return False
    engine = make_engine(settings.database_url, read_only=True, lock_timeout_s=settings.chokepoint_lock_timeout_s)
    try:
        with engine.connect() as conn:
            found = run_query(conn, "refresh_has_data", source=SOURCE).iloc[0]
    finally:
        engine.dispose()
    if int(found["trade_rows"]) or int(found["coverage_rows"]):
        return False
    log_path = refresh_log_path(settings)
    with log_path.open("a", encoding="utf-8") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "etl", "refresh"], cwd=PROJECT_ROOT,
                                   env=child_env(settings), stdin=subprocess.DEVNULL, stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    threading.Thread(target=process.wait, name="first-refresh-reaper", daemon=True).start()
    log.warning("No UN Comtrade data yet: started a refresh in the background (pid %d); its log is %s",
                process.pid, log_path)
    return True
