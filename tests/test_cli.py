"""The command line as a user meets it: messages, exit codes, no tracebacks."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CASES, ROOT


def etl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def assert_clean_error(done: subprocess.CompletedProcess[str], code: int, *phrases: str) -> None:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    for phrase in phrases:
        assert phrase in done.stderr


@pytest.mark.both_backends
def test_init_import_status_roundtrip(cli_env: dict[str, str]) -> None:
    assert "Database ready" in etl(cli_env, "init").stdout
    assert "already up to date" in etl(cli_env, "init").stdout
    done = etl(cli_env, "import", str(CASES / "foundation" / "synthetic_long.csv"))
    assert done.returncode == 0 and "6 inserted, 0 updated, 0 rejected" in done.stdout
    status = etl(cli_env, "status")
    assert status.returncode == 0
    assert "csv:synthetic_long.csv" in status.stdout and "reference" in status.stdout


@pytest.mark.both_backends
def test_bad_file_exits_2_and_says_where(cli_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "synthetic_bad.csv"
    bad.write_text("reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"
                   "156,643,X,A,2021,8542,lots,,,\n")
    assert_clean_error(etl(cli_env, "import", str(bad)), 2, "line 2, column value_usd: not a number",
                       "nothing was loaded")
    assert_clean_error(etl(cli_env, "import", str(tmp_path / "nope.csv")), 2, "no such file")


def test_missing_database_folder(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = dict(cli_env, DATABASE_URL=f"sqlite:///{tmp_path / 'absent' / 'db.sqlite'}")
    assert_clean_error(etl(env, "init"), 1, "does not exist")


def test_not_a_database(cli_env: dict[str, str], tmp_path: Path) -> None:
    fake = tmp_path / "notes.db"
    fake.write_text("these are not the tables you are looking for\n" * 100)
    env = dict(cli_env, DATABASE_URL=f"sqlite:///{fake}")
    assert_clean_error(etl(env, "init"), 1, "not a SQLite database")


def test_locked_database_fails_clearly_and_changes_nothing(cli_env: dict[str, str]) -> None:
    assert etl(cli_env, "init").returncode == 0
    path = cli_env["DATABASE_URL"].removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        env = dict(cli_env, CHOKEPOINT_LOCK_TIMEOUT_S="0.5")
        done = etl(env, "import", str(CASES / "foundation" / "synthetic_long.csv"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_clean_error(done, 1, "locked by another writer", "CHOKEPOINT_LOCK_TIMEOUT_S")
    count = sqlite3.connect(path).execute("SELECT COUNT(*) FROM trade_flow").fetchone()[0]
    assert count == 0


def test_bad_setting_is_explained(cli_env: dict[str, str]) -> None:
    env = dict(cli_env, CHOKEPOINT_LOCK_TIMEOUT_S="soon")
    assert_clean_error(etl(env, "status"), 2, "CHOKEPOINT_LOCK_TIMEOUT_S='soon' is not valid")


@pytest.mark.both_backends
def test_status_before_init_says_what_to_run(cli_env: dict[str, str]) -> None:
    done = etl(cli_env, "status")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "python -m etl init" in done.stderr or "Cannot open" in done.stderr
