"""A large import into a (nearly) empty SQLite trade_flow builds the secondary indexes after the insert: the result
must be the same database as a row-by-row load, and a failure must leave the indexes as they were."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from etl.load import BULK_ROWS
from etl.pipeline import import_file, init_db, writer_engine
from etl.settings import Settings
from tests import dbstate

HEADER = "reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"
ROWS = BULK_ROWS + 2000


def _write(path: Path, change: int = 0) -> Path:
    """ROWS distinct rows; `change` of them (every 7th) with another value."""
    lines = []
    for i in range(ROWS):
        value = i + 1 + (1000 if i % 7 == 0 and i // 7 < change else 0)
        lines.append(f"156,{i % 900},X,M,{2010 + i // 10800}{i // 900 % 12 + 1:02d},{8400 + i % 90},{value},,,\n")
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def _settings(tmp_path: Path, name: str) -> Settings:
    settings = Settings.from_env(environ={}, database_url=f"sqlite:///{tmp_path / name}")
    init_db(settings)
    return settings


def _schema(settings: Settings) -> list[tuple[str, str]]:
    with sqlite3.connect(settings.database_url.removeprefix("sqlite:///")) as conn:
        return conn.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'trade_flow' ORDER BY name").fetchall()


def _index_rows(settings: Settings) -> list[tuple[object, ...]]:
    """Every row as the lookup index returns it: a rebuilt index must hold exactly the table's rows."""
    with sqlite3.connect(settings.database_url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return conn.execute("SELECT reporter_code, partner_code, flow, freq, hs_code, period FROM trade_flow "
                            "INDEXED BY ix_trade_flow_rows ORDER BY reporter_code, partner_code, flow, freq, "
                            "hs_code, period").fetchall()


def test_bulk_load_gives_the_same_database_and_upserts_after(tmp_path: Path) -> None:
    path = _write(tmp_path / "synthetic_bulk.csv")
    bulk = _settings(tmp_path, "bulk.db")
    fresh_schema = _schema(bulk)
    assert import_file(bulk, path).inserted == ROWS
    assert _schema(bulk) == fresh_schema
    assert len(_index_rows(bulk)) == ROWS

    reference = _settings(tmp_path, "reference.db")  # the same rows loaded in two halves: no bulk path
    head = tmp_path / "half" / path.name
    head.parent.mkdir()
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    head.write_text("".join(lines[:ROWS // 2 + 1]), encoding="utf-8")
    import_file(reference, head)
    assert import_file(reference, path).inserted == ROWS - ROWS // 2
    shown = ("source",) + dbstate.SHOWN
    assert dbstate.trade_dump(bulk.database_url, shown) == dbstate.trade_dump(reference.database_url, shown)
    assert _index_rows(bulk) == _index_rows(reference)

    again = import_file(bulk, path)
    assert (again.inserted, again.updated) == (0, 0)
    corrected = import_file(bulk, _write(path, change=40))
    assert (corrected.inserted, corrected.updated) == (0, 40)
    assert _schema(bulk) == fresh_schema


def test_a_failed_bulk_load_keeps_the_indexes(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "chokepoint.db")
    schema, before = _schema(settings), dbstate.trade_dump(settings.database_url)
    engine = writer_engine(settings)

    @event.listens_for(engine, "before_cursor_execute")
    def fail_when_rebuilding(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("CREATE INDEX"):
            raise OSError("injected: disk unplugged")

    with pytest.raises(OSError, match="injected"):
        import_file(settings, _write(tmp_path / "synthetic_bulk.csv"), engine=engine)
    engine.dispose()
    assert _schema(settings) == schema
    assert dbstate.trade_dump(settings.database_url) == before
    assert _index_rows(settings) == []
