"""Synthetic trade data of realistic shape, for benchmarks only. Every row's source is 'synthetic'.

Writes only into databases and files under a folder the caller gives (a temporary one), never data/chokepoint.db.

Shape. A real database grows by more reporters, partners and codes, not by China reporting more of its trade with
Russia: the slice the pages read has the size the world gives it. So the rows come in two parts:
- the core (`core` rows): what the watchlist and a China–Russia HS-6 download hold — China <-> Russia both ways,
  Russia's mirror figures up to 2021, the seven other suppliers' exports to Russia, China's imports from the world.
  Every code the categories name is reported in ~92% of periods (gaps stay gaps); the rest of the ~5,600 HS-6 codes
  fill the remaining core rows sparsely. Two databases built with the same `core` hold the same core rows.
- the background (n - core rows): other reporter-partner pairs (China and the suppliers with other partners too),
  as a bulk Comtrade import adds them.
Values are heavy-tailed (Pareto); 3% of values and 15% of weights are NULL (not reported).
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Iterator

import numpy as np

from etl.db import make_engine, schema_statements
from etl.pipeline import init_db
from etl.settings import Settings
from etl.sources import reference

SOURCE = "synthetic"
SOURCE_REF = "synthetic benchmark data"
RETRIEVED_AT = "2026-01-01T00:00:00Z"
CLASSIFICATION = "H6"
CHINA, RUSSIA, WORLD = 156, 643, 0
SUPPLIERS = (344, 792, 398, 417, 51, 784, 699)
OTHERS = (842, 276, 392, 410, 490, 250, 380, 826, 528, 56, 724, 764, 360, 458, 704, 76, 484, 124, 36, 710, 566,
          818, 682, 364, 804, 112, 860, 762, 795, 31)
REPORTERS = np.array(sorted({CHINA, RUSSIA, *SUPPLIERS, *OTHERS}))
PARTNERS = np.array(sorted({WORLD, CHINA, RUSSIA, *SUPPLIERS, *OTHERS}))
FLOWS = np.array(["M", "X"])  # sorted, so the flat cell number follows the primary key's order
ANNUAL = [str(y) for y in range(2013, 2025)]
MONTHLY = [f"{y}{m:02d}" for y in range(2019, 2025) for m in range(1, 13)]
PERIODS = np.array(ANNUAL + MONTHLY)  # freq A before M, then period: the primary key's order
FREQS = np.array(["A"] * len(ANNUAL) + ["M"] * len(MONTHLY))
MIRROR_LAST = "2021"  # Russia stopped reporting after 2021
NAMED_DENSITY = 0.92
CHUNK = 500_000
COMTRADE_HEADER = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,reporterDesc,flowCode,flowDesc,"
    "partnerCode,partnerISO,partnerDesc,partner2Code,partner2ISO,partner2Desc,classificationCode,"
    "classificationSearchCode,isOriginalClassification,cmdCode,cmdDesc,aggrLevel,isLeaf,customsCode,customsDesc,"
    "mosCode,motCode,motDesc,qtyUnitCode,qtyUnitAbbr,qty,isQtyEstimated,altQtyUnitCode,altQtyUnitAbbr,altQty,"
    "isAltQtyEstimated,netWgt,isNetWgtEstimated,grossWgt,isGrossWgtEstimated,cifvalue,fobvalue,primaryValue,"
    "legacyEstimationFlag,isReported,isAggregate").split(",")


def named_codes() -> list[str]:
    """Every code the dashboard names: the categories' codes, their HS 2017 predecessors, known HS-6 codes, TOTAL."""
    codes = {r["hs_code"] for r in reference.category_hs()} | {r["old_code"] for r in reference.hs_concordance()}
    codes |= {str(r["code"]) for r in reference.hs_codes() if r["level"] == 6}
    return sorted(codes | {"TOTAL"})


def hs_codes(count: int = 5600, seed: int = 7) -> np.ndarray:
    """About `count` distinct codes, sorted: every named code plus made-up 6-digit codes across chapters."""
    named = set(named_codes())
    rng = np.random.default_rng(seed)
    made_up: set[str] = set()
    while len(made_up) < count - len(named):
        chapter, heading, sub = rng.integers(1, 98), rng.integers(1, 100), rng.integers(10, 100)
        made_up.add(f"{chapter:02d}{heading:02d}{sub:02d}")
    return np.array(sorted(named | (made_up - named)))


