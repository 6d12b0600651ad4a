"""Faults during `python -m etl import`, done for real: kill -9 at random points, another writer holding the
database, a read-only or full file system, a missing folder. Afterwards the database is sound and holds either
all rows of the file or none; the next run gives exactly what a clean run gives.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, event, text

from etl.db import WRITER_LOCK_KEY, make_engine
from etl.errors import DatabaseError
from etl.pipeline import import_file, init_db
from etl.settings import Settings
from tests import dbstate
from tests.conftest import CASES, ROOT
from tests.pg import Cluster

ROWS = 20_000
SMALL = CASES / "foundation" / "synthetic_long.csv"
NOT_TIMED = tuple(c for c in dbstate.TRADE_COLUMNS if c != "retrieved_at")  # the one column a rerun may change


def write_big(path: Path, rows: int = ROWS) -> Path:
    """A long-format file of made-up figures, every key distinct."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n")
        for i in range(rows):
            block, j = divmod(i, 576)  # per HS code: 2 reporters x 24 years x 12 months
            period = f"{2000 + j % 288 // 12}{j % 12 + 1:02d}"
            handle.write(f"{156 if j < 288 else 344},643,X,M,{period},{100000 + block:06d},{i + 1},{i % 7 or ''},,\n")
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_big(tmp_path_factory.mktemp("input") / "synthetic_faults.csv")


def settings_for(url: str, lock_timeout_s: float = 5.0) -> Settings:
    return Settings.from_env(environ={}, database_url=url, chokepoint_lock_timeout_s=lock_timeout_s)


def initialised(url: str) -> str:
    engine = make_engine(url)
    init_db(settings_for(url), engine=engine)
    engine.dispose()  # the last connection closes: SQLite folds the WAL back into the file
    return url


def env_for(cli_env: dict[str, str], url: str, **extra: str) -> dict[str, str]:
    return dict(cli_env, DATABASE_URL=url, **extra)


def etl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


def spawn(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def assert_clean_error(done: subprocess.CompletedProcess[str], code: int, *phrases: str) -> None:
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stderr.startswith("error: ")
    for phrase in phrases:
        assert phrase in done.stderr, done.stderr


# --- kill -9 --------------------------------------------------------------------------------------------------

def writer_busy(path: Path) -> bool:
    """True while another connection holds SQLite's write lock (probe: BEGIN IMMEDIATE without waiting)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=0, isolation_level=None)
    except sqlite3.OperationalError:
        return False  # not created yet
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return True
        raise
    finally:
        conn.close()


def wal_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def wait_mid_load(proc: subprocess.Popen[bytes], path: Path, deadline_s: float = 120) -> bool:
    """Wait until the importer holds the write lock with a load's worth of pages in the WAL; False if it ended."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end and proc.poll() is None:
        if wal_bytes(path) > 512 * 1024 and writer_busy(path):
            return True
        time.sleep(0.002)
    return False


def check_after_kill(url: str, source: str, template: list[tuple]) -> int:
    """Sound file; all rows of the file or none; an ok run exactly when the rows are there. Returns rows seen."""
    assert dbstate.integrity(url) == "ok"
    seen = len(dbstate.source_rows(url, source))
    assert seen in (0, ROWS), f"partial import visible: {seen} of {ROWS} rows"
    ok_for_source = [r for r in dbstate.runs(url) if r["source"] == source and r["status"] == "ok"]
    assert len(ok_for_source) == (1 if seen else 0)
    if not seen:
        assert dbstate.trade_dump(url) == template
    return seen


def test_kill_9_at_random_points_leaves_all_or_nothing(tmp_path: Path, big: Path, cli_env: dict[str, str]) -> None:
    template = tmp_path / "template.db"
    initialised(f"sqlite:///{template}")
    clean = tmp_path / "clean.db"
    shutil.copyfile(template, clean)
    started = time.monotonic()
    done = etl(env_for(cli_env, f"sqlite:///{clean}"), "import", str(big))
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    expected = dbstate.trade_dump(f"sqlite:///{clean}", NOT_TIMED)
    assert len(expected) == ROWS
    seed = random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    # Random delays over the whole run (start-up, parsing, the load, commit), plus kills aimed at the load itself.
    trials = ["random"] * 3 + ["mid-load"] * 2
    outcomes = []
    for number, how in enumerate(trials):
        db = tmp_path / f"kill{number}.db"
        shutil.copyfile(template, db)
        url = f"sqlite:///{db}"
        proc = spawn(env_for(cli_env, url), "import", str(big))
        if how == "random":
            time.sleep(rng.uniform(0.0, duration * 1.1))
            holding = writer_busy(db)
        else:
            holding = wait_mid_load(proc, db)
            assert holding, "the import ended before it was seen holding the write lock"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        seen = check_after_kill(url, f"csv:{big.name}", [])
        import_file(settings_for(url), big)
        assert dbstate.trade_dump(url, NOT_TIMED) == expected, f"seed {seed}, trial {number}"
        assert dbstate.integrity(url) == "ok"
        outcomes.append((how, holding, seen, proc.returncode))
    killed = [o for o in outcomes if o[3] == -signal.SIGKILL]
    assert killed and any(o[1] and o[2] == 0 for o in killed), outcomes  # at least one kill inside the load
    print(f"\nkill -9 runs (seed {seed}; how, write lock held, rows seen after, exit): {outcomes}")


def test_kill_9_during_a_postgresql_load(pg_cluster: Cluster, big: Path, cli_env: dict[str, str]) -> None:
    url = pg_cluster.url(pg_cluster.create_database())
    initialised(url)
    monitor = make_engine(url, read_only=True)
    for _attempt in range(1):
        proc = spawn(env_for(cli_env, url), "import", str(big))
        pid = None
        end = time.monotonic() + 120
        while pid is None and time.monotonic() < end and proc.poll() is None:
            with monitor.connect() as conn:
                pid = conn.execute(text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
                    "AND query LIKE 'INSERT INTO trade_flow%'")).scalar()
            time.sleep(0.01)
        assert pid is not None, "the import ended before its load was seen"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        with monitor.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM trade_flow")).scalar_one() == 0
        while time.monotonic() < end and session_alive(monitor, pid):
            time.sleep(0.05)  # the server ends the orphaned session, rolling its transaction back
        assert not session_alive(monitor, pid)
        with monitor.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM trade_flow")).scalar_one() == 0
            assert conn.execute(text("SELECT COUNT(*) FROM etl_run WHERE source = :s"),
                                {"s": f"csv:{big.name}"}).scalar_one() == 0
    monitor.dispose()
    result = import_file(settings_for(url, lock_timeout_s=60), big)  # waits for the dead session's lock to go
    assert result.inserted == ROWS and len(dbstate.source_rows(url, f"csv:{big.name}")) == ROWS


