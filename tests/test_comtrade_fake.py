"""A fake UN Comtrade API on 127.0.0.1 (real HTTP), shared by the Comtrade tests, and checks that it answers like
the real one: same paths, parameters, envelope and 47-field records. Every figure it serves is SYNTHETIC."""
from __future__ import annotations

import copy
import json
import re
import threading
import time
import urllib.request
import zlib
from pathlib import Path
from typing import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from etl.settings import Settings
from tests.conftest import CASES

FIXTURES = CASES / "comtrade"
SMALL_WATCHLIST = FIXTURES / "watchlist_small.toml"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
# The 47 fields of a record, in the API's order (shared/reference/comtrade_api.md).
FIELDS = ("typeCode freqCode refPeriodId refYear refMonth period reporterCode reporterISO reporterDesc flowCode "
          "flowDesc partnerCode partnerISO partnerDesc partner2Code partner2ISO partner2Desc classificationCode "
          "classificationSearchCode isOriginalClassification cmdCode cmdDesc aggrLevel isLeaf customsCode customsDesc "
          "mosCode motCode motDesc qtyUnitCode qtyUnitAbbr qty isQtyEstimated altQtyUnitCode altQtyUnitAbbr altQty "
          "isAltQtyEstimated netWgt isNetWgtEstimated grossWgt isGrossWgtEstimated cifvalue fobvalue primaryValue "
          "legacyEstimationFlag isReported isAggregate").split()
# HS 2022 codes that did not exist before, and HS 2017 codes that no longer exist: each edition has only its own.
NEW_IN_HS2022 = {"880730", "854800", "852589", "854149", "854151", "854159"}
GONE_IN_HS2022 = {"880330", "854890", "852580", "854140", "854150"}
PATH = re.compile(r"/(public/v1/preview|data/v1/get)/C/([AM])/HS")

Handler = Callable[[Request], Response]


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def json_response(status: int, body: str) -> Handler:
    return lambda request: Response(body, status=status, content_type="application/json")


def synthetic_value(*key: object) -> float:
    """A made-up figure, the same for the same record key on every call."""
    return float(1000 + zlib.crc32("|".join(map(str, key)).encode()) % 9_000_000)


