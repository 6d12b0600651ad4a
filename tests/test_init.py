"""`init`: schema plus bundled reference data, loaded once; a second run changes nothing."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from etl.db import make_engine
from etl.pipeline import init_db
from etl.settings import Settings


def _count(settings: Settings, sql: str) -> int:
    with make_engine(settings.database_url).connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


@pytest.mark.both_backends
def test_reference_counts(settings: Settings) -> None:
    init_db(settings)
    assert _count(settings, "SELECT COUNT(*) FROM chpl_item") == 50
    with make_engine(settings.database_url).connect() as conn:
        tiers = dict(conn.execute(text("SELECT tier, COUNT(*) FROM chpl_item GROUP BY tier")).all())
        countries = dict(conn.execute(text("SELECT code, name FROM country")).all())
    assert tiers == {"1": 4, "2": 5, "3.A": 16, "3.B": 9, "4.A": 11, "4.B": 5}
    assert countries[156] == "China" and countries[643] == "Russia" and countries[0] == "World"
    assert set(countries) == {0, 156, 643, 344, 398, 417, 51, 792, 784, 699}
    assert _count(settings, "SELECT COUNT(*) FROM headline_trade WHERE year BETWEEN 2013 AND 2024") == 36
    assert _count(settings, "SELECT COUNT(*) FROM event") >= 25


@pytest.mark.both_backends
def test_every_category_code_has_a_description(settings: Settings) -> None:
    init_db(settings)
    missing = _count(settings, "SELECT COUNT(*) FROM category_hs c LEFT JOIN hs_code h ON h.code = c.hs_code "
                               "WHERE h.code IS NULL")
    assert missing == 0


@pytest.mark.both_backends
def test_blank_headline_figures_stay_null(settings: Settings) -> None:
    init_db(settings)
    with make_engine(settings.database_url).connect() as conn:
        rows = pd.read_sql(text("SELECT year, direction, value_usd FROM headline_trade"), conn)
    by_key = {(r.year, r.direction): r.value_usd for r in rows.itertuples()}
    assert pd.isna(by_key[(2023, "cn_to_ru")]) and pd.isna(by_key[(2021, "ru_to_cn")])
    assert by_key[(2023, "total")] == 240.11e9


@pytest.mark.both_backends
def test_second_init_changes_nothing(settings: Settings) -> None:
    first = init_db(settings)
    runs = _count(settings, "SELECT COUNT(*) FROM etl_run")
    second = init_db(settings)
    assert first.inserted > 0 and second.inserted == 0
    assert _count(settings, "SELECT COUNT(*) FROM etl_run") == runs
    assert _count(settings, "SELECT version FROM data_version") == 1


def test_sqlite_runs_in_wal_mode_with_foreign_keys(settings: Settings) -> None:
    init_db(settings)
    with make_engine(settings.database_url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.both_backends
def test_read_only_engine_cannot_write(settings: Settings) -> None:
    init_db(settings)
    reader = make_engine(settings.database_url, read_only=True)
    for statement in ("DELETE FROM country", "UPDATE country SET name = 'x'", "INSERT INTO data_version VALUES (2, 0)",
                      "CREATE TABLE intruder (id INTEGER)", "DROP TABLE event"):
        with reader.connect() as conn:
            with pytest.raises(DBAPIError, match="(?i)readonly|read-only"):
                conn.execute(text(statement))
                conn.commit()
    assert _count(settings, "SELECT COUNT(*) FROM country") == 10
    assert _count(settings, "SELECT COUNT(*) FROM event") >= 25


@pytest.mark.both_backends
def test_init_puts_the_bundle_back(settings: Settings) -> None:
    """Rows the bundle no longer has are deleted, edited rows restored: the bundled files are the truth."""
    init_db(settings)
    with make_engine(settings.database_url).begin() as conn:
        conn.execute(text("INSERT INTO event (event_date, precision, jurisdiction, kind, title, source) "
                          "VALUES ('2001-01-01', 'day', 'XX', 'test', 'not in the bundle', 'test')"))
        conn.execute(text("INSERT INTO chpl_item (hs6, tier, list_version, description, source) "
                          "VALUES ('999999', '1', '2024-02-23', 'not in the bundle', 'test')"))
        conn.execute(text("INSERT INTO category_hs (category, hs_code) VALUES ('integrated_circuits', '9999')"))
        conn.execute(text("UPDATE country SET name = 'Renamed' WHERE code = 156"))
    result = init_db(settings)
    assert result.inserted == 4
    assert _count(settings, "SELECT COUNT(*) FROM event WHERE title = 'not in the bundle'") == 0
    assert _count(settings, "SELECT COUNT(*) FROM chpl_item") == 50
    assert _count(settings, "SELECT COUNT(*) FROM category_hs WHERE hs_code = '9999'") == 0
    assert _count(settings, "SELECT COUNT(*) FROM country WHERE name = 'China'") == 1


def test_read_only_engine_opens_a_path_with_uri_characters(tmp_path: Path) -> None:
    """The reader opens SQLite through a file: URI; "#", "%" or a space in a folder name must not cut it."""
    folder = tmp_path / "data #1 100% sure"
    folder.mkdir()
    settings = Settings.from_env(environ={}, database_url=f"sqlite:///{folder / 'chokepoint.db'}")
    init_db(settings)
    reader = make_engine(settings.database_url, read_only=True)
    with reader.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM country")).scalar_one() == 10
    reader.dispose()
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".db") == ["chokepoint.db"]


OLDER_INDEXES = {  # the pair's index as databases made by earlier versions had it
    "ix_trade_flow_lookup": "(reporter_code, partner_code, flow, freq, hs_code, period)",
    "ix_trade_flow_pair": "(reporter_code, partner_code, flow, freq, hs_code, period, source, classification)",
}


@pytest.mark.parametrize("older", sorted(OLDER_INDEXES))
def test_init_moves_an_older_database_to_the_current_indexes(tmp_path: Path, older: str) -> None:
    import sqlite3

    settings = Settings.from_env(environ={}, database_url=f"sqlite:///{tmp_path / 'older.db'}")
    init_db(settings)
    with sqlite3.connect(tmp_path / "older.db") as conn:
        conn.execute("DROP INDEX ix_trade_flow_rows")
        conn.execute(f"CREATE INDEX {older} ON trade_flow {OLDER_INDEXES[older]}")
    init_db(settings)
    with sqlite3.connect(tmp_path / "older.db") as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                            "AND tbl_name = 'trade_flow' AND name LIKE 'ix_%'")}
        plan = " ".join(r[3] for r in conn.execute(  # every column of a selection's rows, as the Data page reads them
            "EXPLAIN QUERY PLAN SELECT period, classification, hs_code, value_usd, net_weight_kg, qty, qty_unit, "
            "source, source_ref, retrieved_at FROM trade_flow WHERE reporter_code = 156 AND partner_code = 643 "
            "AND flow = 'X' AND freq = 'M' ORDER BY hs_code, period, source, classification LIMIT 10"))
    assert names == {"ix_trade_flow_rows", "ix_trade_flow_partner_code"}
    # read from the index alone, in order, not sorted
    assert "COVERING INDEX ix_trade_flow_rows" in plan and "TEMP B-TREE" not in plan
