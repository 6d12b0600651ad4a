"""The Comtrade client against the fake API on 127.0.0.1: faults seen in the wild, each answered the right way.
The figures the fake serves are SYNTHETIC."""
from __future__ import annotations

import pytest

from etl.errors import SourceError
from etl.refresh import run_refresh
from etl.refresh_plan import Options
from etl.sources.comtrade import ComtradeClient, KeyRejected, QuotaExceeded, Query
from tests.test_comtrade_fake import (KEY_HEADER, FakeComtrade, api_server, api_server_module,  # noqa: F401
                                      fake_api, fast_settings, fixture_text, json_response, slow)
from tests.test_refresh import rows, runs

QUERY = Query("A", (156,), (643,), ("X", "M"), ("2021",), ("TOTAL", "854890"))


def client(fake: FakeComtrade, db_url: str = "sqlite://", **overrides: object) -> tuple[ComtradeClient, list]:
    retries: list[tuple[str, float]] = []
    settings = fast_settings(db_url, fake.base, **overrides)
    return ComtradeClient(settings, on_retry=lambda reason, wait: retries.append((reason, wait))), retries


def test_a_keyless_call_asks_the_preview_for_one_period_without_a_key(fake_api: FakeComtrade) -> None:
    records = client(fake_api)[0].fetch(QUERY)
    assert len(records) == 4 and {r["cmdCode"] for r in records} == {"TOTAL", "854890"}
    call = fake_api.calls[0]
    assert call["path"] == "/public/v1/preview/C/A/HS" and KEY_HEADER not in call["headers"]
    assert call["args"] == {"reporterCode": "156", "partnerCode": "643", "partner2Code": "0", "period": "2021",
                            "cmdCode": "TOTAL,854890", "flowCode": "X,M", "customsCode": "C00", "motCode": "0",
                            "breakdownMode": "classic", "maxRecords": "500", "format": "JSON"}


def test_a_429_waits_as_long_as_the_body_says_then_retries(fake_api: FakeComtrade) -> None:
    fake_api.faults = [json_response(429, fixture_text("rate_limit_429.json"))]
    api, retries = client(fake_api)
    assert len(api.fetch(QUERY)) == 4
    assert retries == [("is rate limiting (HTTP 429)", 1.0)] and len(fake_api.calls) == 2


def test_a_500_is_retried_with_backoff(fake_api: FakeComtrade) -> None:
    fake_api.faults = [json_response(500, '{"statusCode": 500, "message": "Internal server error"}'),
                       json_response(503, "Service Unavailable")]
    api, retries = client(fake_api, comtrade_backoff_s=0.02)
    assert len(api.fetch(QUERY)) == 4
    assert [wait for _, wait in retries] == [0.02, 0.04]  # doubles on each retry
    assert retries[0][0] == "failed with HTTP 500 (Internal server error)"


def test_a_timeout_is_retried_and_then_named(fake_api: FakeComtrade) -> None:
    fake_api.faults = [slow(0.6)]
    api, retries = client(fake_api, comtrade_timeout_s=0.2)
    assert len(api.fetch(QUERY)) == 4 and retries[0][0] == "gave no answer within 0.2 s (COMTRADE_TIMEOUT_S)"
    fake_api.faults = [slow(0.6)] * 3
    with pytest.raises(SourceError, match=r"UN Comtrade gave no answer within 0.2 s \(COMTRADE_TIMEOUT_S\) for "
                                          r"/public/v1/preview/C/A/HS\?reporterCode=156.* \(3 attempts\)"):
        api.fetch(QUERY)


def test_a_401_stops_with_a_message_about_the_key(api_server) -> None:  # type: ignore[no-untyped-def]
    fake = FakeComtrade(api_server, key="SYNTHETIC-RIGHT-KEY")
    api, _ = client(fake, comtrade_api_key="SYNTHETIC-WRONG-KEY")
    with pytest.raises(KeyRejected, match=r"refused the subscription key \(HTTP 401: Access denied due to invalid "
                                          r"subscription key.*\)\. Check COMTRADE_API_KEY") as raised:
        api.fetch(QUERY)
    assert "SYNTHETIC-WRONG-KEY" not in str(raised.value) and len(fake.calls) == 1  # no retry
    assert fake.calls[0]["path"] == "/data/v1/get/C/A/HS"


