"""The refresh, in-process, against the fake UN Comtrade API on 127.0.0.1: what it stores, what it asks for again,
and how it stops. Every figure the fake serves is SYNTHETIC and lives only in the test's temporary database."""
from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from etl.errors import InputError, SourceError
from etl.refresh import run_refresh, start_first_refresh
from etl.refresh_plan import Options, load_watchlist, needed, plan_calls, watchlist_units
from etl.sources.comtrade import ComtradeClient, QuotaExceeded
from tests.test_comtrade_fake import (SMALL_WATCHLIST_CALLS, FakeComtrade, api_server,  # noqa: F401
                                      api_server_module, fake_api, fast_settings, fixture_text, json_response,
                                      small_watchlist_cells, synthetic_value)


def rows(db_url: str, sql: str) -> list[tuple]:
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql).fetchall()


def trade(db_url: str) -> set[tuple]:
    return set(rows(db_url, "SELECT source, reporter_code, partner_code, flow, freq, period, classification, hs_code, "
                            "value_usd, net_weight_kg, qty, qty_unit, source_ref, retrieved_at FROM trade_flow"))


def trade_keys(db_url: str) -> set[tuple]:
    return set(rows(db_url, "SELECT reporter_code, partner_code, flow, freq, period, hs_code FROM trade_flow "
                            "WHERE source = 'comtrade'"))


def runs(db_url: str) -> list[tuple]:
    return rows(db_url, "SELECT status, rows_inserted, rows_updated, message FROM etl_run WHERE source = 'comtrade' "
                        "ORDER BY id")


def version(db_url: str) -> int:
    return rows(db_url, "SELECT version FROM data_version")[0][0]


def test_a_first_refresh_stores_every_reported_cell_and_records_empty_answers(db_url: str,
                                                                               fake_api: FakeComtrade) -> None:
    progress = run_refresh(fast_settings(db_url, fake_api.base), Options())
    expected = fake_api.expected_cells(small_watchlist_cells())
    assert trade_keys(db_url) == expected and len(expected) == 72
    assert progress.calls_done == SMALL_WATCHLIST_CALLS == len(fake_api.calls) and progress.inserted == 72
    # Russia reported nothing for 2022: coverage says so, and no row (let alone a zero) is stored.
    assert rows(db_url, "SELECT flow, records, status FROM coverage WHERE reporter_code = 643 AND period = '2022' "
                        "ORDER BY flow") == [("M", 0, "empty"), ("X", 0, "empty")]
    assert rows(db_url, "SELECT COUNT(*) FROM trade_flow WHERE reporter_code = 643 AND period = '2022'") == [(0,)]
    # Before HS 2022 the predecessor 854890 is fetched with 854800; each edition's rows say which it is.
    assert rows(db_url, "SELECT DISTINCT period, classification FROM trade_flow WHERE hs_code = '854890' "
                        "AND reporter_code = 156 ORDER BY period") == [("2020", "H5"), ("2021", "H5"), ("202112", "H5")]
    assert rows(db_url, "SELECT DISTINCT classification FROM trade_flow WHERE hs_code = '854800'") == [("H6",)]
    assert runs(db_url) == [("ok", 72, 0, "12 calls, 72 records: 72 rows inserted, 0 updated, 0 removed, "
                                          "0 rejected; 2 empty answers; 0 retries")]
    assert rows(db_url, "SELECT status, calls_done, calls_planned, rows_written, retries FROM refresh_state") == [
        ("ok", 12, 12, 72, 0)]


def test_rows_carry_the_query_that_produced_them(db_url: str, fake_api: FakeComtrade) -> None:
    run_refresh(fast_settings(db_url, fake_api.base), Options(only="russia_mirror"))
    refs = rows(db_url, "SELECT DISTINCT period, source_ref FROM trade_flow ORDER BY period")
    assert refs == [(p, "/public/v1/preview/C/A/HS?reporterCode=643&partnerCode=156&partner2Code=0&period="
                        f"{p}&cmdCode=TOTAL&flowCode=X,M&customsCode=C00&motCode=0&breakdownMode=classic"
                        "&maxRecords=500&format=JSON") for p in ("2020", "2021")]
    assert all(len(call["args"]["period"].split(",")) == 1 for call in fake_api.calls)  # the preview: one period


