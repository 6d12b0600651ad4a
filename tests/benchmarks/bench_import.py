"""Figure 1: `python -m etl import` of a 1M-row Comtrade CSV vs pandas + sqlite3.executemany (same file, same table)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from etl.db import schema_statements
from tests.benchmarks.synthetic import write_comtrade_csv

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["reporterCode", "partnerCode", "flowCode", "freqCode", "period", "classificationCode", "cmdCode",
           "primaryValue", "netWgt", "qty", "qtyUnitAbbr"]


def baseline(csv_path: Path, db_path: Path) -> float:
    """Parse with pandas, insert the same rows with executemany in one transaction into the same indexed table."""
    start = time.perf_counter()
    frame = pd.read_csv(csv_path, dtype={"period": str, "cmdCode": str})
    frame = frame[(frame.partner2Code == 0) & (frame.customsCode == "C00") & (frame.motCode == 0)]
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    for statement in schema_statements():
        conn.execute(statement)
    records = zip(["csv:" + csv_path.name] * len(frame), *(frame[c].tolist() for c in COLUMNS),
                  ["ref"] * len(frame), ["2026-01-01T00:00:00Z"] * len(frame))
    with conn:
        conn.executemany("INSERT INTO trade_flow (source, reporter_code, partner_code, flow, freq, period, "
                         "classification, hs_code, value_usd, net_weight_kg, qty, qty_unit, source_ref, retrieved_at) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", records)
    conn.close()
    return time.perf_counter() - start


def chokepoint(csv_path: Path, db_path: Path) -> float:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db_path}", CHOKEPOINT_AUTO_REFRESH="0")
    subprocess.run([sys.executable, "-m", "etl", "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "etl", "import", str(csv_path)], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def run(folder: Path, rows: int, core: int | None = None) -> dict[str, object]:
    csv_path = folder / f"synthetic_comtrade_{rows}.csv"
    write_comtrade_csv(csv_path, rows, core)
    base = baseline(csv_path, folder / "baseline.db")
    ours = chokepoint(csv_path, folder / "import.db")
    return {"rows": rows, "baseline_s": round(base, 2), "import_s": round(ours, 2),
            "ratio": round(ours / base, 2), "target": "<= 2.0", "pass": ours / base <= 2.0}