def watched_pairs() -> list[tuple[int, int, str]]:
    """(reporter, partner, flow) of the core: what the pages read."""
    pairs = [(CHINA, RUSSIA, "X"), (CHINA, RUSSIA, "M"), (RUSSIA, CHINA, "X"), (RUSSIA, CHINA, "M"),
             (CHINA, WORLD, "M")]
    return pairs + [(s, RUSSIA, "X") for s in SUPPLIERS]


# A row is one cell of the grid REPORTERS x PARTNERS x FLOWS x PERIODS x codes, numbered in primary-key order
# (every axis is sorted by value). Its measures are a fixed function of that number (below), so the database,
# rows() and the CSV file agree without storing anything in between.
PRIME = 4_294_967_291  # the largest prime below 2**32
MULTIPLIERS = {"value_null": 2_654_435_761, "value": 2_246_822_519, "weight_null": 3_266_489_917,
               "weight": 2_028_178_513}  # cell * multiplier stays below 2**63 for every cell number


def _dims(n_codes: int) -> tuple[int, int, int, int, int]:
    return len(REPORTERS), len(PARTNERS), len(FLOWS), len(PERIODS), n_codes


def _flat(r: np.ndarray, p: np.ndarray, f: np.ndarray, t: np.ndarray, h: np.ndarray, n_codes: int) -> np.ndarray:
    return np.ravel_multi_index((r, p, f, t, h), _dims(n_codes)).astype(np.int64)


