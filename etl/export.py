"""CSV export with provenance columns. Missing measures are empty cells; formula-like text is neutralised."""
from __future__ import annotations

import io

import pandas as pd

EXPORT_COLUMNS = ("reporter_code", "reporter", "partner_code", "partner", "flow", "freq", "period",
                  "classification", "hs_code", "hs_description", "value_usd", "net_weight_kg", "qty", "qty_unit",
                  "source", "source_ref", "retrieved_at")
# A spreadsheet runs a cell starting with these as a formula (CSV injection, OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would execute with a quote, so it shows as text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell neutralised; numbers and NULLs untouched."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    return out


def to_csv(frame: pd.DataFrame, target: io.TextIOBase | None = None) -> str | None:
    """Write CSV: NULL as an empty cell (never 0), numbers without exponent noise."""
    return safe_frame(frame).to_csv(target, index=False, na_rep="", float_format="%.15g", lineterminator="\n")
