"""The dashboard's cached reads: answers kept per data version and dropped by every load, each caller with its own
copy; and the one query the Suppliers page now asks, checked against the two it replaces. Values are synthetic."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard import queries
from dashboard.filters import EVERY_PERIOD, Filters
from etl.db import bump_data_version
from etl.pipeline import import_file, init_db, writer_engine
from etl.settings import Settings
from tests.conftest import CASES

SYNTHETIC = CASES / "dashboard" / "synthetic_china_russia.csv"
HEADER = "reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"
IC_2023 = {"kind": "dual_use", "category": "integrated_circuits", "reporter": 156, "partner": 643, "flow": "X",
           "freq": "A", **EVERY_PERIOD}


@pytest.fixture
def seeded(settings: Settings) -> Settings:
    init_db(settings)
    import_file(settings, SYNTHETIC)
    queries.configure(settings)
    return settings


def value_in(frame: pd.DataFrame, period: str = "2023") -> float:
    return float(frame.loc[frame["period"] == period, "value_usd"].iloc[0])


def test_an_import_invalidates_the_cached_answer(seeded: Settings, tmp_path: Path) -> None:
    before = queries.cached_query("dash_category_series", **IC_2023)
    assert "2012" not in set(before["period"])
    newer = tmp_path / "synthetic_newer.csv"
    newer.write_text(HEADER + "156,643,X,A,2012,8542,9000000000,,,\n")
    import_file(seeded, newer)
    assert value_in(queries.cached_query("dash_category_series", **IC_2023), "2012") == pytest.approx(9e9)


def test_the_cache_answers_until_the_version_moves(seeded: Settings) -> None:
    assert value_in(queries.cached_query("dash_category_series", **IC_2023)) == pytest.approx(3e9)
    with writer_engine(seeded).begin() as conn:  # a write that does not bump the version, as no load does
        conn.exec_driver_sql("UPDATE trade_flow SET value_usd = 7e9 WHERE hs_code = '8542' AND period = '2023' "
                             "AND flow = 'X' AND freq = 'A'")
    assert value_in(queries.cached_query("dash_category_series", **IC_2023)) == pytest.approx(3e9)  # from memory
    assert value_in(queries.run_query("dash_category_series", **IC_2023)) == pytest.approx(7e9)
    with writer_engine(seeded).begin() as conn:
        bump_data_version(conn)
    assert value_in(queries.cached_query("dash_category_series", **IC_2023)) == pytest.approx(7e9)


def test_each_caller_gets_its_own_copy(seeded: Settings) -> None:
    first = queries.cached_query("dash_category_series", **IC_2023)
    first["value_usd"] = 0.0
    assert value_in(queries.cached_query("dash_category_series", **IC_2023)) == pytest.approx(3e9)


def test_rows_as_records_are_cached_per_version_and_each_caller_gets_its_own(seeded: Settings) -> None:
    params = {"reporter": 156, "partner": 643, "flow": "X", "freq": "A", "category": None,
              "period_from": "2023", "period_to": "2023", "limit": 100, "offset": 0}
    first = queries.cached_records("dash_trade_block", **params)
    expected = queries.run_query("dash_trade_block", **params)
    assert [r["hs_code"] for r in first] == expected["hs_code"].tolist() and first
    assert all(r["net_weight_kg"] is None for r in first)  # the file reports no weights: missing, never NaN or 0
    first[0]["value_usd"] = 0.0
    with writer_engine(seeded).begin() as conn:  # a write that does not bump the version, as no load does
        conn.exec_driver_sql("UPDATE trade_flow SET value_usd = 7e9 WHERE period = '2023' AND flow = 'X'")
    again = queries.cached_records("dash_trade_block", **params)
    assert again[0]["value_usd"] == expected["value_usd"].iloc[0]  # from memory, and not the caller's change
    with writer_engine(seeded).begin() as conn:
        bump_data_version(conn)
    assert {r["value_usd"] for r in queries.cached_records("dash_trade_block", **params)} == {7e9}


def test_another_database_never_sees_the_first_ones_answers(seeded: Settings, tmp_path: Path) -> None:
    assert not queries.cached_query("dash_category_series", **IC_2023).empty
    other = Settings.from_env(environ={}, database_url=f"sqlite:///{tmp_path / 'other.db'}")
    init_db(other)  # the same data version number, no trade rows
    queries.configure(other)
    assert queries.cached_query("dash_category_series", **IC_2023).empty


def test_refresh_progress_is_never_cached(seeded: Settings) -> None:
    assert queries.cached_query("refresh_progress").empty
    with writer_engine(seeded).begin() as conn:  # the refresh writes its progress without a version bump
        conn.exec_driver_sql("INSERT INTO refresh_state (id, status, started_at, updated_at) "
                             "VALUES (1, 'running', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
    assert list(queries.cached_query("refresh_progress")["status"]) == ["running"]


def test_within_cuts_a_whole_range_answer_to_the_years_shown() -> None:
    frame = pd.DataFrame({"period": ["2018", "2019", "2024", "2025"], "year": ["2018", "2019", "2024", "2025"]})
    assert list(Filters(start=2019, end=2024).within(frame)["period"]) == ["2019", "2024"]
    monthly = pd.DataFrame({"period": ["201812", "201901", "202412", "202501"]})
    assert list(Filters(start=2019, end=2024, freq="M").within(monthly)["period"]) == ["201901", "202412"]
    assert list(Filters(start=2019, end=2024, freq="M").within(frame, "year")["year"]) == ["2019", "2024"]


@pytest.mark.both_backends
def test_supplier_tier_series_agrees_with_the_series_and_tier_queries(seeded: Settings) -> None:
    rows = queries.run_query("dash_supplier_tier_series", partner=643, flow="X", freq="A", **EVERY_PERIOD)
    every = rows[rows["category"].isna()].set_index(["reporter_code", "period"])["value_usd"].sort_index()
    series = queries.run_query("dash_supplier_series", partner=643, flow="X", freq="A", category=None, **EVERY_PERIOD)
    assert every.to_dict() == pytest.approx(series.set_index(["reporter_code", "period"])["value_usd"].to_dict())
    tier_1 = rows[rows["category"] == "chpl_tier_1"].set_index(["reporter_code", "period"])["value_usd"]
    one = queries.run_query("dash_supplier_series", partner=643, flow="X", freq="A", category="chpl_tier_1",
                            **EVERY_PERIOD)
    assert tier_1.to_dict() == pytest.approx(one.set_index(["reporter_code", "period"])["value_usd"].to_dict())
    in_2023 = rows[rows["category"].notna() & (rows["period"] == "2023")]
    tiers = queries.run_query("dash_supplier_tiers", partner=643, flow="X", freq="A", period_from="2023",
                              period_to="2023")
    assert in_2023.set_index(["reporter_code", "category"])["value_usd"].to_dict() == pytest.approx(
        tiers.set_index(["reporter_code", "category"])["value_usd"].to_dict())


def _verdict_of_240bn(article_id: str) -> str:
    from dashboard.article.checked import checked
    done = checked(article_id)
    assert done is not None
    return next(e["verdict"] for e in done.entries.values() if "240 billion" in e["text"])


def test_article_verdicts_are_kept_until_the_version_moves(seeded: Settings) -> None:
    article_id = str(queries.run_query("article_list")["id"].iloc[0])
    assert _verdict_of_240bn(article_id) == "supported"
    with writer_engine(seeded).begin() as conn:  # a headline revision, first without a version bump
        conn.exec_driver_sql("UPDATE headline_trade SET value_usd = value_usd * 1.2 WHERE year = 2023")
    assert _verdict_of_240bn(article_id) == "supported"  # the checked article, from memory
    with writer_engine(seeded).begin() as conn:
        bump_data_version(conn)
    assert _verdict_of_240bn(article_id) == "contradicted"


def test_filter_frames_are_kept_per_version_and_never_evict_a_built_view(seeded: Settings) -> None:
    built: list[object] = []

    def build(tag: object) -> object:
        built.append(tag)
        return tag

    assert queries.per_version("article view", lambda: build("view")) == "view"
    last = queries.FRAME_ENTRIES + 4
    for choice in range(last + 1):  # more filter choices than the frames kept
        assert queries.per_filters(("years", choice), lambda choice=choice: build(choice)) == choice
    assert queries.per_version("article view", lambda: build("view again")) == "view"  # still kept
    assert queries.per_filters(("years", last), lambda: build("again")) == last  # the latest: from memory
    assert queries.per_filters(("years", 0), lambda: build("rebuilt")) == "rebuilt"  # the oldest was dropped
    with writer_engine(seeded).begin() as conn:
        bump_data_version(conn)
    assert queries.per_filters(("years", last), lambda: build("new data")) == "new data"
    assert "view again" not in built and "again" not in built