def session_alive(engine: Engine, pid: int) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar())


# --- another writer holds the database ------------------------------------------------------------------------

@contextmanager
def sqlite_writer(path: Path) -> Iterator[sqlite3.Connection]:
    """Another process-like writer holding SQLite's write lock until the block ends."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")
        conn.close()


@contextmanager
def postgres_writer(url: str) -> Iterator[None]:
    """Another Chokepoint writer in an open transaction: it holds the writers' advisory lock."""
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # autobegin: the writer lock is taken
        yield
        conn.rollback()
    engine.dispose()


@contextmanager
def holding_writer(backend: str, url: str) -> Iterator[None]:
    if backend == "sqlite":
        with sqlite_writer(Path(url.removeprefix("sqlite:///"))):
            yield
    else:
        with postgres_writer(url):
            yield


def waiting_for_lock(backend: str, url: str, proc: subprocess.Popen[bytes]) -> bool:
    """True once the importer is blocked on the writer lock (not merely still starting up)."""
    if backend == "postgresql":
        engine = make_engine(url, read_only=True)
        with engine.connect() as conn:
            waiting = conn.execute(text("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                        "AND objid = :key"), {"key": WRITER_LOCK_KEY}).scalar_one()
        engine.dispose()
        return bool(waiting)
    # SQLite has no lock table: the importer has the database open, and SQLite only lets it wait.
    path = Path(url.removeprefix("sqlite:///")).resolve()
    fds = Path(f"/proc/{proc.pid}/fd")
    return any(os.path.realpath(fd) == str(path) for fd in fds.iterdir()) if fds.exists() else False


@pytest.mark.both_backends
def test_import_waits_for_a_writer_that_finishes_in_time(db_backend: str, db_url: str,
                                                         cli_env: dict[str, str]) -> None:
    initialised(db_url)
    with holding_writer(db_backend, db_url):
        proc = subprocess.Popen([sys.executable, "-m", "etl", "import", str(SMALL)], cwd=ROOT,
                                env=env_for(cli_env, db_url, CHOKEPOINT_LOCK_TIMEOUT_S="120"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 60
        while not waiting_for_lock(db_backend, db_url, proc) and time.monotonic() < end and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the import did not wait for the other writer"
        time.sleep(0.5)
        assert proc.poll() is None
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "6 inserted" in out and len(dbstate.source_rows(db_url, f"csv:{SMALL.name}")) == 6


@pytest.mark.both_backends
def test_import_fails_clearly_when_the_writer_keeps_the_lock(db_backend: str, db_url: str,
                                                             cli_env: dict[str, str]) -> None:
    initialised(db_url)
    import_file(settings_for(db_url), CASES / "foundation" / "synthetic_comtrade.csv")
    before, runs_before = dbstate.trade_dump(db_url), dbstate.runs(db_url)
    with holding_writer(db_backend, db_url):
        done = etl(env_for(cli_env, db_url, CHOKEPOINT_LOCK_TIMEOUT_S="1"), "import", str(SMALL))
    assert_clean_error(done, 1, "is locked by another writer", "CHOKEPOINT_LOCK_TIMEOUT_S")
    assert dbstate.trade_dump(db_url) == before and dbstate.runs(db_url) == runs_before


def test_a_foreign_table_lock_on_postgresql_is_bounded_too(pg_cluster: Cluster,
                                                             cli_env: dict[str, str]) -> None:
    """Not a Chokepoint writer (no advisory lock) but a table lock: lock_timeout still bounds the wait."""
    import psycopg

    url = initialised(pg_cluster.url(pg_cluster.create_database()))
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute("LOCK TABLE trade_flow IN ACCESS EXCLUSIVE MODE")
        done = etl(env_for(cli_env, url, CHOKEPOINT_LOCK_TIMEOUT_S="1"), "import", str(SMALL))
        conn.rollback()
    assert_clean_error(done, 1, "is locked by another writer")
    assert dbstate.trade_dump(url) == []


# --- read-only, missing folder, disk full ------------------------------------------------------------------------

@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[bool]:
    """A size-capped tmpfs at `path`; yields False where this process may not mount (then tests use a fallback)."""
    path.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        yield False
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True, capture_output=True)


def test_read_only_database_refuses_writes_clearly_and_still_reads(tmp_path: Path, cli_env: dict[str, str]) -> None:
    with tmpfs(tmp_path / "ro", "32m") as mounted:
        db = tmp_path / "ro" / "chokepoint.db"
        url = initialised(f"sqlite:///{db}")
        import_file(settings_for(url), SMALL)
        before, runs_before = dbstate.trade_dump(url), dbstate.runs(url)
        if mounted:
            remount(tmp_path / "ro", "ro")  # a read-only file system: even root cannot write
            writer_url = url
        else:  # fallback where mounting is not allowed: SQLite's read-only open mode, for the writer as well
            writer_url = f"sqlite:///file:{db}?mode=ro&uri=true"
        env = env_for(cli_env, writer_url)
        assert_clean_error(etl(env, "import", str(CASES / "foundation" / "synthetic_comtrade.csv")), 1,
                           "read-only")
        status = etl(env, "status")
        assert status.returncode == 0 and "csv:synthetic_long.csv" in status.stdout, status.stderr
        exported = etl(env, "export", "--out", "-")
        assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 7, exported.stderr
        if mounted:
            remount(tmp_path / "ro", "rw")
        assert dbstate.trade_dump(url) == before and dbstate.runs(url) == runs_before
        assert dbstate.integrity(url) == "ok"


@pytest.mark.parametrize("command", ["import", "export"])
def test_missing_database_folder_is_a_clear_error(tmp_path: Path, cli_env: dict[str, str], command: str) -> None:
    folder = tmp_path / "absent"
    args = {"import": ["import", str(SMALL)], "export": ["export", "--out", "-"]}.get(command, [command])
    done = etl(env_for(cli_env, f"sqlite:///{folder / 'chokepoint.db'}"), *args)
    assert_clean_error(done, 1, str(folder))
    assert "does not exist" in done.stderr or "Cannot open" in done.stderr
    assert not folder.exists()


def test_disk_full_fails_clearly_and_loses_nothing(tmp_path: Path, big: Path, cli_env: dict[str, str]) -> None:
    with tmpfs(tmp_path / "small", "1m") as mounted:
        db = tmp_path / "small" / "chokepoint.db"
        url = initialised(f"sqlite:///{db}")
        import_file(settings_for(url), SMALL)
        before, ok_before = dbstate.trade_dump(url), dbstate.ok_runs(url)
        if mounted:
            done = etl(env_for(cli_env, url), "import", str(big))
            assert_clean_error(done, 1, "the disk is full", "nothing was changed")
        else:
            disk_full_by_page_cap(url, big)
        assert dbstate.integrity(url) == "ok"
        assert dbstate.trade_dump(url) == before and dbstate.ok_runs(url) == ok_before
        last = dbstate.runs(url)[-1]
        assert last["status"] == "failed" and "disk is full" in last["message"]
        if mounted:
            remount(tmp_path / "small", "size=256m")  # space freed: the same command now completes
        result = import_file(settings_for(url), big)
        assert result.inserted == ROWS and dbstate.integrity(url) == "ok"


def disk_full_by_page_cap(url: str, big: Path) -> None:
    """Fallback where mounting is not allowed: cap the file with PRAGMA max_page_count (a test-only engine event)."""
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _cap(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 50}")

    with pytest.raises(DatabaseError, match="the disk is full"):
        import_file(settings_for(url), big, engine=engine)
    engine.dispose()
