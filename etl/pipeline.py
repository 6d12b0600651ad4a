"""The ETL runs: init (schema + bundled reference) and CSV import. Each is one transaction with its etl_run row."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import pandas as pd
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from etl import articles, load
from etl.db import (apply_schema, bump_data_version, describe_operational_error, is_lock_error, make_engine,
                    utc_now)
from etl.errors import ChokepointError, DatabaseError, ValidationError
from etl.settings import Settings
from etl.sources import csv_file, reference
from etl.sources.csv_file import COMTRADE_COLUMNS
from etl.transform import Reject, comtrade_rows, comtrade_to_trade, long_to_trade
from etl.validate import validate_trade

MAX_REPORTED = 10


@dataclass
class RunResult:
    """What a load did."""

    run_id: int | None
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    skipped: int = 0
    messages: list[str] = field(default_factory=list)


def writer_engine(settings: Settings) -> Engine:
    return make_engine(settings.database_url, lock_timeout_s=settings.chokepoint_lock_timeout_s)


def _reference_tables() -> list[tuple[str, list[dict[str, object]], dict[str, object] | None]]:
    return [
        ("country", reference.countries(), None),
        ("hs_code", reference.hs_codes(), None),
        ("category", reference.categories(), None),
        ("category_hs", reference.category_hs(), None),
        ("chpl_item", reference.chpl_items(), {"list_version": reference.CHPL_VERSION}),
        ("headline_trade", list(reference.headline_trade()), None),
        ("event", reference.events(), None),
        ("hs_concordance", reference.hs_concordance(), None),
    ]


@contextmanager
def _engine(settings: Settings, engine: Engine | None) -> Iterator[Engine]:
    """The caller's engine, or a writer engine of our own that is disposed after use (no pooled connection leaks)."""
    if engine is not None:
        yield engine
        return
    owned = writer_engine(settings)
    try:
        yield owned
    finally:
        owned.dispose()


def init_db(settings: Settings, engine: Engine | None = None) -> RunResult:
    """Create the schema and load the bundled reference data; a second run changes nothing."""
    with _engine(settings, engine) as writer:
        return _init(settings, writer)


def _init(settings: Settings, engine: Engine) -> RunResult:
    started = utc_now()
    try:
        with engine.begin() as conn:
            apply_schema(conn)
            changed = 0
            for table, rows, scope in _reference_tables():
                if table != "category_hs":
                    changed += load.delete_missing(conn, table, rows, scope) if table in ("event", "chpl_item") else 0
                changed += load.upsert_rows(conn, table, rows)
            changed += load.delete_missing(conn, "category_hs", reference.category_hs())
            changed += load.upsert_rows(conn, "article", articles.bundled_articles())
            run_id = None
            if changed:
                bump_data_version(conn)
                run_id = load.record_run(conn, "reference", started, "ok", inserted=changed,
                                         message=f"bundled reference data: {changed} rows inserted or changed")
        return RunResult(run_id, inserted=changed)
    except DBAPIError as exc:
        raise DatabaseError(describe_operational_error(exc, settings.database_url)) from exc


def _display_column(layout: str, column: str) -> str:
    if layout != "comtrade":
        return column
    return {v: k for k, v in COMTRADE_COLUMNS.items()}.get(column, column)


@dataclass
class Prepared:
    """A file read, typed and checked: the rows to load, and every reject by its position in the file's rows."""

    good: pd.DataFrame
    rejects: list[Reject]
    rows: csv_file.Rows
    skipped: int


def _prepare(info: csv_file.CsvFile, retrieved_at: str) -> Prepared:
    rows = csv_file.read_rows(info)
    # A record of the wrong width is rejected before anything else looks at it: its fields are misaligned.
    misshapen = [Reject(b.row, b.column, b.reason, b.value) for b in rows.bad]
    raw = rows.frame.drop(index=[r.row for r in misshapen]) if misshapen else rows.frame
    kept, skipped = comtrade_rows(raw) if info.layout == "comtrade" else (raw, 0)
    positions = kept.index.to_list()
    convert = comtrade_to_trade if info.layout == "comtrade" else long_to_trade
    typed, rejects = convert(kept.reset_index(drop=True), info.source, info.source_ref, retrieved_at)
    good, more, repeats = validate_trade(typed)
    if rejects:  # values that did not parse are rejects too
        good = good[~good.index.isin({r.row for r in rejects})]
    found = misshapen + [replace(r, row=positions[r.row], others=tuple(positions[o] for o in r.others))
                         for r in rejects + more]
    return Prepared(good, found, rows, skipped + repeats)


