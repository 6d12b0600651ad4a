"""The dashboard's named queries against a real database seeded from a synthetic CSV (values are made up)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard import queries
from etl.load import upsert_trade
from etl.pipeline import import_file, init_db, writer_engine
from etl.settings import Settings
from etl.transform import long_to_trade
from tests.conftest import CASES

SYNTHETIC = CASES / "dashboard" / "synthetic_china_russia.csv"
SOURCE = "csv:synthetic_china_russia.csv"
BN = 1e9
CN_RU = {"reporter": 156, "partner": 643}


def seed(settings: Settings) -> None:
    init_db(settings)
    import_file(settings, SYNTHETIC)
    queries.configure(settings)


@pytest.fixture
def seeded(settings: Settings) -> Settings:
    seed(settings)
    return settings


def series(kind: str, flow: str = "X", freq: str = "A", category: str | None = None,
           start: str = "2013", end: str = "2024") -> pd.DataFrame:
    return queries.run_query("dash_category_series", kind=kind, category=category, flow=flow, freq=freq,
                             period_from=start, period_to=end, **CN_RU)


def value(frame: pd.DataFrame, category: str, period: str, column: str = "value_usd") -> float | None:
    rows = frame[(frame["category"] == category) & (frame["period"] == period)]
    assert len(rows) <= 1
    return None if rows.empty else rows[column].iloc[0]


@pytest.mark.both_backends
def test_categories_sum_exact_codes_and_missing_stays_missing(seeded: Settings) -> None:
    frame = series("dual_use")
    # 8542 alone: the CHPL subheadings 854231/854232 loaded beside it are not added to the heading.
    assert value(frame, "integrated_circuits", "2023") == pytest.approx(3.0 * BN)
    assert value(frame, "machine_tools", "2021") == pytest.approx((0.12 + 0.22) * BN)
    assert value(frame, "optics", "2024") is None  # nothing reported: no row, so a gap, not 0
    assert set(frame["source"]) == {SOURCE}
    assert frame["retrieved_at"].notna().all()


@pytest.mark.both_backends
def test_tiers_use_hs2017_predecessors_only_before_2022_and_count_them_once(seeded: Settings) -> None:
    frame = series("chpl_tier")
    # 854150 (HS 2017) maps to both 854151 and 854159 in tier 3.A: counted once, and only before 2022.
    assert value(frame, "chpl_tier_3a", "2021") == pytest.approx(0.05 * BN)
    assert value(frame, "chpl_tier_3a", "2021", "uses_predecessors") == 1
    assert value(frame, "chpl_tier_3a", "2022") == pytest.approx((0.07 + 0.03) * BN)
    assert value(frame, "chpl_tier_3a", "2022", "uses_predecessors") == 0
    assert value(frame, "chpl_tier_1", "2021") == pytest.approx(0.5 * BN)
    assert value(frame, "chpl_tier_2", "2021") is None


@pytest.mark.both_backends
def test_category_filter_and_monthly_periods(seeded: Settings) -> None:
    frame = series("chpl_tier", freq="M", category="chpl_tier_1", start="202101", end="202112")
    assert set(frame["category"]) == {"chpl_tier_1"}
    assert list(frame["period"]) == [f"2021{m:02d}" for m in range(1, 13)]
    assert frame["value_usd"].iloc[0] == pytest.approx(0.3 * BN / 12)


@pytest.mark.both_backends
def test_energy_series_keeps_weights_and_the_value_that_has_a_weight(seeded: Settings) -> None:
    frame = series("energy", flow="M")
    assert value(frame, "crude_oil", "2021") == pytest.approx(40 * BN)
    assert value(frame, "crude_oil", "2021", "net_weight_kg") == pytest.approx(80e9)
    assert value(frame, "natural_gas", "2024", "codes_reported") == 1  # 271121 not reported in 2024
    assert value(frame, "natural_gas", "2024") == pytest.approx(5 * BN)


@pytest.mark.both_backends
def test_total_flows_keep_null_values(seeded: Settings) -> None:
    frame = queries.run_query("dash_total_flows", freq="A", period_from="2019", period_to="2024", **CN_RU)
    imports = frame[frame["flow"] == "M"].set_index("period")["value_usd"]
    assert imports["2021"] == pytest.approx(80 * BN)
    assert pd.isna(imports["2024"])  # reported as blank: NULL, never 0
    monthly = queries.run_query("dash_total_flows", freq="M", period_from="202201", period_to="202212", **CN_RU)
    assert "202207" not in set(monthly[monthly["flow"] == "X"]["period"])


@pytest.mark.both_backends
def test_one_source_per_key_prefers_comtrade_and_never_adds_sources(seeded: Settings, tmp_path: Path) -> None:
    other = tmp_path / "synthetic_second.csv"
    other.write_text("reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"
                     "156,643,X,A,2023,8542,9000000000,,,\n156,643,X,A,2022,8542,7000000000,,,\n")
    import_file(seeded, other)
    frame = series("dual_use", category="integrated_circuits")
    for period, first, second in (("2023", 3.0, 9.0), ("2022", 2.4, 7.0)):
        got = value(frame, "integrated_circuits", period)
        assert got in (pytest.approx(first * BN), pytest.approx(second * BN))  # one source, never the sum
    raw = pd.DataFrame([{"reporter_code": "156", "partner_code": "643", "flow": "X", "freq": "A", "period": "2023",
                         "hs_code": "8542", "value_usd": "5000000000", "net_weight_kg": "", "qty": "", "qty_unit": ""}])
    typed, rejects = long_to_trade(raw, "comtrade", "synthetic comtrade row", "2000-01-01T00:00:00Z")
    assert not rejects
    with writer_engine(seeded).begin() as conn:
        upsert_trade(conn, typed)
    frame = series("dual_use", category="integrated_circuits")
    assert value(frame, "integrated_circuits", "2023") == pytest.approx(5 * BN)  # comtrade wins, though older
    assert value(frame, "integrated_circuits", "2023", "source") == "comtrade"


@pytest.mark.both_backends
def test_hs6_values_list_codes_under_a_heading_with_predecessors(seeded: Settings) -> None:
    frame = queries.run_query("dash_hs6_values", category="semiconductors", flow="X", freq="A",
                              period_from="2019", period_to="2024", **CN_RU)
    assert set(frame["hs_code"]) == {"854150", "854151", "854159"}
    old = frame[frame["hs_code"] == "854150"]
    assert set(old["year"]) == {"2020", "2021"} and set(old["predecessor"]) == {1}
    assert frame["description"].notna().all()
    tier = queries.run_query("dash_hs6_values", category="chpl_tier_1", flow="X", freq="M",
                             period_from="202101", period_to="202412", **CN_RU)
    row = tier[(tier["hs_code"] == "854231") & (tier["year"] == "2022")].iloc[0]
    assert row["periods"] == 11  # July 2022 is missing from the synthetic file: 11 months carry a value
    assert row["value_usd"] == pytest.approx(0.6 * BN / 12 * 11)


@pytest.mark.both_backends
def test_supplier_series_and_tiers(seeded: Settings) -> None:
    frame = queries.run_query("dash_supplier_series", partner=643, flow="X", freq="A", category=None,
                              period_from="2021", period_to="2024")
    by = frame.set_index(["reporter_code", "period"])["value_usd"]
    assert by[(156, "2021")] == pytest.approx((0.3 + 0.2 + 0.05 + 0.1 + 0.02) * BN)
    assert by[(344, "2022")] == pytest.approx(0.3 * BN)
    assert (398, "2024") not in by.index  # Kazakhstan did not report 2024: missing, not zero
    assert set(frame[frame["reporter_code"] == 344]["reporter"]) == {"Hong Kong"}
    tiers = queries.run_query("dash_supplier_tiers", partner=643, flow="X", freq="A", period_from="2023",
                              period_to="2023")
    turkey = tiers[tiers["reporter_code"] == 792].set_index("category")["value_usd"]
    assert turkey["chpl_tier_1"] == pytest.approx(0.08 * BN)
    assert turkey["chpl_tier_3b"] == pytest.approx(0.05 * BN)


@pytest.mark.both_backends
def test_trade_rows_filter_by_exact_category_and_limit(seeded: Settings) -> None:
    args = {"flow": "X", "freq": "A", "period_from": "2019", "period_to": "2024", **CN_RU}
    rows = queries.run_query("dash_trade_block", category="integrated_circuits", limit=100, offset=0, **args)
    assert set(rows["hs_code"]) == {"8542"}
    assert len(queries.run_query("dash_trade_block", category=None, limit=5, offset=0, **args)) == 5
    tier = queries.run_query("dash_trade_block", category="chpl_tier_3a", limit=100, offset=0, **args)
    assert set(zip(tier["hs_code"], tier["period"])) >= {("854150", "2021"), ("854151", "2022")}


@pytest.mark.both_backends
def test_etl_sources_count_failures(seeded: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "synthetic_bad.csv"
    bad.write_text("reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"
                   "156,643,X,A,2023,8542,lots,,,\n")
    with pytest.raises(Exception):
        import_file(seeded, bad)
    status = queries.run_query("dash_etl_sources").set_index("source")
    assert status.loc["csv:synthetic_bad.csv", "failures"] == 1
    assert status.loc["csv:synthetic_bad.csv", "last_status"] == "failed"
    assert status.loc[SOURCE, "last_status"] == "ok"
    assert int(queries.run_query("dash_trade_exists")["has_rows"].iloc[0]) == 1


@pytest.mark.both_backends
def test_empty_database_has_no_trade(settings: Settings) -> None:
    init_db(settings)
    queries.configure(settings)
    assert int(queries.run_query("dash_trade_exists")["has_rows"].iloc[0]) == 0
    assert series("dual_use").empty
    codes = queries.run_query("dash_category_codes")
    assert set(codes[codes["category"] == "natural_gas"]["hs_code"]) == {"271111", "271121"}


def test_frames_are_built_column_wise_exactly_as_pandas_builds_them_row_wise(seeded: Settings) -> None:
    from sqlalchemy import text

    from etl.queries import frame, query_text
    cases = [
        (["a", "b", "c", "d", "e"], [(1, 1.5, "x", None, 2), (2, None, None, None, 2.5), (3, 2.0, "ü", None, None)]),
        (["n"], [(None,), (None,)]),
        (["a", "b"], []),
        (["same", "same"], [(1, 2)]),  # duplicate names: the row-wise constructor answers
    ]
    with queries.engine().connect() as conn:  # a real selection: text, integers, NULL measures
        result = conn.execute(text(query_text("dash_trade_block")),
                              {"limit": 5000, "offset": 0, "reporter": 156, "partner": 643, "flow": "X", "freq": "A",
                               "category": None, "period_from": "2013", "period_to": "2024"})
        cases.append((list(result.keys()), result.fetchall()))
    assert len(cases[-1][1]) > 10
    for columns, rows in cases:
        pd.testing.assert_frame_equal(frame(columns, rows), pd.DataFrame(rows, columns=columns))
