"""The refresh's writes. One Comtrade call = one transaction: its rows, its coverage cells and the progress row."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, text

from etl import load
from etl.db import bump_data_version, utc_now
from etl.queries import run_query
from etl.refresh_plan import SOURCE, Cell, Covered
from etl.sources.csv_file import COMTRADE_COLUMNS, COMTRADE_OPTIONAL_FILTERS
from etl.sources.comtrade import Query, Record
from etl.transform import comtrade_rows, comtrade_to_trade
from etl.validate import validate_trade

log = logging.getLogger(__name__)

KEY_COLUMNS = ["reporter_code", "partner_code", "flow", "period", "classification", "hs_code"]
# The record fields the transform reads (of 47): fewer columns, much less pandas work per call.
RECORD_FIELDS = list(COMTRADE_COLUMNS) + list(COMTRADE_OPTIONAL_FILTERS)


@dataclass
class Progress:
    """The refresh as the dashboard sees it (refresh_state) plus the counts the final etl_run records."""

    started_at: str
    status: str = "running"
    calls_done: int = 0
    calls_planned: int = 0
    retries: int = 0
    inserted: int = 0
    updated: int = 0
    removed: int = 0
    rejected: int = 0
    skipped: int = 0
    records: int = 0
    empty_cells: int = 0
    message: str | None = None
    planned: bool = False  # True once this refresh has taken over the progress row

    @property
    def rows_written(self) -> int:
        return self.inserted + self.updated + self.removed


@dataclass(frozen=True)
class CallResult:
    records: int
    inserted: int
    updated: int
    removed: int
    rejected: int
    skipped: int
    empty_cells: int


def write_state(conn: Connection, progress: Progress) -> None:
    """Upsert the single refresh_state row."""
    conn.execute(text(
        "INSERT INTO refresh_state (id, status, calls_done, calls_planned, rows_written, retries, started_at, "
        "updated_at, message) VALUES (1, :status, :calls_done, :calls_planned, :rows_written, :retries, "
        ":started_at, :updated_at, :message) ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
        "calls_done = excluded.calls_done, calls_planned = excluded.calls_planned, "
        "rows_written = excluded.rows_written, retries = excluded.retries, started_at = excluded.started_at, "
        "updated_at = excluded.updated_at, message = excluded.message"),
        {"status": progress.status, "calls_done": progress.calls_done, "calls_planned": progress.calls_planned,
         "rows_written": progress.rows_written, "retries": progress.retries, "started_at": progress.started_at,
         "updated_at": utc_now(), "message": progress.message})


def read_state(conn: Connection) -> dict[str, object] | None:
    frame = run_query(conn, "refresh_progress")
    return frame.iloc[0].to_dict() if len(frame) else None


def query_key(cell: Cell, codes: tuple[str, ...]) -> str:
    """A coverage key: the cell and a digest of the code set asked (the full list is in hs_codes)."""
    digest = hashlib.sha1(",".join(codes).encode()).hexdigest()[:12]
    return "|".join(str(part) for part in cell) + f"|{digest}"


def _typed(query: Query, records: list[Record], source_ref: str, retrieved_at: str) -> tuple[pd.DataFrame, int]:
    """The answer as a typed trade frame: breakdown rows dropped, rows outside the call's cells dropped."""
    kept, skipped = comtrade_rows(pd.DataFrame.from_records(records, columns=RECORD_FIELDS))
    typed, rejects = comtrade_to_trade(kept.reset_index(drop=True), SOURCE, source_ref, retrieved_at)
    typed = typed.assign(_reject=typed.index.isin({r.row for r in rejects}))
    inside = (typed["freq"].eq(query.freq) & typed["reporter_code"].isin(query.reporters)
              & typed["partner_code"].isin(query.partners) & typed["flow"].isin(query.flows)
              & typed["period"].isin(query.periods) & typed["hs_code"].isin(query.codes))
    if not inside.all():
        log.warning("%s: %d records outside the call's reporters, partners, flows, periods or codes ignored",
                    query.describe(), int((~inside).sum()))
    return typed[inside], skipped + int((~inside).sum())


