"""A large file repeats its codes, periods and units: checks that run once per distinct value must still reject
every row holding a bad one, name its own line, and load every other row."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from etl.db import make_engine
from etl.errors import ValidationError
from etl.pipeline import import_file, init_db
from etl.settings import Settings

HEADER = "reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"
# (reporter, period, hs_code, qty, qty_unit): one bad value in each but the first
CYCLE = [
    ("156", "{year}", "{hs}", "5", "kg"),
    ("CHN", "{year}", "{hs}", "5", "kg"),
    ("156", "{future}", "{hs}", "5", "kg"),
    ("156", "{year}", "10121", "5", "kg"),
    ("156", "{year}", "{hs}", "N/A", "kg"),
    ("156", "{year}", "{hs}", "5", "kilograms-per-container-unit"),
]
REASONS = ["unknown country code: expected a UN Comtrade numeric code (e.g. 156 China, 643 Russia) (value 'CHN')",
           "period is in the future (value '2999')",
           "HS code has an odd number of digits: a leading zero was probably lost (keep codes as text, "
           "e.g. 010121 not 10121) (value '10121')",
           "not a number: leave the cell empty when the figure is not reported (value 'N/A')",
           "text too long (28 characters; at most 20) (value 'kilograms-per-container-unit')"]
COLUMNS = ["reporter_code", "period", "hs_code", "qty", "qty_unit"]


def _file(tmp_path: Path, n: int) -> Path:
    lines = []
    for i in range(n):
        reporter, period, hs, qty, unit = CYCLE[i % len(CYCLE)]
        # partner and year make every key unique; codes, periods and units repeat many times
        partner, year, code = i % 1000, str(2000 + i // 1000), ("8542", "2701", "854231")[i % 7 % 3]
        lines.append(f"{reporter},{partner},X,A,{period.format(year=year, future=2999 - i // 1000)},{hs.format(hs=code)},{i + 1},,{qty},"
                     f"{unit}\n")
    path = tmp_path / "synthetic_repeats.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


@pytest.mark.both_backends
def test_every_row_with_a_repeated_bad_value_is_rejected(settings: Settings, tmp_path: Path) -> None:
    init_db(settings)
    path = _file(tmp_path, 6000)
    with pytest.raises(ValidationError) as caught:
        import_file(settings, path)
    message = str(caught.value)
    assert "5000 bad rows (5000 problems); nothing was loaded" in message
    shown = [line for line in message.splitlines() if line.startswith(f"{path.name}, line ")]
    expected = [f"{path.name}, line {line}, column {COLUMNS[k]}: {REASONS[k]}"
                for line, k in [(3 + 6 * (j // 5) + j % 5, j % 5) for j in range(10)]]
    assert shown == expected
    result = import_file(settings, path, skip_invalid=True)
    assert (result.inserted, result.rejected) == (1000, 5000)
    with make_engine(settings.database_url).connect() as conn:
        loaded = pd.read_sql(text("SELECT value_usd, qty FROM trade_flow WHERE source = :s ORDER BY value_usd"),
                             conn, params={"s": f"csv:{path.name}"})
    assert loaded.value_usd.tolist() == [float(1 + 6 * k) for k in range(1000)]
    assert (loaded.qty == 5).all()