class FakeComtrade:
    """Answers like the UN Comtrade v1 API. Tests script faults for the next calls and inspect what was asked."""

    def __init__(self, server: HTTPServer, key: str = "") -> None:
        self.server = server
        self.key = key
        self.calls: list[dict[str, object]] = []
        self.faults: list[Handler | None] = []      # answers for the next calls, in order (None: a normal answer)
        self.always: Handler | None = None          # answer every call with this
        self.silent_reporters: dict[int, int] = {643: 2022}  # reporter -> first year it reported nothing
        self.withdrawn: set[tuple[int, str, str]] = set()  # (reporter, period, code) no longer reported
        self.breakdowns = 0                        # extra customs-procedure breakdown rows per record
        self.factor = 1.0                          # a revision: every figure times this
        self.hold_at: int | None = None            # call number that waits for `release`
        self.reached = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        server.expect_request(re.compile(r"/.*")).respond_with_handler(self._handle)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.calls.append({"path": request.path, "args": request.args.to_dict(), "url": request.url,
                               "headers": dict(request.headers)})
            number = len(self.calls)
            fault = self.faults.pop(0) if self.faults else None
        if number == self.hold_at:
            self.reached.set()
            self.release.wait(30)
        if self.always is not None:
            return self.always(request)
        return fault(request) if fault is not None else self.answer(request)

    def answer(self, request: Request) -> Response:
        found = PATH.fullmatch(request.path)
        if not found:
            return Response("Resource not found", status=404)
        keyed = found.group(1) == "data/v1/get"
        if keyed and request.headers.get(KEY_HEADER) != self.key:
            return json_response(401, fixture_text("invalid_key_401.json"))(request)
        args = request.args
        periods = args.get("period", "").split(",")
        if len(periods) > (12 if keyed else 1):
            return json_response(400, '{"statusCode": 400, "message": "Too many periods."}')(request)
        data = list(self.records(found.group(2), args, periods))
        cap = min(int(args.get("maxRecords", "500")), 100_000 if keyed else 500)
        data = data[:cap]
        body = {"elapsedTime": "0.01 secs", "count": len(data), "data": data, "error": ""}
        return Response(json.dumps(body), status=200, content_type="application/json")

    def records(self, freq: str, args: dict[str, str], periods: list[str]) -> Iterator[dict[str, object]]:
        split = lambda name: [v for v in args.get(name, "").split(",") if v]  # noqa: E731
        for reporter in map(int, split("reporterCode")):
            for partner in map(int, split("partnerCode")):
                for flow in split("flowCode"):
                    for period in periods:
                        for code in split("cmdCode"):
                            if self.reports(reporter, period, code):
                                yield from self.record(freq, reporter, partner, flow, period, code)

    def reports(self, reporter: int, period: str, code: str) -> bool:
        year = int(period[:4])
        if year >= self.silent_reporters.get(reporter, 9999) or (reporter, period, code) in self.withdrawn:
            return False
        return not ((code in NEW_IN_HS2022 and year < 2022) or (code in GONE_IN_HS2022 and year >= 2022))

    def record(self, freq: str, reporter: int, partner: int, flow: str, period: str,
               code: str) -> Iterator[dict[str, object]]:
        year = int(period[:4])
        value = synthetic_value(reporter, partner, flow, period, code) * self.factor
        record = copy.deepcopy(TEMPLATE)
        record.update({
            "freqCode": freq, "refPeriodId": int(period + ("0101" if freq == "A" else "01")), "refYear": year,
            "refMonth": 52 if freq == "A" else int(period[4:]), "period": period, "reporterCode": reporter,
            "flowCode": flow, "partnerCode": partner, "cmdCode": code,
            "classificationCode": "H6" if year >= 2022 else "H5" if year >= 2017 else "H4",
            "aggrLevel": 0 if code == "TOTAL" else len(code), "isLeaf": len(code) == 6,
            "qtyUnitCode": -1 if code == "TOTAL" else 8, "qtyUnitAbbr": "N/A" if code == "TOTAL" else "kg",
            "qty": 0 if code == "TOTAL" else round(value / 7), "netWgt": 0 if code == "TOTAL" else round(value / 7),
            "primaryValue": value, "cifvalue": value if flow == "M" else None, "fobvalue": value if flow == "X" else None,
            "isAggregate": code == "TOTAL",
        })
        yield record
        for n in range(self.breakdowns):  # what the API sends when it ignores customsCode=C00
            yield {**record, "customsCode": f"C0{n + 1}", "primaryValue": value / 2}

    def expected_cells(self, cells: list[tuple[str, int, int, str, str, str]]) -> set[tuple[object, ...]]:
        """The (reporter, partner, flow, freq, period, hs_code) rows a complete refresh of `cells` stores."""
        return {(r, p, f, freq, t, c) for freq, r, p, f, t, c in cells if self.reports(r, t, c)}


TEMPLATE: dict[str, object] = json.loads(fixture_text("record_template.json"))


def slow(seconds: float) -> Handler:
    """A normal answer, late."""
    def handler(request: Request) -> Response:
        time.sleep(seconds)
        return Response(json.dumps({"elapsedTime": f"{seconds} secs", "count": 0, "data": [], "error": ""}),
                        content_type="application/json")
    return handler


def small_watchlist_cells() -> list[tuple[str, int, int, str, str, str]]:
    """Every (freq, reporter, partner, flow, period, code) watchlist_small.toml asks for."""
    chips_old = ["8542", "854231", "854800", "854890"]
    chips_new = ["8542", "854231", "854800"]
    cells = []
    for freq, period in [("A", "2020"), ("A", "2021"), ("A", "2022"), ("A", "2023"),
                         ("M", "202112"), ("M", "202201"), ("M", "202202")]:
        codes = ["TOTAL"] + (chips_old if period < "2022" else chips_new)
        cells += [(freq, 156, 643, flow, period, code) for flow in ("X", "M") for code in codes]
    cells += [("A", 643, 156, flow, period, "TOTAL") for flow in ("X", "M") for period in ("2020", "2021", "2022")]
    for period in ("2021", "2022"):
        codes = chips_old if period < "2022" else chips_new
        cells += [("A", r, 643, "X", period, code) for r in (398, 417) for code in codes]
    return cells


SMALL_WATCHLIST_CALLS = 12  # keyless: one call per entry and period (7 + 3 + 2)


@pytest.fixture(scope="module")
def api_server_module() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api_server(api_server_module: HTTPServer) -> Iterator[HTTPServer]:
    """A threaded HTTP server on 127.0.0.1 (a held call must not block the others), fresh handlers per test."""
    api_server_module.clear()
    api_server_module.clear_all_handlers()
    yield api_server_module
    api_server_module.clear_all_handlers()


