"""Checks at the boundary. Every rejected value is reported with its row, column and reason."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from etl.load import TRADE_KEY
from etl.transform import MEASURES, Reject

FLOWS = ("X", "M", "RX", "RM")
FREQS = ("A", "M")
FIRST_YEAR = 1962  # the first year UN Comtrade holds
# No single trade figure comes near this (world goods trade is ~2.5e13 USD a year): larger means a broken file.
MAX_MEASURE = 1e15
# Text columns whose width the schema limits (sql/schema.sql); the others are bounded by the checks below.
TEXT_WIDTHS = {"classification": 8, "qty_unit": 20}


def _flag(frame: pd.DataFrame, mask: pd.Series, column: str, reason: str) -> list[Reject]:
    rows = frame.index[np.asarray(pd.Series(mask, index=frame.index).fillna(False), dtype=bool)]
    return [Reject(int(i), column, reason, str(frame.at[i, column])) for i in rows]


def _distinct(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct combinations of `columns` (in order of first appearance), and each row's position among them.

    Checks of a value alone (codes, periods) run once per distinct value: a large file repeats them a lot."""
    combined = np.zeros(len(frame), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(frame[column].to_numpy(), use_na_sentinel=False)
        combined = combined * max(len(uniques), 1) + codes
    inverse, _ = pd.factorize(combined)
    first = np.empty(inverse.max() + 1 if len(inverse) else 0, dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]  # the last write wins: each value's first row
    return frame[columns].iloc[first].reset_index(drop=True), inverse


def _spread(mask: pd.Series, inverse: np.ndarray) -> np.ndarray:
    """A mask over distinct values, as a mask over the rows they came from."""
    return np.asarray(mask.fillna(False), dtype=bool)[inverse]


def _period_masks(frame: pd.DataFrame, today: date) -> list[tuple[pd.Series, str]]:
    period, freq = frame["period"], frame["freq"]
    annual = freq.eq("A")
    monthly = freq.eq("M")
    shape_a = period.str.fullmatch(r"\d{4}")
    shape_m = period.str.fullmatch(r"\d{4}(0[1-9]|1[0-2])")
    blank = period.eq("")
    valid = (annual & shape_a) | (monthly & shape_m)
    year = pd.to_numeric(period.str[:4].where(valid), errors="coerce")
    current = today.year * 100 + today.month
    as_month = np.where(annual, year * 100 + 12, pd.to_numeric(period.where(valid & monthly), errors="coerce"))
    future = valid & ((annual & (year > today.year)) | (monthly & (pd.Series(as_month, index=frame.index) > current)))
    return [
        ((annual | monthly) & blank, "missing period"),
        (annual & ~shape_a & shape_m, "period is monthly (YYYYMM) but freq is A"),
        (monthly & ~shape_m & shape_a, "period is annual (YYYY) but freq is M"),
        (((annual & ~shape_a & ~shape_m) | (monthly & ~shape_m & ~shape_a)) & ~blank,
         "not a period: expected YYYY for annual or YYYYMM for monthly data"),
        (future, "period is in the future"),
        (valid & (year < FIRST_YEAR), f"period is before {FIRST_YEAR}"),
    ]


def _period_checks(frame: pd.DataFrame, today: date) -> list[Reject]:
    distinct, inverse = _distinct(frame, ["freq", "period"])
    out: list[Reject] = []
    for mask, reason in _period_masks(distinct, today):
        out += _flag(frame, _spread(mask, inverse), "period", reason)
    return out


def _hs_masks(hs: pd.Series) -> list[tuple[pd.Series, str]]:
    digits = hs.str.fullmatch(r"\d+")
    lost_zero = digits & hs.str.len().isin([1, 3, 5])
    bad = ~(hs.eq("TOTAL") | (digits & hs.str.len().isin([2, 4, 6]))) & ~lost_zero
    return [
        (lost_zero, "HS code has an odd number of digits: a leading zero was probably lost "
                    "(keep codes as text, e.g. 010121 not 10121)"),
        (hs.eq(""), "missing HS code"),
        (bad & hs.ne(""), "not an HS code: expected TOTAL or 2, 4 or 6 digits"),
    ]


def _hs_checks(frame: pd.DataFrame) -> list[Reject]:
    distinct, inverse = _distinct(frame, ["hs_code"])
    out: list[Reject] = []
    for mask, reason in _hs_masks(distinct["hs_code"]):
        out += _flag(frame, _spread(mask, inverse), "hs_code", reason)
    return out


def _length_checks(frame: pd.DataFrame) -> list[Reject]:
    """Text longer than its column: PostgreSQL would refuse the whole load, SQLite would store it silently."""
    out: list[Reject] = []
    for column, width in TEXT_WIDTHS.items():
        distinct, inverse = _distinct(frame, [column])
        lengths = distinct[column].fillna("").astype(str).str.len().to_numpy()
        length = pd.Series(lengths[inverse], index=frame.index)
        out += [Reject(int(i), column, f"text too long ({length[i]} characters; at most {width})",
                       str(frame.at[i, column])) for i in frame.index[length > width]]
    return out


def _code_checks(frame: pd.DataFrame) -> list[Reject]:
    """Codes outside 0..999; codes that did not parse (<NA>) were rejected by the transform already."""
    out: list[Reject] = []
    for column in ("reporter_code", "partner_code"):
        codes = frame[column]
        outside = codes.notna() & ~codes.between(0, 999).fillna(False).astype(bool)
        out += _flag(frame, outside, column, "unknown country code: UN Comtrade codes run from 0 to 999")
    return out


def _measure_checks(frame: pd.DataFrame) -> list[Reject]:
    out: list[Reject] = []
    for column in MEASURES:
        values = frame[column]
        out += _flag(frame, values.isin([np.inf, -np.inf]), column, "not a finite number")
        finite = np.isfinite(values)
        out += _flag(frame, finite & (values < 0), column, "negative value: trade measures cannot be negative")
        out += _flag(frame, finite & (values > MAX_MEASURE), column,
                     f"implausibly large value (over {MAX_MEASURE:.0e}): check the file's units")
    return out


def _duplicate_checks(frame: pd.DataFrame) -> tuple[list[Reject], pd.Series]:
    """Rows sharing a natural key: identical ones are dropped silently, conflicting ones are rejects."""
    key = list(TRADE_KEY)
    dup_key = frame.duplicated(key, keep=False)
    if not dup_key.any():
        return [], pd.Series(False, index=frame.index)
    dups = frame[dup_key]
    values = dups[list(MEASURES) + ["qty_unit"]].astype(str)
    distinct = values.assign(_k=dups[key].astype(str).agg("|".join, axis=1)).drop_duplicates()
    conflicting_keys = set(distinct["_k"][distinct["_k"].duplicated(keep=False)])
    keys = dups[key].astype(str).agg("|".join, axis=1)
    conflict = keys.isin(conflicting_keys).reindex(frame.index, fill_value=False)
    groups = keys[keys.isin(conflicting_keys)].groupby(keys).groups
    rejects = [Reject(int(i), "hs_code", "duplicate key with different values: reporter, partner, flow, freq, "
                                         "period, classification and hs_code must be unique in a file",
                      frame.at[i, "hs_code"], tuple(int(j) for j in groups[keys[i]] if j != i))
               for i in frame.index[conflict]]
    exact_repeat = frame.duplicated(key + list(MEASURES) + ["qty_unit"], keep="first") & ~conflict
    return rejects, exact_repeat


def validate_trade(frame: pd.DataFrame, today: date | None = None) -> tuple[pd.DataFrame, list[Reject], int]:
    """Check a typed trade frame. Returns (rows that pass, rejects, exact duplicates dropped)."""
    today = today or date.today()
    rejects = _flag(frame, ~frame["flow"].isin(FLOWS), "flow", "flow must be one of X, M, RX, RM")
    rejects += _flag(frame, ~frame["freq"].isin(FREQS), "freq", "freq must be A (annual) or M (monthly)")
    rejects += _code_checks(frame)
    rejects += _flag(frame, frame["classification"].eq(""), "classification", "missing classification")
    rejects += _period_checks(frame, today) + _hs_checks(frame) + _measure_checks(frame) + _length_checks(frame)
    dup_rejects, repeats = _duplicate_checks(frame)
    rejects += dup_rejects
    unparsed = frame["reporter_code"].isna() | frame["partner_code"].isna()
    bad_rows = {r.row for r in rejects} | set(frame.index[unparsed])
    drop = frame.index.isin(bad_rows) | repeats.to_numpy()
    good = frame[~drop] if drop.any() else frame
    return good, rejects, int(repeats.sum())
