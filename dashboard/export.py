"""CSV downloads from the browser, in the same format as `python -m etl export` (etl.export.to_csv).

A chart's numbers travel to the browser once, in a small store beside the chart (chart_payload); its CSV
button turns that payload back into CSV (payload_csv), so the file holds exactly what the chart plots.
The Data page's rows never travel to the browser whole: its link asks the server (dashboard.data_rows), which writes
the CSV from the rows of a named query (query_csv), kept per data version like the dashboard's other answers.
"""
from __future__ import annotations

import csv
import io
import math
import re
import threading
from collections import OrderedDict
from typing import Any, Hashable, Iterable, Mapping, Sequence

import pandas as pd
from sqlalchemy import Engine

from dashboard import queries
from etl.db import data_version
from etl.export import EXPORT_COLUMNS, FORMULA_PREFIXES, neutralise, to_csv
from etl.queries import query_params, statement

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _cell(value: object) -> object:
    """JSON-safe cell: NaN/NA become None (an empty CSV cell), numpy scalars become Python numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def chart_payload(frame: pd.DataFrame, filename: str) -> dict[str, Any]:
    """What a chart's store holds: a file name, the column names and the rows as lists."""
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return {"filename": safe_filename(filename), "columns": [str(c) for c in frame.columns], "rows": rows}


def payload_frame(payload: Mapping[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(payload.get("rows") or [], columns=list(payload.get("columns") or []))


def payload_csv(payload: Mapping[str, Any]) -> str:
    """The CSV text of a chart payload: NULL as an empty cell, formula-like text neutralised."""
    return to_csv(payload_frame(payload)) or ""


def trade_csv(rows: Iterable[Mapping[str, object]]) -> str:
    """Trade rows (e.g. the Data page grid's rows) as CSV with exactly the export columns, in their order."""
    frame = pd.DataFrame([{c: _cell(r.get(c)) for c in EXPORT_COLUMNS} for r in rows], columns=list(EXPORT_COLUMNS))
    return to_csv(frame) or ""


CSV_CACHE_CHARS = 4_000_000  # about seven full 5,000-row downloads kept per process, least recently used dropped
# The engine (a read-only SQLite engine's URL is "sqlite://" whatever the file), data version, what the file holds.
_CsvKey = tuple[Engine, int, Hashable]
_csv_cache: OrderedDict[_CsvKey, str] = OrderedDict()
_csv_lock = threading.Lock()


def query_csv(name: str, **params: object) -> str:
    """The rows of a named trade-row query (the export columns, in order) as CSV, from one read transaction;
    the same query at the same data version is answered from memory (a refresh makes every kept file stale)."""
    missing = query_params(name) - set(params)
    if missing:
        raise TypeError(f"query {name} needs parameters: {', '.join(sorted(missing))}")
    with queries.engine().connect() as conn:
        key = (conn.engine, data_version(conn), (name, tuple(sorted(params.items()))))
        kept = _kept(key)
        if kept is None:
            result = conn.execute(statement(name), params)
            kept = trade_rows_csv(list(result.keys()), result.fetchall())
            _keep(key, kept)
    return kept


def _kept(key: _CsvKey) -> str | None:
    with _csv_lock:
        kept = _csv_cache.get(key)
        if kept is not None:
            _csv_cache.move_to_end(key)
    return kept


def _keep(key: _CsvKey, content: str) -> None:
    with _csv_lock:
        for old in [k for k in _csv_cache if k[:2] != key[:2]]:
            del _csv_cache[old]  # another database or data version: never asked for again
        _csv_cache[key] = content
        while sum(map(len, _csv_cache.values())) > CSV_CACHE_CHARS and len(_csv_cache) > 1:
            _csv_cache.popitem(last=False)


def trade_rows_csv(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows straight from a query as CSV in exactly etl.export.to_csv's format (NULL as an empty cell, floats as
    %.15g, formula-like text prefixed with '), written by the csv module as pandas writes it, column by column:
    a 5,000-row download without the cost of building a DataFrame first."""
    return _write(columns, [_csv_column(list(values)) for values in zip(*rows)])


def _write(columns: Sequence[str], cells: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*cells))
    return out.getvalue()


def _csv_column(values: list[object]) -> list[object]:
    """One column's CSV cells. A column of one type (as a query returns them) is converted at C speed: text once per
    distinct value (names, flows, sources and units repeat down a selection), numbers in one pass."""
    kinds = set(map(type, values)) - {type(None)}
    if kinds == {str}:
        cells = {v: "" if v is None else "'" + v if v.startswith(FORMULA_PREFIXES) else v  # type: ignore[union-attr]
                 for v in set(values)}
        return list(map(cells.__getitem__, values))
    if kinds == {float}:
        return ["" if v is None or v != v else "%.15g" % v for v in values]  # NaN is the only value != itself
    if kinds <= {int}:
        return ["" if v is None else v for v in values]
    return [_csv_cell(v) for v in values]


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else "%.15g" % value
    return neutralise(value)


def safe_filename(name: str) -> str:
    """A download file name made of safe characters only, ending in .csv."""
    stem = _UNSAFE.sub("_", name.removesuffix(".csv")).strip("_") or "chokepoint"
    return f"{stem}.csv"