def test_a_403_quota_says_when_it_refills(fake_api: FakeComtrade) -> None:
    fake_api.faults = [json_response(403, fixture_text("quota_403.json"))]
    with pytest.raises(QuotaExceeded, match=r"call quota is used up \(HTTP 403: Out of call volume quota\. Quota will "
                                            r"be replenished in 00:00:07\.\)\. It refills in 00:00:07 \(about "
                                            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)") as raised:
        client(fake_api)[0].fetch(QUERY)
    assert raised.value.refills_at and len(fake_api.calls) == 1


def test_an_html_page_with_status_200_is_an_error_naming_the_query(fake_api: FakeComtrade) -> None:
    page = fixture_text("maintenance.html")
    fake_api.always = lambda request: json_response(200, page)(request)
    with pytest.raises(SourceError, match=r"UN Comtrade answered an HTML page instead of JSON, starting 'Service "
                                          r"Unavailable The service is temporarily.*' for /public/v1/preview/C/A/HS"
                                          r"\?reporterCode=156&partnerCode=643&partner2Code=0&period=2021"):
        client(fake_api)[0].fetch(QUERY)
    assert len(fake_api.calls) == 3  # it may be a passing proxy fault: asked again, then named


def test_truncated_json_is_an_error_naming_the_query(fake_api: FakeComtrade) -> None:
    fake_api.always = json_response(200, fixture_text("truncated.json"))
    with pytest.raises(SourceError, match=r"answered malformed JSON \(cut short\?\) instead of JSON, starting "
                                          r"'\{\"elapsedTime\".*' for /public/v1/preview/C/A/HS\?.*cmdCode=TOTAL,"
                                          r"854890"):
        client(fake_api, comtrade_max_retries=0)[0].fetch(QUERY)


def test_an_error_field_in_the_envelope_is_not_mistaken_for_no_data(fake_api: FakeComtrade) -> None:
    fake_api.faults = [json_response(200, '{"elapsedTime": "0 secs", "count": 0, "data": [], '
                                          '"error": "All calls are rejected by policy."}')]
    with pytest.raises(SourceError, match="answered with an error: All calls are rejected by policy"):
        client(fake_api)[0].fetch(QUERY)


def test_an_empty_200_is_coverage_not_zero(db_url: str, fake_api: FakeComtrade) -> None:
    fake_api.silent_reporters = {156: 2000, 643: 2000}  # nobody reports anything
    run_refresh(fast_settings(db_url, fake_api.base), Options(only="china_russia", since="2023"))
    assert rows(db_url, "SELECT COUNT(*) FROM trade_flow") == [(0,)]
    assert rows(db_url, "SELECT flow, period, hs_codes, records, status FROM coverage ORDER BY flow") == [
        ("M", "2023", "TOTAL,8542,854231,854800", 0, "empty"), ("X", "2023", "TOTAL,8542,854231,854800", 0, "empty")]
    assert runs(db_url)[0][:3] == ("ok", 0, 0)


def test_the_keyed_endpoint_sends_the_key_as_a_header_and_asks_up_to_12_periods(api_server) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    fake = FakeComtrade(api_server, key="SYNTHETIC-KEY-7f3a")
    api, _ = client(fake, comtrade_api_key="SYNTHETIC-KEY-7f3a")
    query = Query("M", (156,), (643,), ("X",), tuple(f"2021{m:02d}" for m in range(1, 13)), ("TOTAL",))
    assert api.fits(query) and len(api.fetch(query)) == 12
    call = fake.calls[0]
    assert call["headers"][KEY_HEADER] == "SYNTHETIC-KEY-7f3a" and "SYNTHETIC-KEY" not in call["url"]
    assert call["args"]["maxRecords"] == "100000" and "SYNTHETIC" not in api.source_ref(query)


def test_a_query_that_cannot_be_split_below_the_cap_is_refused_clearly(fake_api: FakeComtrade) -> None:
    fake_api.breakdowns = 600
    single = Query("A", (156,), (643,), ("X",), ("2021",), ("TOTAL",))
    with pytest.raises(SourceError, match="returned 500 records, its cap, for .* which cannot be split further"):
        list(client(fake_api)[0].fetch_all(single))
