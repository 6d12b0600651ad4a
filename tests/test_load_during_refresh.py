"""The dashboard under load while a refresh writes: 20 concurrent clients call a real callback over HTTP for the
whole refresh. Zero errors, and every answer shows each refresh unit either all old or all new, never half.
The fake API's figures are SYNTHETIC."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from typing import Any

from etl.pipeline import init_db
from etl.refresh import run_refresh
from etl.refresh_plan import Options
from tests.conftest import ROOT
from tests.test_comtrade_fake import (FakeComtrade, api_server, api_server_module, fake_api,  # noqa: F401
                                      fast_env, fast_settings, synthetic_value)

CLIENTS = 20
BLOCK = 500  # the most rows one grid request may ask for: the whole selection here
FILTERS = {"years": [2013, 2024], "freq": "A", "flow": "X", "category": None, "reporter": 156, "partner": 643}


def data_table_request(url: str) -> dict[str, Any]:
    """The Data grid's block callback as the grid calls it when the page opens (its first rows, no sort or column
    filter), with the page filters a user sets: China's exports to Russia, annual."""
    with urllib.request.urlopen(url + "/_dash-dependencies", timeout=10) as response:
        callbacks = json.load(response)
    spec = next(c for c in callbacks if "data-table.getRowsResponse" in c["output"])
    grid = {"startRow": 0, "endRow": BLOCK, "sortModel": [], "filterModel": {}}
    inputs = [{"id": i["id"], "property": i["property"], "value": grid} for i in spec["inputs"]]
    state = [{"id": json.loads(s["id"]), "property": s["property"], "value": FILTERS[json.loads(s["id"])["key"]]}
             for s in spec["state"]]
    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1]}
               for part in spec["output"].strip(".").split("...")]
    return {"output": spec["output"], "outputs": outputs, "inputs": inputs, "state": state,
            "changedPropIds": ["data-table.getRowsRequest"]}


def call(url: str, body: bytes) -> list[dict[str, Any]]:
    request = urllib.request.Request(url + "/_dash-update-component", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        answer = json.load(response)
    rows = answer["response"]["data-table"]["getRowsResponse"]["rowData"]
    assert rows  # every answer holds rows: a refresh never shows an empty table
    return rows


def factors(rows: list[dict[str, Any]]) -> dict[str, set[float]]:
    """For each period (one refresh unit here), the revision factors its figures carry."""
    seen: dict[str, set[float]] = defaultdict(set)
    for row in rows:
        base = synthetic_value(row["reporter_code"], row["partner_code"], row["flow"], row["period"], row["hs_code"])
        seen[row["period"]].add(round(row["value_usd"] / base, 6))
    return seen


def test_twenty_clients_during_a_refresh_see_no_errors_and_no_half_units(  # type: ignore[no-untyped-def]
        db_url, cli_env, fake_api: FakeComtrade, live_app_factory) -> None:
    settings = fast_settings(db_url, fake_api.base)
    init_db(settings)
    run_refresh(settings, Options())
    app = live_app_factory(dict(cli_env, DATABASE_URL=db_url))
    body = json.dumps(data_table_request(app.url)).encode()
    assert set().union(*factors(call(app.url, body)).values()) == {1.0}

    fake_api.factor = 2.0  # the source revises every figure
    fake_api.always = lambda request: (time.sleep(0.2), fake_api.answer(request))[1]
    refresh = subprocess.Popen([sys.executable, "-m", "etl", "refresh", "--full"], cwd=ROOT,
                               env=fast_env(cli_env, fake_api.base, DATABASE_URL=db_url),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    answers: list[list[dict[str, Any]]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        deadline = time.monotonic() + 90
        while refresh.poll() is None and time.monotonic() < deadline:
            try:
                rows = call(app.url, body)
                with lock:
                    answers.append(rows)
            except Exception as exc:  # noqa: BLE001 - every failure is counted, none may happen
                with lock:
                    errors.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    output = refresh.communicate(timeout=60)[0]
    assert refresh.returncode == 0, output
    print(f"{CLIENTS} clients, {len(answers)} answers, {len(errors)} errors during the refresh")
    assert errors == []
    assert len(answers) >= 100
    mixed = [f for rows in answers for f in factors(rows).values() if len(f) != 1]
    assert mixed == []
    seen = {next(iter(f)) for rows in answers for f in factors(rows).values()}
    assert seen == {1.0, 2.0}  # the load really overlapped the writes
    assert set().union(*factors(call(app.url, body)).values()) == {2.0}
