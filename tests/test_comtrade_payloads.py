"""Malformed API payloads: each gets one clear error naming the query, or — for bad records inside a good
envelope — exactly the good records load and the rest are counted. The fake API's figures are SYNTHETIC."""
from __future__ import annotations

import json

import pytest
from werkzeug import Request, Response

from etl.errors import SourceError
from etl.pipeline import init_db
from etl.refresh import run_refresh
from etl.refresh_plan import Options
from etl.sources.comtrade import ComtradeClient, Query
from tests.test_comtrade_fake import (FakeComtrade, api_server, api_server_module, fake_api,  # noqa: F401
                                      fast_settings, json_response)
from tests.test_refresh import rows

QUERY = Query("A", (156,), (643,), ("X",), ("2021",), ("TOTAL",))


def fetch(fake: FakeComtrade) -> list[dict[str, object]]:
    return ComtradeClient(fast_settings("sqlite://", fake.base, comtrade_max_retries=1)).fetch(QUERY)


@pytest.mark.parametrize(("body", "reason"), [
    ('{"elapsedTime": "0 secs", "count": 1, "data": {"period": "2021"}, "error": ""}',
     "answered JSON without a data list"),
    ('{"elapsedTime": "0 secs", "count": 2, "data": [1, 2], "error": ""}',
     "answered a data list that does not hold records"),
    ('["not", "an", "envelope"]', "answered JSON without a data list"),
])
def test_an_envelope_of_the_wrong_shape_is_an_error_naming_the_query(fake_api: FakeComtrade, body: str,
                                                                     reason: str) -> None:
    fake_api.always = json_response(200, body)
    with pytest.raises(SourceError, match=reason + r".* for /public/v1/preview/C/A/HS\?reporterCode=156"):
        fetch(fake_api)
    assert len(fake_api.calls) == 2  # asked once more (a proxy may have mangled it), then named


def test_a_count_that_does_not_match_the_records_is_never_stored_as_complete(fake_api: FakeComtrade) -> None:
    def short_answer(request: Request) -> Response:
        normal = json.loads(fake_api.answer(request).get_data(as_text=True))
        normal["count"] = len(normal["data"]) + 3
        return Response(json.dumps(normal), content_type="application/json")

    fake_api.always = short_answer
    with pytest.raises(SourceError, match=r"answered count 4 but 1 records \(cut short\?\)"):
        fetch(fake_api)


def test_records_with_wrong_field_types_are_rejected_and_the_rest_load(db_url: str, fake_api: FakeComtrade) -> None:
    def mangled(request: Request) -> Response:
        normal = json.loads(fake_api.answer(request).get_data(as_text=True))
        for record in normal["data"]:
            if record["cmdCode"] == "8542":
                record["primaryValue"] = "a lot"       # text where a number belongs
            if record["cmdCode"] == "854231":
                record["reporterCode"] = "CHN"         # an ISO code where the numeric code belongs
        return Response(json.dumps(normal), content_type="application/json")

    fake_api.always = mangled
    settings = fast_settings(db_url, fake_api.base)
    init_db(settings)
    run_refresh(settings, Options(only="china_russia", since="2023"))
    stored = {code for (code,) in rows(db_url, "SELECT DISTINCT hs_code FROM trade_flow")}
    assert stored == {"TOTAL", "854800"}
    status, inserted, _updated, rejected = rows(
        db_url, "SELECT status, rows_inserted, rows_updated, rows_rejected FROM etl_run WHERE source = 'comtrade'")[0]
    assert inserted == len(rows(db_url, "SELECT 1 FROM trade_flow")) and rejected > 0
    assert status in {"ok", "partial"}