def _describe(info: csv_file.CsvFile, prepared: Prepared) -> list[str]:
    """'file, line N, column C: reason (value V)' for the first rejects, in file order; V as written in the file."""
    rows = prepared.rows
    misshapen = {b.row for b in rows.bad}
    ordered = sorted(prepared.rejects, key=lambda r: (rows.lines[r.row], r.column))
    out = []
    for r in ordered[:MAX_REPORTED]:
        column = _display_column(info.layout, r.column)
        value = r.value
        if r.row not in misshapen and column in rows.frame.columns:
            value = str(rows.frame.at[r.row, column])
        shown = value if len(value) <= 40 else value[:37] + "..."
        same = f"; the same key is on line {', '.join(str(rows.lines[o]) for o in r.others)}" if r.others else ""
        out.append(f"{info.path.name}, line {rows.lines[r.row]}, column {column}: {r.reason}{same} "
                   f"(value {shown!r})")
    return out


def import_file(settings: Settings, path: Path, forced_format: str | None = None, skip_invalid: bool = False,
                engine: Engine | None = None) -> RunResult:
    """Load one CSV file. Any bad row means nothing is loaded, unless skip_invalid (then rejects are counted)."""
    with _engine(settings, engine) as writer:
        return _import(settings, writer, path, forced_format, skip_invalid)


def _import(settings: Settings, engine: Engine, path: Path, forced_format: str | None,
            skip_invalid: bool) -> RunResult:
    started = utc_now()
    params = {"path": str(path), "format": forced_format or "auto", "skip_invalid": skip_invalid}
    source = f"csv:{path.name}"
    try:
        info = csv_file.inspect(path, forced_format)
        params["format"] = info.layout
        prepared = _prepare(info, started)
        good, rejects, skipped = prepared.good, prepared.rejects, prepared.skipped
        rejected_rows = len({r.row for r in rejects})
        described = _describe(info, prepared) if rejects else []
        if rejects and not skip_invalid:
            more = f"\n... and {len(rejects) - len(described)} more" if len(rejects) > len(described) else ""
            raise ValidationError(
                f"{path.name}: {rejected_rows} bad row{'s' if rejected_rows != 1 else ''} "
                f"({len(rejects)} problem{'s' if len(rejects) != 1 else ''}); nothing was loaded.\n"
                + "\n".join(described) + more
                + "\nFix the file, or run again with --skip-invalid to load only the good rows.")
        with engine.begin() as conn:
            inserted, updated = load.upsert_trade(conn, good)
            message = f"{len(good)} rows read, {inserted} inserted, {updated} updated"
            if rejected_rows:
                message += f", {rejected_rows} rejected: " + "; ".join(described)
            if inserted or updated:
                bump_data_version(conn)
            run_id = load.record_run(conn, source, started, "ok", inserted, updated, rejected_rows, message, params)
        return RunResult(run_id, inserted, updated, rejected_rows, skipped, described)
    except ChokepointError as exc:
        record_failure(engine, source, started, str(exc), params)
        raise
    except DBAPIError as exc:
        message = describe_operational_error(exc, settings.database_url)
        if not is_lock_error(exc):  # recording would only wait for the same lock a second time
            record_failure(engine, source, started, message, params)
        raise DatabaseError(message) from exc
    except Exception as exc:
        record_failure(engine, source, started, f"{type(exc).__name__}: {exc}", params)
        raise


def record_failure(engine: Engine, source: str, started: str, message: str, params: dict[str, object]) -> None:
    """Record a failed run in its own transaction, after the load's transaction was rolled back. Best effort."""
    try:
        with engine.begin() as conn:
            load.record_run(conn, source, started, "failed", message=message[:4000], parameters=params)
    except SQLAlchemyError:
        pass  # the database itself is what failed (locked, read-only, full): the error already says so


def has_schema(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM etl_run WHERE 1 = 0"))
        return True
    except SQLAlchemyError:
        return False
