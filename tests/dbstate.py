"""What a test compares before and after a fault: full dumps of trade_flow, etl_run tallies, integrity."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from etl.db import make_engine, sqlite_path
from etl.load import TRADE_COLUMNS, TRADE_KEY

ORDER = ", ".join(TRADE_KEY)
SHOWN = ("reporter_code", "partner_code", "flow", "freq", "period", "classification", "hs_code", "value_usd",
         "net_weight_kg", "qty", "qty_unit")


def _rows(url: str, sql: str, params: dict[str, object] | None = None) -> list[tuple]:
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params or {})]
    finally:
        engine.dispose()


def trade_dump(url: str, columns: tuple[str, ...] = TRADE_COLUMNS) -> list[tuple]:
    """Every trade_flow row, every column (or `columns`), in key order."""
    return _rows(url, f"SELECT {', '.join(columns)} FROM trade_flow ORDER BY {ORDER}")


def runs(url: str) -> list[dict[str, object]]:
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM etl_run ORDER BY id"))]
    finally:
        engine.dispose()


def ok_runs(url: str) -> int:
    return sum(1 for r in runs(url) if r["status"] == "ok")


def as_text(value: object) -> str:
    """A stored value as a CSV cell: NULL is '', floats without '.0' noise."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.15g}"
    return str(value)


def source_rows(url: str, source: str) -> list[tuple[str, ...]]:
    """The rows of one source as text tuples (SHOWN columns), sorted."""
    rows = _rows(url, f"SELECT {', '.join(SHOWN)} FROM trade_flow WHERE source = :s", {"s": source})
    return sorted(tuple(as_text(v) for v in row) for row in rows)


def integrity(url: str) -> str:
    """PRAGMA integrity_check of a SQLite database ('ok' when sound), opened without any of our pragmas."""
    path = sqlite_path(url)
    assert path is not None
    conn = sqlite3.connect(Path(path))
    try:
        return "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()