def test_a_rerun_changes_nothing_and_full_refetches_without_changing_anything(db_url: str,
                                                                              fake_api: FakeComtrade) -> None:
    settings = fast_settings(db_url, fake_api.base)
    run_refresh(settings, Options())
    before, before_version, calls = trade(db_url), version(db_url), len(fake_api.calls)
    again = run_refresh(settings, Options())
    assert again.calls_planned == 0 and len(fake_api.calls) == calls  # old periods are settled: no call at all
    assert trade(db_url) == before and version(db_url) == before_version
    full = run_refresh(settings, Options(full=True))
    assert full.calls_done == SMALL_WATCHLIST_CALLS and (full.inserted, full.updated, full.removed) == (0, 0, 0)
    assert trade(db_url) == before and version(db_url) == before_version  # same figures keep their retrieval
    assert [r[:3] for r in runs(db_url)] == [("ok", 72, 0), ("ok", 0, 0), ("ok", 0, 0)]
    assert "up to date" in runs(db_url)[1][3]


def test_periods_inside_the_revision_window_are_fetched_again(db_url: str, fake_api: FakeComtrade) -> None:
    # With a window of 100 years every period is still 'recent': an incremental refresh asks for all of them.
    settings = fast_settings(db_url, fake_api.base, comtrade_revision_months=1200)
    run_refresh(settings, Options(only="suppliers"))
    fake_api.factor = 2.0  # the reporters revised every figure
    revised = run_refresh(settings, Options(only="suppliers"))
    assert revised.calls_done == 2 and (revised.inserted, revised.updated) == (0, 12)
    value = rows(db_url, "SELECT value_usd FROM trade_flow WHERE reporter_code = 398 AND period = '2022' "
                         "AND hs_code = '8542'")
    assert value == [(2.0 * synthetic_value(398, 643, "X", "2022", "8542"),)]  # the stored figure is the revised one
    assert runs(db_url)[1][:3] == ("ok", 0, 12)


def test_only_and_since_narrow_the_refresh_and_withdrawn_rows_are_removed(db_url: str,
                                                                           fake_api: FakeComtrade) -> None:
    settings = fast_settings(db_url, fake_api.base)
    run_refresh(settings, Options())
    fake_api.withdrawn = {(156, "2023", "8542")}
    before = version(db_url)
    progress = run_refresh(settings, Options(full=True, only="china_russia", since="2023"))
    assert [c["args"]["period"] for c in fake_api.calls[SMALL_WATCHLIST_CALLS:]] == ["2023"]
    assert progress.removed == 2 and version(db_url) > before
    assert rows(db_url, "SELECT COUNT(*) FROM trade_flow WHERE period = '2023' AND hs_code = '8542'") == [(0,)]
    assert rows(db_url, "SELECT COUNT(*) FROM trade_flow") == [(70,)]


def test_bad_options_are_explained(db_url: str, fake_api: FakeComtrade) -> None:
    settings = fast_settings(db_url, fake_api.base)
    with pytest.raises(InputError, match="no query named 'nope'.*china_russia, russia_mirror, suppliers"):
        run_refresh(settings, Options(only="nope"))
    with pytest.raises(InputError, match="--since 2023-01: expected a period"):
        run_refresh(settings, Options(since="2023-01"))
    assert fake_api.calls == []
    # The mistyped --only is in the run history, but the dashboard's refresh status is left alone.
    assert rows(db_url, "SELECT COUNT(*) FROM refresh_state") == [(0,)] and runs(db_url)[0][0] == "failed"


def test_an_answer_at_the_cap_is_split_until_nothing_is_truncated(db_url: str, fake_api: FakeComtrade) -> None:
    # The API ignores customsCode here and sends 70 breakdown rows per record: 8 records become 568, over the cap.
    fake_api.breakdowns = 70
    progress = run_refresh(fast_settings(db_url, fake_api.base), Options(only="china_russia", since="2023"))
    asked = [(c["args"]["cmdCode"], c["args"]["flowCode"]) for c in fake_api.calls]
    assert asked == [("TOTAL,8542,854231,854800", "X,M"), ("TOTAL,8542", "X,M"), ("854231,854800", "X,M")]
    assert progress.calls_planned == progress.calls_done == 2
    assert trade_keys(db_url) == {k for k in fake_api.expected_cells(small_watchlist_cells()) if k[4] == "2023"}
    assert rows(db_url, "SELECT COUNT(*) FROM coverage WHERE period = '2023'") == [(4,)]  # the halves replaced nothing


def test_a_quota_403_stops_the_refresh_and_a_rerun_fetches_only_the_rest(db_url: str,
                                                                        fake_api: FakeComtrade) -> None:
    settings = fast_settings(db_url, fake_api.base)
    fake_api.faults = [None, None, None, json_response(403, fixture_text("quota_403.json"))]
    with pytest.raises(QuotaExceeded, match=r"refills in 00:00:07 \(about 20\d\d-.*run `python -m etl refresh` "
                                            r"again after that") as raised:
        run_refresh(settings, Options())
    assert raised.value.refills_at is not None and len(fake_api.calls) == 4  # no call after the 403
    state = rows(db_url, "SELECT status, calls_done, calls_planned, message FROM refresh_state")[0]
    assert state[:3] == ("partial", 3, 12) and "quota" in state[3]
    assert runs(db_url)[0][:2] == ("partial", 24)
    resumed = run_refresh(settings, Options())
    assert resumed.calls_done == 9 and len(fake_api.calls) == 4 + 9
    assert trade_keys(db_url) == fake_api.expected_cells(small_watchlist_cells())


