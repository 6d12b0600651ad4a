"""Synthetic trade data of realistic shape, for benchmarks only. Every row's source is 'synthetic'.

Writes only into databases and files under a folder the caller gives (a temporary one), never data/chokepoint.db.
"""
from __future__ import annotations

import csv
import sqlite3
from pathlib import Path
from typing import Iterator

import numpy as np

from etl.db import make_engine
from etl.pipeline import init_db
from etl.settings import Settings
from etl.sources import reference

SOURCE = "synthetic"
REPORTERS = np.array([156, 344, 398, 417, 51, 792, 784, 699, 643, 842, 276, 392, 410, 490])
PARTNERS = np.array([643, 156, 0, 344, 398, 792])
ANNUAL = [str(y) for y in range(2013, 2025)]
MONTHLY = [f"{y}{m:02d}" for y in range(2019, 2025) for m in range(1, 13)]
COMTRADE_HEADER = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,reporterDesc,flowCode,flowDesc,"
    "partnerCode,partnerISO,partnerDesc,partner2Code,partner2ISO,partner2Desc,classificationCode,"
    "classificationSearchCode,isOriginalClassification,cmdCode,cmdDesc,aggrLevel,isLeaf,customsCode,customsDesc,"
    "mosCode,motCode,motDesc,qtyUnitCode,qtyUnitAbbr,qty,isQtyEstimated,altQtyUnitCode,altQtyUnitAbbr,altQty,"
    "isAltQtyEstimated,netWgt,isNetWgtEstimated,grossWgt,isGrossWgtEstimated,cifvalue,fobvalue,primaryValue,"
    "legacyEstimationFlag,isReported,isAggregate").split(",")


def hs_codes(count: int = 5600, seed: int = 7) -> np.ndarray:
    """About `count` distinct codes: every code the categories name, plus made-up 6-digit codes across chapters."""
    named = sorted({r["hs_code"] for r in reference.category_hs()} | {"TOTAL"})
    rng = np.random.default_rng(seed)
    made_up: set[str] = set()
    while len(made_up) < count - len(named):
        chapter, heading, sub = rng.integers(1, 98), rng.integers(1, 100), rng.integers(10, 100)
        made_up.add(f"{chapter:02d}{heading:02d}{sub:02d}")
    return np.array(named + sorted(made_up - set(named)))


def rows(n: int, seed: int = 11) -> Iterator[tuple]:
    """n distinct trade_flow rows (tuples in etl.load.TRADE_COLUMNS order), heavy-tailed values, some NULLs."""
    rng = np.random.default_rng(seed)
    codes = hs_codes()
    periods = np.array(ANNUAL + MONTHLY)
    freq_of = np.array(["A"] * len(ANNUAL) + ["M"] * len(MONTHLY))
    dims = (len(REPORTERS), len(PARTNERS), 2, len(periods), len(codes))
    space = int(np.prod(dims))
    if n > space:
        raise ValueError(f"at most {space} distinct rows")
    picks = np.sort(rng.choice(space, size=n, replace=False)) if n < space else np.arange(space)
    r, p, f, t, h = np.unravel_index(picks, dims)
    value = np.round(rng.pareto(1.2, n) * 1e4 + 1, 0)           # heavy tail: most flows small, a few enormous
    weight = np.round(value * rng.uniform(0.01, 2.0, n), 0)
    value_null = rng.random(n) < 0.03
    weight_null = rng.random(n) < 0.15
    flows = np.array(["X", "M"])
    for i in range(n):
        yield (SOURCE, int(REPORTERS[r[i]]), int(PARTNERS[p[i]]), str(flows[f[i]]), str(freq_of[t[i]]),
               str(periods[t[i]]), "H6", str(codes[h[i]]), None if value_null[i] else float(value[i]),
               None if weight_null[i] else float(weight[i]), None, None, "synthetic benchmark data",
               "2026-01-01T00:00:00Z")


def build_database(folder: Path, n: int) -> Settings:
    """A database under `folder` with the reference data and n synthetic trade rows."""
    path = folder / f"synthetic_{n}.db"
    if path.exists():
        path.unlink()
    settings = Settings.from_env(environ={}, database_url=f"sqlite:///{path}")
    init_db(settings)
    make_engine(settings.database_url).dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    placeholders = ",".join("?" * 14)
    with conn:
        conn.executemany(f"INSERT INTO trade_flow VALUES ({placeholders})", rows(n))  # column order = schema order
        conn.execute("UPDATE data_version SET version = version + 1")
    conn.execute("ANALYZE")
    conn.close()
    return settings


def write_comtrade_csv(path: Path, n: int) -> None:
    """A Comtrade Plus layout CSV (47 columns) of n synthetic rows."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(COMTRADE_HEADER)
        for row in rows(n):
            (_, reporter, partner, flow, freq, period, cl, code, value, weight, *_rest) = row
            month = 52 if freq == "A" else int(period[4:])
            out.writerow(["C", freq, f"{period[:4]}0101", period[:4], month, period, reporter, "", "", flow, "",
                          partner, "", "", 0, "W00", "World", cl, "HS", "True", code, "", len(code), "True", "C00",
                          "TOTAL CPC", "0", 0, "TOTAL MOT", -1, "N/A", 0, "False", -1, "N/A", 0, "False",
                          "" if weight is None else weight, "False", 0, "False", "", "",
                          "" if value is None else value, 0, "True", "False"])