def _core(core: int, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cell numbers of the core: the named codes at NAMED_DENSITY first, then other codes of the same pairs."""
    pairs = watched_pairs()
    pr = np.searchsorted(REPORTERS, [r for r, _p, _f in pairs])
    pp = np.searchsorted(PARTNERS, [p for _r, p, _f in pairs])
    pf = np.searchsorted(FLOWS, [f for _r, _p, f in pairs])
    mirror = np.array([r == RUSSIA for r, _p, _f in pairs])
    w, t, h = np.unravel_index(np.arange(len(pairs) * len(PERIODS) * len(codes)), (len(pairs), len(PERIODS), len(codes)))
    allowed = ~mirror[w] | (PERIODS.astype("U4") <= MIRROR_LAST)[t]
    is_named = np.isin(codes, named_codes())[h]
    named = np.flatnonzero(allowed & is_named)
    named = named[rng.random(len(named)) < NAMED_DENSITY]
    if len(named) >= core:
        picked = rng.choice(named, size=core, replace=False)
    else:
        rest = np.flatnonzero(allowed & ~is_named)
        picked = np.concatenate([named, rng.choice(rest, size=min(core - len(named), len(rest)), replace=False)])
    return _flat(pr[w[picked]], pp[w[picked]], pf[w[picked]], t[picked], h[picked], len(codes))


def _background(k: int, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """k distinct cell numbers outside the core's reporter-partner pairs (and never a country with itself)."""
    dims = _dims(len(codes))
    banned = np.array([np.searchsorted(REPORTERS, r) * len(PARTNERS) + np.searchsorted(PARTNERS, p)
                       for r, p, _f in watched_pairs()])
    found = np.empty(0, dtype=np.int64)
    while len(found) < k:
        draw = rng.integers(0, int(np.prod(dims)), size=int((k - len(found)) * 1.25) + 1000)
        r, p = np.unravel_index(draw, dims)[:2]
        found = np.concatenate([found, draw[~np.isin(r * len(PARTNERS) + p, banned) & (REPORTERS[r] != PARTNERS[p])]])
        found.sort()
        found = found[np.concatenate([[True], found[1:] != found[:-1]])]  # distinct cells
    return np.delete(found, rng.choice(len(found), size=len(found) - k, replace=False))


def cells(n: int, core: int | None = None, seed: int = 11) -> np.ndarray:
    """n distinct cell numbers, sorted (primary-key order): `core` of them from the core, the rest background."""
    codes = hs_codes()
    core = min(n, 500_000 if core is None else core)
    picked = _core(core, codes, np.random.default_rng(seed + 1))  # its own generator: the same core whatever n is
    background = _background(n - len(picked), codes, np.random.default_rng(seed)) if n > len(picked) else []
    return np.sort(np.concatenate([picked, np.asarray(background, dtype=np.int64)]))


def _uniform(cell: np.ndarray, name: str) -> np.ndarray:
    return ((cell * MULTIPLIERS[name]) % PRIME + 1) / (PRIME + 1)


def measures(cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """value_usd and net_weight_kg of each cell, NaN where not reported. Same formula as MEASURES_SQL."""
    value = np.round((_uniform(cell, "value") ** (-1 / 1.2) - 1) * 1e4 + 1)  # heavy tail (Lomax, a = 1.2)
    weight = np.round(value * (0.01 + 1.99 * _uniform(cell, "weight")))
    value[_uniform(cell, "value_null") < 0.03] = np.nan
    weight[_uniform(cell, "weight_null") < 0.15] = np.nan
    return value, weight


def _sql_uniform(name: str) -> str:
    return f"((c.cell * {MULTIPLIERS[name]}) % {PRIME} + 1) / {PRIME + 1}.0"


MEASURES_SQL = (f"SELECT c.cell, round((pow({_sql_uniform('value')}, -1 / 1.2) - 1) * 1e4 + 1) AS value, "
                f"{_sql_uniform('weight')} AS u_weight, {_sql_uniform('value_null')} AS u_value_null, "
                f"{_sql_uniform('weight_null')} AS u_weight_null FROM bench_cell c")


def decode(cell: np.ndarray) -> dict[str, np.ndarray]:
    """The trade_flow columns of each cell (the constant ones left out)."""
    codes = hs_codes()
    r, p, f, t, h = np.unravel_index(cell, _dims(len(codes)))
    value, weight = measures(cell)
    return {"reporter_code": REPORTERS[r], "partner_code": PARTNERS[p], "flow": FLOWS[f], "freq": FREQS[t],
            "period": PERIODS[t], "hs_code": codes[h], "value_usd": value, "net_weight_kg": weight}


def rows(n: int, core: int | None = None, seed: int = 11) -> Iterator[tuple]:
    """n distinct trade_flow rows as tuples in etl.load.TRADE_COLUMNS order, in primary-key order."""
    data = decode(cells(n, core, seed))
    for i in range(n):
        value, weight = data["value_usd"][i], data["net_weight_kg"][i]
        yield (SOURCE, int(data["reporter_code"][i]), int(data["partner_code"][i]), str(data["flow"][i]),
               str(data["freq"][i]), str(data["period"][i]), CLASSIFICATION, str(data["hs_code"][i]),
               None if np.isnan(value) else float(value), None if np.isnan(weight) else float(weight), None, None,
               SOURCE_REF, RETRIEVED_AT)


def _lookup_tables(conn: sqlite3.Connection) -> None:
    """Small temporary tables that turn a cell number's parts back into codes."""
    conn.execute("CREATE TEMP TABLE bench_cell (cell INTEGER PRIMARY KEY)")
    for name, values in (("bench_reporter", REPORTERS.tolist()), ("bench_partner", PARTNERS.tolist()),
                         ("bench_flow", FLOWS.tolist()), ("bench_code", hs_codes().tolist())):
        conn.execute(f"CREATE TEMP TABLE {name} (i INTEGER PRIMARY KEY, v)")  # names from this module only
        conn.executemany(f"INSERT INTO {name} VALUES (?, ?)", list(enumerate(values)))
    conn.execute("CREATE TEMP TABLE bench_period (i INTEGER PRIMARY KEY, freq TEXT, period TEXT)")
    conn.executemany("INSERT INTO bench_period VALUES (?, ?, ?)", list(zip(range(len(PERIODS)), FREQS.tolist(),
                                                                         PERIODS.tolist())))


def _insert_sql() -> str:
    """trade_flow rows from bench_cell, in cell order (CROSS JOIN keeps SQLite's loop order)."""
    n_r, n_p, n_f, n_t, n_h = _dims(len(hs_codes()))
    return (
        "INSERT INTO trade_flow (source, reporter_code, partner_code, flow, freq, period, classification, hs_code, "
        "value_usd, net_weight_kg, qty, qty_unit, source_ref, retrieved_at) "
        f"SELECT '{SOURCE}', r.v, p.v, f.v, t.freq, t.period, '{CLASSIFICATION}', h.v, "
        "CASE WHEN m.u_value_null < 0.03 THEN NULL ELSE m.value END, "
        "CASE WHEN m.u_weight_null < 0.15 THEN NULL ELSE round(m.value * (0.01 + 1.99 * m.u_weight)) END, "
        f"NULL, NULL, '{SOURCE_REF}', '{RETRIEVED_AT}' "
        f"FROM ({MEASURES_SQL}) m "
        f"CROSS JOIN bench_reporter r ON r.i = m.cell / {n_p * n_f * n_t * n_h} "
        f"CROSS JOIN bench_partner p ON p.i = (m.cell / {n_f * n_t * n_h}) % {n_p} "
        f"CROSS JOIN bench_flow f ON f.i = (m.cell / {n_t * n_h}) % {n_f} "
        f"CROSS JOIN bench_period t ON t.i = (m.cell / {n_h}) % {n_t} "
        f"CROSS JOIN bench_code h ON h.i = m.cell % {n_h}")


def _secondary_indexes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, CREATE statement) of trade_flow's own indexes (not the primary key's)."""
    return [(name, sql) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'trade_flow' AND sql IS NOT NULL")]


def build_database(folder: Path, n: int, core: int | None = None) -> Settings:
    """A database under `folder` with the reference data and n synthetic trade rows (see the module docstring).

    The cell numbers go in as one JSON array per chunk and SQLite makes the rows, in primary-key order, with the
    secondary indexes dropped and built once at the end: minutes faster at 10M rows than binding row by row.
    """
    path = folder / f"synthetic_{n}.db"
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    settings = Settings.from_env(environ={}, database_url=f"sqlite:///{path}")
    init_db(settings)
    make_engine(settings.database_url).dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1000000", "temp_store = MEMORY"):
        conn.execute(f"PRAGMA {pragma}")
    _lookup_tables(conn)
    indexes = _secondary_indexes(conn)
    conn.execute("BEGIN")
    for name, _sql in indexes:
        conn.execute(f"DROP INDEX {name}")  # names from sqlite_master, not from input
    all_cells = cells(n, core)
    for start in range(0, n, 2_000_000):
        conn.execute("INSERT INTO bench_cell SELECT value FROM json_each(?)",
                     (json.dumps(all_cells[start:start + 2_000_000].tolist()),))
    conn.execute(_insert_sql())
    for _name, sql in indexes:
        conn.execute(sql)
    for statement in schema_statements():  # whatever else the schema holds (idempotent)
        conn.execute(statement)
    conn.execute("UPDATE data_version SET version = version + 1")
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")  # as the ETL leaves it
    conn.close()
    return settings


def _text(values: np.ndarray) -> list[str]:
    """Numbers as the CSV shows them; NaN (not reported) as an empty cell."""
    return ["" if v != v else repr(v) for v in values.tolist()]


def _quoted(text: str) -> str:
    """A CSV field as Comtrade's downloads write it: in quotes when it holds a comma or a quote."""
    return '"' + text.replace('"', '""') + '"' if "," in text or '"' in text else text