def test_unreachable_api_fails_with_a_message_the_dashboard_can_show(db_url: str) -> None:
    settings = fast_settings(db_url, "http://127.0.0.1:9", comtrade_max_retries=1)
    with pytest.raises(SourceError, match=r"Cannot reach UN Comtrade at http://127.0.0.1:9: Connection refused "
                                          r"\(2 attempts\)\. HS-level data needs a refresh: run `python -m etl "
                                          r"refresh`"):
        run_refresh(settings, Options())
    state = rows(db_url, "SELECT status, calls_done, retries, message FROM refresh_state")[0]
    assert state[:3] == ("failed", 0, 1) and "run `python -m etl refresh`" in state[3]
    assert runs(db_url)[0][0] == "failed"


def test_first_start_only_when_enabled_and_the_database_has_no_comtrade_data(db_url: str,
                                                                             fake_api: FakeComtrade) -> None:
    from etl.pipeline import init_db

    settings = fast_settings(db_url, fake_api.base)
    init_db(settings)
    assert start_first_refresh(settings) is False  # CHOKEPOINT_AUTO_REFRESH=0
    run_refresh(settings, Options(only="russia_mirror"))
    assert start_first_refresh(fast_settings(db_url, fake_api.base, chokepoint_auto_refresh=True)) is False


def test_the_bundled_watchlist_plans_one_period_per_keyless_call_and_twelve_with_a_key() -> None:
    from etl.refresh_plan import WATCHLIST_PATH
    from etl.settings import Settings

    watchlist = load_watchlist(WATCHLIST_PATH)
    units = list(watchlist_units(watchlist, Options(), date(2026, 11, 25)))
    plans = {}
    for key in ("", "SYNTHETIC-KEY"):
        client = ComtradeClient(Settings.from_env(environ={"COMTRADE_API_KEY": key}))
        plans[key] = plan_calls(needed(units, {}, Options(), 12), client.fits, client.max_periods)
    # china_russia and suppliers: 11 years + 70 months each; russia_mirror: 7 years + 12 months;
    # china_energy_world: 11 years.
    assert len(plans[""]) == 2 * (11 + 70) + (7 + 12) + 11
    assert all(len(q.periods) == 1 and q.size < 500 for q in plans[""])
    assert len(plans["SYNTHETIC-KEY"]) < 20 and max(len(q.periods) for q in plans["SYNTHETIC-KEY"]) == 12
    cells = {(u.cell, c) for u in units for c in u.codes}
    assert cells == {((q.freq, r, p, f, t), c) for q in plans[""] for r in q.reporters for p in q.partners
                     for f in q.flows for t in q.periods for c in q.codes}


def scalar(db_url: str, sql: str) -> object:
    from etl.db import make_engine

    engine = make_engine(db_url, read_only=True)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(sql).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.both_backends
def test_refresh_writes_are_portable(db_url: str, fake_api: FakeComtrade) -> None:
    settings = fast_settings(db_url, fake_api.base)
    first = run_refresh(settings, Options(only="china_russia", since="2022"))
    assert (first.calls_done, first.inserted) == (4, 32) and first.empty_cells == 0
    again = run_refresh(settings, Options(full=True, only="china_russia", since="2022"))
    assert (again.inserted, again.updated, again.removed) == (0, 0, 0)
    fake_api.withdrawn = {(156, "2023", "8542")}
    fake_api.breakdowns = 90  # the 2023 answer now reaches the cap and is split
    revised = run_refresh(settings, Options(full=True, only="china_russia", since="2023"))
    assert revised.removed == 2 and revised.calls_done == 2
    assert scalar(db_url, "SELECT COUNT(*) FROM trade_flow WHERE source = 'comtrade'") == 30
    # Each half's coverage rows say what its codes returned, beside the earlier rows for the whole code set.
    assert scalar(db_url, "SELECT COUNT(*) FROM coverage WHERE period = '2023'") == 6
    assert scalar(db_url, "SELECT status FROM refresh_state WHERE id = 1") == "ok"
    assert scalar(db_url, "SELECT COUNT(*) FROM etl_run WHERE source = 'comtrade' AND status = 'ok'") == 3
