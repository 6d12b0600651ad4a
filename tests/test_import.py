"""CSV import: both layouts, idempotency, corrections, NULLs, rejects, atomicity."""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import event, text

from etl.db import make_engine
from etl.errors import InputError, ValidationError
from etl.pipeline import import_file, init_db, writer_engine
from etl.settings import Settings
from tests.conftest import CASES, ROOT

FIXTURES = CASES / "foundation"
pytestmark = pytest.mark.both_backends
LONG_HEADER = "reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"


def rows(settings: Settings, where: str = "1 = 1") -> pd.DataFrame:
    with make_engine(settings.database_url).connect() as conn:
        return pd.read_sql(text(f"SELECT * FROM trade_flow WHERE {where} ORDER BY hs_code, period"), conn)


def runs(settings: Settings) -> pd.DataFrame:
    with make_engine(settings.database_url).connect() as conn:
        return pd.read_sql(text("SELECT * FROM etl_run ORDER BY id"), conn)


@pytest.fixture
def ready(settings: Settings) -> Settings:
    init_db(settings)
    return settings


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_long_format_loads_with_nulls_kept(ready: Settings) -> None:
    result = import_file(ready, FIXTURES / "synthetic_long.csv")
    assert (result.inserted, result.updated, result.rejected) == (6, 0, 0)
    frame = rows(ready)
    coal = frame[frame.hs_code == "2701"].iloc[0]
    assert pd.isna(coal.value_usd) and coal.net_weight_kg == 300000
    assert frame[frame.hs_code == "854231"].iloc[0].qty_unit == "u"
    assert set(frame.source) == {"csv:synthetic_long.csv"}
    assert frame.source_ref.str.fullmatch(r"synthetic_long\.csv sha256:[0-9a-f]{64}").all()


def test_comtrade_layout_keeps_only_totals_of_breakdowns(ready: Settings) -> None:
    result = import_file(ready, FIXTURES / "synthetic_comtrade.csv")
    assert result.inserted == 4 and result.skipped == 2
    frame = rows(ready)
    ic = frame[frame.hs_code == "8542"].iloc[0]
    assert ic.value_usd == 1500000 and ic.classification == "H6" and ic.net_weight_kg == 2000
    assert pd.isna(ic.qty) and pd.isna(ic.qty_unit)  # qty 0 with unit code -1 means "no quantity"
    total = frame[frame.hs_code == "TOTAL"].iloc[0]
    assert pd.isna(total.net_weight_kg)  # 0 kg on an all-goods total is "not reported"
    lng = frame[frame.hs_code == "271111"].iloc[0]
    assert pd.isna(lng.value_usd) and lng.period == "202203" and lng.freq == "M"


def test_tab_separated_and_gzip_are_detected(ready: Settings, tmp_path: Path) -> None:
    body = (FIXTURES / "synthetic_comtrade.csv").read_text().replace(",", "\t")
    tsv = tmp_path / "synthetic_comtrade.tsv.gz"
    tsv.write_bytes(gzip.compress(body.encode()))
    assert import_file(ready, tsv).inserted == 4


def test_reimport_changes_nothing_and_correction_updates(ready: Settings, tmp_path: Path) -> None:
    path = tmp_path / "synthetic_long.csv"
    shutil.copy(FIXTURES / "synthetic_long.csv", path)
    import_file(ready, path)
    before = rows(ready)
    again = import_file(ready, path)
    assert (again.inserted, again.updated) == (0, 0)
    pd.testing.assert_frame_equal(rows(ready), before)
    path.write_text(path.read_text().replace("2500000.5,1200", "2600000,1200"))
    fixed = import_file(ready, path)
    assert (fixed.inserted, fixed.updated) == (0, 1)
    after = rows(ready, "hs_code = '8542' AND period = '2022'").iloc[0]
    assert after.value_usd == 2600000 and after.source_ref != before.source_ref.iloc[0]


def test_bad_rows_load_nothing_and_name_line_and_column(ready: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "synthetic_bad.csv", LONG_HEADER + "156,643,X,A,2021,8542,12,,,\n"
                 "156,643,X,A,2021,8541,twelve,,,\n\n156,643,X,Z,2021,8541,1,,,\n")
    with pytest.raises(ValidationError) as info:
        import_file(ready, path)
    message = str(info.value)
    assert "line 3, column value_usd: not a number (value 'twelve')" in message
    assert "line 5, column freq: freq must be A (annual) or M (monthly)" in message
    assert "2 bad rows" in message and "--skip-invalid" in message
    assert rows(ready).empty
    assert runs(ready).iloc[-1].status == "failed"


