"""Pure pandas: raw text rows -> the typed trade frame. Codes padded, units kept, blank stays NaN (NULL)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from etl.sources.csv_file import CLEAN, COMTRADE_COLUMNS, blank_positions

MEASURES = ("value_usd", "net_weight_kg", "qty")


@dataclass(frozen=True)
class Reject:
    """One bad value: the row's position in its input (0-based), the input's column name, why, and the value.

    `others` holds the positions of rows the value conflicts with (duplicate keys).
    """

    row: int
    column: str
    reason: str
    value: str = ""
    others: tuple[int, ...] = ()


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text; a missing value (None, NaN from JSON or pandas) is ''. The text 'nan' stays."""
    if column not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    if frame.attrs.get(CLEAN):
        return frame[column]
    return _clean(frame[column])


def _clean(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


# Spellings of "no figure" that spreadsheets and databases write; a figure not reported must be an empty cell.
PLACEHOLDERS = r"(?i)[+-]?nan|null|none|n/?a|#n/?a|-+|\.+|\?+"


def _per_value(values: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """convert(values), computed once per distinct value: codes, periods and units repeat across a large file."""
    codes, uniques = pd.factorize(values.to_numpy(), use_na_sentinel=False)
    converted = convert(pd.Series(uniques, dtype=values.dtype))
    return converted.take(codes).set_axis(values.index)


def _repeats(values: pd.Series, sample: int = 4096) -> bool:
    """Whether a column's first cells repeat enough that converting distinct values pays off."""
    head = values.iloc[:sample]
    return len(pd.unique(head.to_numpy())) * 4 <= len(head)


def _to_float(raw: pd.Series) -> pd.Series:
    return pd.to_numeric(raw.where(raw != ""), errors="coerce")


def _numbers(frame: pd.DataFrame, column: str, rejects: list[Reject]) -> pd.Series:
    """Parse a numeric column: blank -> NaN (not reported); text that is not a number -> a reject."""
    raw = _text(frame, column)
    parsed = _per_value(raw, _to_float) if _repeats(raw) else _to_float(raw)
    bad = parsed.isna() & raw.ne("")
    placeholder = raw[bad].str.fullmatch(PLACEHOLDERS)  # only the bad cells: a regex per cell is costly
    for i in raw.index[bad]:
        reason = ("not a number: leave the cell empty when the figure is not reported" if placeholder[i]
                  else "not a number")
        rejects.append(Reject(int(i), column, reason, raw[i]))
    return parsed.astype("float64")


def _codes(frame: pd.DataFrame, column: str, rejects: list[Reject]) -> pd.Series:
    """Country codes: whole numbers (nullable Int64); anything else is a reject and <NA> here."""
    raw = _text(frame, column)
    parsed = _per_value(raw, _whole_numbers)
    for i in raw.index[parsed.isna()]:
        rejects.append(Reject(int(i), column, "unknown country code: expected a UN Comtrade numeric code "
                                              "(e.g. 156 China, 643 Russia)" if raw[i] else "missing country code",
                              raw[i]))
    return parsed.astype("Int64")


def _whole_numbers(raw: pd.Series) -> pd.Series:
    """The cells that are whole numbers; <NA> for the others."""
    parsed = _to_float(raw)
    whole = parsed.notna() & np.isfinite(parsed.fillna(0)) & (parsed.fillna(0) % 1 == 0)
    return parsed.where(whole)


def _period(raw: pd.Series) -> pd.Series:
    # Some exports write periods as numbers ("2023.0"); keep the digits only (the regex only when needed).
    return raw.str.replace(r"\.0+$", "", regex=True) if _ends_with_zero_decimals(raw) else raw


def _frame(columns: dict[str, pd.Series], source: str, source_ref: str, retrieved_at: str) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    frame["source"] = source
    frame["source_ref"] = source_ref
    frame["retrieved_at"] = retrieved_at
    return frame


def is_blank_row(frame: pd.DataFrame) -> pd.Series:
    """Rows where every field is empty (blank lines in a CSV)."""
    if frame.empty:
        return pd.Series(False, index=frame.index)
    if frame.attrs.get(CLEAN):
        blank = np.zeros(len(frame), dtype=bool)
        blank[blank_positions(frame)] = True
        return pd.Series(blank, index=frame.index)
    return frame.apply(lambda column: _clean(column).eq("")).all(axis=1)


def _ends_with_zero_decimals(values: pd.Series) -> bool:
    """Whether any cell ends in '.0' (a code or period written as a number): one C-level search, not a loop."""
    return ".0\x00" in "\x00".join(values.astype(str).to_list()) + "\x00"


def _code_text(frame: pd.DataFrame, column: str) -> pd.Series:
    values = _text(frame, column)
    if _ends_with_zero_decimals(values):  # rare, so the per-cell regex runs only then
        values = values.str.replace(r"\.0+$", "", regex=True)
    return values


def comtrade_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Keep the rows that are not breakdowns (partner2 World, all customs procedures, all transport modes)."""
    blank = is_blank_row(frame)
    keep = ~blank
    for column, wanted in (("partner2Code", "0"), ("customsCode", "C00"), ("motCode", "0")):
        if column in frame:
            keep &= _code_text(frame, column).isin([wanted, ""])
    kept = frame if keep.all() else frame[keep]
    kept.attrs = dict(frame.attrs)
    return kept, int((~keep).sum() - blank.sum())


def comtrade_to_trade(frame: pd.DataFrame, source: str, source_ref: str,
                      retrieved_at: str) -> tuple[pd.DataFrame, list[Reject]]:
    """Comtrade records (API JSON or Plus CSV, 47 fields) -> typed trade frame. Call comtrade_rows first."""
    rejects: list[Reject] = []
    names = {v: k for k, v in COMTRADE_COLUMNS.items()}
    hs = _text(frame, "cmdCode")
    unit_code = _code_text(frame, "qtyUnitCode")
    qty = _numbers(frame, "qty", rejects)
    net = _numbers(frame, "netWgt", rejects)
    unit = _text(frame, "qtyUnitAbbr")
    # Comtrade writes 0 with unit code -1 ("N/A") when no quantity exists, and 0 kg on all-goods totals:
    # those zeros mean "not reported", so they are stored as NULL.
    no_unit = unit_code.eq("-1") | unit.isin(["N/A", "NA", "-1"])
    qty = qty.mask(no_unit & qty.fillna(0).eq(0))
    unit = unit.mask(no_unit | unit.eq(""))
    net = net.mask(hs.eq("TOTAL") & net.eq(0))
    columns = {
        "reporter_code": _codes(frame, names["reporter_code"], rejects),
        "partner_code": _codes(frame, names["partner_code"], rejects),
        "flow": _text(frame, "flowCode"), "freq": _text(frame, "freqCode"),
        "period": _period(_text(frame, "period")), "classification": _text(frame, "classificationCode"),
        "hs_code": hs, "value_usd": _numbers(frame, "primaryValue", rejects),
        "net_weight_kg": net, "qty": qty, "qty_unit": unit,
    }
    return _frame(columns, source, source_ref, retrieved_at), rejects


def long_to_trade(frame: pd.DataFrame, source: str, source_ref: str,
                  retrieved_at: str) -> tuple[pd.DataFrame, list[Reject]]:
    """Chokepoint long-format rows -> typed trade frame. Blank rows must be dropped first."""
    rejects: list[Reject] = []
    classification = _text(frame, "classification")
    unit = _text(frame, "qty_unit")
    columns = {
        "reporter_code": _codes(frame, "reporter_code", rejects),
        "partner_code": _codes(frame, "partner_code", rejects),
        "flow": _text(frame, "flow").str.upper(), "freq": _text(frame, "freq").str.upper(),
        "period": _period(_text(frame, "period")), "classification": classification.mask(classification.eq(""), "HS"),
        "hs_code": _text(frame, "hs_code").str.upper(),
        "value_usd": _numbers(frame, "value_usd", rejects), "net_weight_kg": _numbers(frame, "net_weight_kg", rejects),
        "qty": _numbers(frame, "qty", rejects), "qty_unit": unit.mask(unit.eq("")),
    }
    return _frame(columns, source, source_ref, retrieved_at), rejects
