"""CSV downloads from the browser, in the same format as `python -m etl export` (etl.export.to_csv).

A chart's numbers travel to the browser once, in a small store beside the chart (chart_payload); its CSV
button turns that payload back into CSV (payload_csv), so the file holds exactly what the chart plots.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable, Mapping

import pandas as pd

from etl.export import EXPORT_COLUMNS, to_csv

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


def trade_frame_csv(frame: pd.DataFrame) -> str:
    """Trade rows from a query (dash_trade_rows, dash_trade_view) as CSV with exactly the export columns."""
    return to_csv(frame.reindex(columns=list(EXPORT_COLUMNS))) or ""


def safe_filename(name: str) -> str:
    """A download file name made of safe characters only, ending in .csv."""
    stem = _UNSAFE.sub("_", name.removesuffix(".csv")).strip("_") or "chokepoint"
    return f"{stem}.csv"