@pytest.fixture
def fake_api(api_server: HTTPServer) -> Iterator[FakeComtrade]:
    fake = FakeComtrade(api_server)
    yield fake
    fake.release.set()


def fast_settings(db_url: str, base: str, **overrides: object) -> Settings:
    """Settings for a refresh against the fake: no pauses, tiny backoff, the small watchlist."""
    values: dict[str, object] = {"database_url": db_url, "comtrade_api_base": base, "comtrade_min_interval_s": 0.0,
                                 "comtrade_backoff_s": 0.01, "comtrade_max_retries": 2, "comtrade_timeout_s": 5.0,
                                 "chokepoint_watchlist": str(SMALL_WATCHLIST), "chokepoint_auto_refresh": False,
                                 "chokepoint_lock_timeout_s": 5.0}
    values.update(overrides)
    return Settings.from_env(environ={}, **values)


def fast_env(cli_env: dict[str, str], base: str, **extra: str) -> dict[str, str]:
    """The same, as the environment of a `python -m etl` subprocess."""
    env = dict(cli_env)
    env.update({"COMTRADE_API_BASE": base, "COMTRADE_MIN_INTERVAL_S": "0", "COMTRADE_BACKOFF_S": "0.01",
                "COMTRADE_MAX_RETRIES": "2", "COMTRADE_TIMEOUT_S": "5", "CHOKEPOINT_WATCHLIST": str(SMALL_WATCHLIST)})
    env.update(extra)
    return env


# --- the fake answers like the real API ------------------------------------------------------------------------

def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_template_has_the_47_fields_in_the_api_order() -> None:
    assert list(TEMPLATE) == FIELDS and len(FIELDS) == 47


def test_the_fake_preview_answers_with_the_api_envelope(fake_api: FakeComtrade) -> None:
    status, body = get(fake_api.base + "/public/v1/preview/C/A/HS?reporterCode=156&partnerCode=643&period=2021"
                       "&cmdCode=TOTAL,854800,854890&flowCode=X,M&maxRecords=500")
    payload = json.loads(body)
    assert status == 200 and list(payload) == ["elapsedTime", "count", "data", "error"]
    assert payload["count"] == 4 == len(payload["data"])  # 854800 is not an HS 2017 code: nothing for 2021
    assert {r["cmdCode"] for r in payload["data"]} == {"TOTAL", "854890"}
    assert all(list(r) == FIELDS and r["classificationCode"] == "H5" for r in payload["data"])


def test_the_fake_preview_refuses_two_periods_and_the_keyed_endpoint_needs_the_key(api_server: HTTPServer) -> None:
    fake = FakeComtrade(api_server, key="SYNTHETIC-KEY")
    status, _ = get(fake.base + "/public/v1/preview/C/A/HS?reporterCode=156&partnerCode=643&period=2021,2022"
                    "&cmdCode=TOTAL&flowCode=X")
    assert status == 400
    url = fake.base + "/data/v1/get/C/A/HS?reporterCode=156&partnerCode=643&period=2021,2022&cmdCode=TOTAL&flowCode=X"
    assert get(url)[0] == 401
    status, body = get(url, {KEY_HEADER: "SYNTHETIC-KEY"})
    assert status == 200 and json.loads(body)["count"] == 2


def test_the_fake_caps_answers_at_500_records(fake_api: FakeComtrade) -> None:
    codes = ",".join(f"{8400 + i}" for i in range(300))
    status, body = get(fake_api.base + f"/public/v1/preview/C/A/HS?reporterCode=156&partnerCode=643&period=2021"
                       f"&cmdCode={codes}&flowCode=X,M&maxRecords=500")
    assert status == 200 and json.loads(body)["count"] == 500


def test_russia_reports_nothing_after_2021(fake_api: FakeComtrade) -> None:
    status, body = get(fake_api.base + "/public/v1/preview/C/A/HS?reporterCode=643&partnerCode=156&period=2022"
                       "&cmdCode=TOTAL&flowCode=X,M")
    assert status == 200 and json.loads(body) == {"elapsedTime": "0.01 secs", "count": 0, "data": [], "error": ""}


def test_small_watchlist_cells_are_consistent() -> None:
    cells = small_watchlist_cells()
    assert len(cells) == len(set(cells))
    assert Path(SMALL_WATCHLIST).is_file()