def _good(typed: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    good, rejects, _repeats = validate_trade(typed.drop(columns="_reject"))
    bad = {r.row for r in rejects} | set(typed.index[typed["_reject"]])
    for reject in rejects[:5]:
        log.warning("rejected a Comtrade record: %s %s (value %r)", reject.column, reject.reason, reject.value)
    return good[~good.index.isin(bad)], len(bad)


def _remove_withdrawn(conn: Connection, query: Query, answered: set[tuple[object, ...]]) -> int:
    """Delete stored rows of the call's cells that the new answer no longer has (a revision, or a new edition)."""
    removed = 0
    for period in query.periods:
        stored = run_query(conn, "refresh_trade_keys", source=SOURCE, freq=query.freq, period=period)
        for row in stored.itertuples(index=False):
            key = (int(row.reporter_code), int(row.partner_code), row.flow, row.period, row.classification,
                   row.hs_code)
            if (key[0] in query.reporters and key[1] in query.partners and key[2] in query.flows
                    and key[5] in query.codes and key not in answered):
                conn.execute(text(
                    "DELETE FROM trade_flow WHERE source = :source AND reporter_code = :reporter AND "
                    "partner_code = :partner AND flow = :flow AND freq = :freq AND period = :period AND "
                    "classification = :classification AND hs_code = :hs_code"),
                    {"source": SOURCE, "reporter": key[0], "partner": key[1], "flow": key[2], "freq": query.freq,
                     "period": key[3], "classification": key[4], "hs_code": key[5]})
                removed += 1
    return removed


def _coverage(conn: Connection, query: Query, typed: pd.DataFrame, retrieved_at: str,
              cursor: dict[str, Covered]) -> tuple[int, bool]:
    """Write one coverage row per cell (empty cells included); returns (empty cells, whether anything changed)."""
    counts = typed.groupby(["reporter_code", "partner_code", "flow", "period"]).size().to_dict() if len(typed) else {}
    rows, changed = [], False
    codes = frozenset(query.codes)
    for reporter in query.reporters:
        for partner in query.partners:
            for flow in query.flows:
                for period in query.periods:
                    cell: Cell = (query.freq, reporter, partner, flow, period)
                    records = int(counts.get((reporter, partner, flow, period), 0))
                    key = query_key(cell, query.codes)
                    status = "ok" if records else "empty"
                    old = cursor.get(key)
                    changed |= old is None or (old.status, old.records) != (status, records)
                    changed |= _drop_superseded(conn, cursor, key, cell, codes)
                    cursor[key] = Covered(cell, codes, status, records, retrieved_at)
                    rows.append({"source": SOURCE, "query_key": key, "reporter_code": reporter,
                                 "partner_code": partner, "flow": flow, "freq": query.freq, "period": period,
                                 "hs_codes": ",".join(query.codes), "records": records, "status": status,
                                 "retrieved_at": retrieved_at})
    load.upsert_rows(conn, "coverage", rows)
    return sum(1 for r in rows if r["status"] == "empty"), changed


def _drop_superseded(conn: Connection, cursor: dict[str, Covered], key: str, cell: Cell,
                     codes: frozenset[str]) -> bool:
    """Coverage rows of the same cell whose codes the new answer covers say nothing more: remove them."""
    stale = [k for k, c in cursor.items() if k != key and c.cell == cell and c.codes <= codes]
    for old in stale:
        conn.execute(text("DELETE FROM coverage WHERE source = :source AND query_key = :key"),
                     {"source": SOURCE, "key": old})
        del cursor[old]
    return bool(stale)


def commit_call(conn: Connection, query: Query, records: list[Record], source_ref: str,
                cursor: dict[str, Covered]) -> CallResult:
    """Store one answer in the caller's transaction: rows, withdrawn rows removed, coverage cells."""
    retrieved_at = utc_now()
    typed, skipped = _typed(query, records, source_ref, retrieved_at) if records else (None, 0)
    good, rejected = _good(typed) if typed is not None and len(typed) else (None, 0)
    answered = (set(typed[KEY_COLUMNS].astype(object).itertuples(index=False, name=None))
                if typed is not None else set())
    removed = _remove_withdrawn(conn, query, {_key(k) for k in answered})
    inserted, updated = load.upsert_trade(conn, good) if good is not None else (0, 0)
    empty, cells_changed = _coverage(conn, query, typed if typed is not None else pd.DataFrame(), retrieved_at,
                                     cursor)
    if inserted or updated or removed or cells_changed:
        bump_data_version(conn)
    return CallResult(len(records), inserted, updated, removed, rejected, skipped, empty)


def _key(row: tuple[object, ...]) -> tuple[object, ...]:
    return (int(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]))  # type: ignore[arg-type]