def _labels() -> tuple[dict[int, tuple[str, str]], dict[str, str]]:
    """(country code -> (ISO3, name), HS code -> description field) from the bundled reference data."""
    countries = {int(str(r["code"])): (str(r["iso3"]), _quoted(str(r["name"]))) for r in reference.countries()}
    described = {str(r["code"]): _quoted(str(r["description"])) for r in reference.hs_codes()}
    return countries, described


def write_comtrade_csv(path: Path, n: int, core: int | None = None) -> None:
    """A Comtrade Plus layout CSV (47 columns) of n synthetic rows, the rows of build_database(n, core).

    The text columns are filled as in a real download: country and flow names, and the code's description
    (the bundled one, else a generic one), quoted where it holds a comma, as most HS descriptions do."""
    data = decode(cells(n, core))
    countries, described = _labels()
    line = ("C,{freq},{year}0101,{year},{month},{period},{reporter},{reporter_iso},{reporter_name},{flow},"
            "{flow_name},{partner},{partner_iso},{partner_name},0,W00,World,H6,HS,True,"
            "{code},{description},{level},True,C00,TOTAL CPC,0,0,TOTAL MOT,-1,N/A,0,False,-1,N/A,0,False,{weight},"
            "False,0,False,,,{value},0,True,False\n")
    flows = {"X": "Export", "M": "Import", "RX": "Re-export", "RM": "Re-import"}
    generic = _quoted("Other goods, n.e.c. (synthetic code)")

    def country(code: int) -> tuple[str, str]:
        return countries.get(code, (f"C{code}", f"Country {code}"))

    columns = zip(data["freq"].tolist(), data["period"].tolist(), data["reporter_code"].tolist(),
                  data["flow"].tolist(), data["partner_code"].tolist(), data["hs_code"].tolist(),
                  _text(data["net_weight_kg"]), _text(data["value_usd"]))
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(COMTRADE_HEADER) + "\n")
        out.writelines(line.format(freq=f, year=p[:4], month="52" if f == "A" else int(p[4:]), period=p, reporter=r,
                                   reporter_iso=country(r)[0], reporter_name=country(r)[1], flow=x,
                                   flow_name=flows.get(x, x), partner=q, partner_iso=country(q)[0],
                                   partner_name=country(q)[1], code=h, description=described.get(h, generic),
                                   level=len(h), weight=w, value=v)
                       for f, p, r, x, q, h, w, v in columns)