def test_skip_invalid_loads_exactly_the_good_rows(ready: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "synthetic_bad.csv", LONG_HEADER + "156,643,X,A,2021,8542,12,,,\n"
                 "156,643,X,A,2021,8541,-3,,,\n156,643,X,A,2021,8471,5,,,\n")
    result = import_file(ready, path, skip_invalid=True)
    assert (result.inserted, result.rejected) == (2, 1)
    assert list(rows(ready).hs_code) == ["8471", "8542"]
    last = runs(ready).iloc[-1]
    assert last.status == "ok" and last.rows_rejected == 1 and "line 3, column value_usd" in last.message


def test_line_numbers_count_quoted_newlines(ready: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "synthetic_quoted.csv", LONG_HEADER + '156,643,X,A,2021,8542,1,,,"a\nb"\n'
                 "156,643,X,A,2021,8541,x,,,\n")
    with pytest.raises(ValidationError, match=r"line 4, column value_usd"):
        import_file(ready, path)


def test_failure_in_the_middle_of_a_load_leaves_the_database_unchanged(ready: Settings, tmp_path: Path) -> None:
    import_file(ready, FIXTURES / "synthetic_long.csv")
    before = rows(ready)
    engine = writer_engine(ready)
    calls = {"n": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def fail_on_the_second_batch(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO trade_flow"):
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError("injected: disk unplugged")

    path = tmp_path / "synthetic_big.csv"
    lines = [f"156,643,X,M,{2010 + i % 132 // 12}{i % 12 + 1:02d},{8400 + i // 132},{i + 1},,,\n" for i in range(60_000)]
    path.write_text(LONG_HEADER + "".join(lines))
    with pytest.raises(OSError, match="injected"):
        import_file(ready, path, engine=engine)
    pd.testing.assert_frame_equal(rows(ready), before)
    assert calls["n"] == 2
    last = runs(ready).iloc[-1]
    assert last.status == "failed" and "injected" in last.message


@pytest.mark.parametrize(("name", "body", "expected"), [
    ("missing.csv", None, "no such file"),
    ("empty.csv", "", "the file is empty"),
    ("semicolons.csv", LONG_HEADER.replace(",", ";"), "separated by ';'"),
    ("unknown.csv", "a,b,c\n1,2,3\n", "unknown layout"),
    ("partial.csv", "reporter_code,partner_code,flow,freq,period,hs_code,value_usd\n", "missing required columns"),
])
def test_input_errors_are_clear(ready: Settings, tmp_path: Path, name: str, body: str | None, expected: str) -> None:
    path = tmp_path / name
    if body is not None:
        path.write_text(body)
    with pytest.raises(InputError, match=expected):
        import_file(ready, path)


def test_wrong_encoding_and_binary_are_input_errors(ready: Settings, tmp_path: Path) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes((LONG_HEADER + "156,643,X,A,2021,8542,1,,,Türkiye\n").encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        import_file(ready, latin)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary"):
        import_file(ready, binary)


def test_utf16_with_bom_is_read(ready: Settings, tmp_path: Path) -> None:
    path = tmp_path / "synthetic_utf16.csv"
    path.write_bytes((LONG_HEADER + "156,643,X,A,2021,8542,1,,,\n").encode("utf-16"))
    assert import_file(ready, path).inserted == 1


def test_parser_matches_the_real_comtrade_response_layout(ready: Settings, tmp_path: Path) -> None:
    """The saved real API response (shared reference material, not bundled) goes through the same parser."""
    sample = ROOT.parent / "shared" / "data" / "comtrade_sample.json"
    records = json.loads(sample.read_text())["data"]
    path = tmp_path / "from_real_layout.csv"
    pd.DataFrame(records).to_csv(path, index=False)
    assert import_file(ready, path).inserted == 2
    frame = rows(ready).set_index("flow")
    assert frame.loc["M", "value_usd"] == 151580564290 and frame.loc["X", "value_usd"] == 76154045176
    assert frame.loc["X", "classification"] == "H6" and frame.loc["X", "period"] == "2023"
    assert pd.isna(frame.loc["X", "qty"]) and pd.isna(frame.loc["X", "net_weight_kg"])
