"""GET /download/trade.csv, the Data page's CSV, through the real app's Flask server on a real SQLite file: the same
rows as the CLI export and the grid, the headers a download needs, and HTTP 400 for anything the page never sends.
Figures are SYNTHETIC."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import dash
import pytest

from dashboard import create_app, data_rows, ids
from etl.pipeline import import_file
from etl.settings import Settings
from tests.conftest import ROOT
from tests.test_data_grid import ANNUAL_X, as_csv, grid_db, python_view, reference_selection  # noqa: F401

FILTERS = "from=2019&to=2024&freq=A&flow=X&reporter=156&partner=643"


@pytest.fixture
def client(grid_db: Path, settings: Settings):  # type: ignore[no-untyped-def]  # noqa: F811
    return create_app(settings).server.test_client()


def view_param(sort: list[tuple[str, str]], **filters: dict[str, object]) -> str:
    model = {"sortModel": [{"colId": c, "sort": d} for c, d in sort], "filterModel": filters}
    return "&view=" + quote(json.dumps(model))


def test_plain_download_is_the_selection_as_the_cli_exports_it(client, grid_db: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    response = client.get(f"{data_rows.CSV_PATH}?{FILTERS}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="chokepoint_trade.csv"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the app's security headers apply here too
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    text = response.get_data(as_text=True)
    assert text == as_csv(reference_selection(grid_db))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMTRADE_", "CHOKEPOINT_", "DATABASE_"))}
    cli = subprocess.run([sys.executable, "-m", "etl", "export", "--out", "-", "--reporter", "156", "--partner", "643",
                          "--flow", "X", "--freq", "A", "--from", "2019", "--to", "2024"], cwd=ROOT, capture_output=True,
                         env=env | {"DATABASE_URL": f"sqlite:///{grid_db}"}, text=True, check=True)
    assert text.splitlines()[0] == cli.stdout.splitlines()[0]
    assert sorted(text.splitlines()[1:]) == sorted(cli.stdout.splitlines()[1:])  # the same rows, the same format


def test_sorted_and_filtered_download_is_what_the_grid_shows(client, grid_db: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    sort = [("value_usd", "desc"), ("qty_unit", "asc")]
    view = view_param(sort, hs_code={"filterType": "text", "type": "startsWith", "filter": "854"},
                      net_weight_kg={"filterType": "number", "type": "blank"})
    response = client.get(f"{data_rows.CSV_PATH}?{FILTERS}{view}")
    assert response.status_code == 200
    expected = python_view(reference_selection(grid_db), sort,
                           lambda r: r["hs_code"].startswith("854") and r["net_weight_kg"] is None)
    assert 3 < len(expected) < len(reference_selection(grid_db))
    assert response.get_data(as_text=True) == as_csv(expected)


@pytest.mark.parametrize("query, reason", [
    ("freq=Q", "invalid value for 'freq'"),
    ("category=%3Cscript%3E", "invalid value for 'category'"),
    ("from=2024&to=2019", "'from' is after 'to'"),
    ("from=02019", "invalid value for 'from'"),
    ("reporter=999", "invalid value for 'reporter'"),
    ("flow=X&flow=M", "parameter 'flow' given more than once"),
    ("limit=100000", "unknown parameter 'limit'"),
    ("view=%7Bnot%20json", "view is not JSON"),
    ("view=%5B1%2C2%5D", "view is not a JSON object with sortModel and filterModel"),
    ("view=" + quote(json.dumps({"filterModel": {"hs_code": {"type": "contains", "filter": "8" * 3000}}})),
     f"view is longer than {data_rows.MAX_VIEW_CHARS} characters"),
])
def test_bad_parameters_answer_400_with_a_one_line_reason(client, query: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{data_rows.CSV_PATH}?{query}")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.get_data(as_text=True) == reason + "\n"


def test_defaults_and_an_explicit_all_categories_are_accepted_and_only_get_is(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get(data_rows.CSV_PATH).status_code == 200  # the page's defaults, plain view
    every = client.get(f"{data_rows.CSV_PATH}?{FILTERS}&category=&view=")
    assert every.status_code == 200 and every.get_data() == client.get(f"{data_rows.CSV_PATH}?{FILTERS}").get_data()
    # World (code 0) is one of the page's reporter options: it selects World's rows (none here), not the default.
    world = client.get(f"{data_rows.CSV_PATH}?{FILTERS.replace('reporter=156', 'reporter=0')}")
    assert world.status_code == 200 and world.get_data(as_text=True) == as_csv([])
    assert client.post(f"{data_rows.CSV_PATH}?{FILTERS}").status_code == 405


def test_world_as_partner_downloads_the_world_rows(client, grid_db: Path, settings: Settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    extra = grid_db.parent / "synthetic_world.csv"
    extra.write_text("reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"
                     "156,0,X,A,2021,8542,9000000,,,\n156,0,X,A,2022,8542,,,,\n", encoding="utf-8")
    assert import_file(settings, extra).inserted == 2
    response = client.get(f"{data_rows.CSV_PATH}?{FILTERS.replace('partner=643', 'partner=0')}")
    assert response.status_code == 200
    expected = reference_selection(grid_db, replace(ANNUAL_X, partner=0))
    assert [(r["partner"], r["period"], r["value_usd"]) for r in expected] == [("World", "2021", 9000000.0),
                                                                              ("World", "2022", None)]
    assert response.get_data(as_text=True) == as_csv(expected)


def test_the_page_links_its_button_to_the_download_of_its_url_filters(grid_db: Path, settings: Settings) -> None:  # noqa: F811
    app = create_app(settings)
    layout = next(p["layout"] for p in dash.page_registry.values() if p["path"] == "/data")
    with app.server.test_request_context("/data"):
        tree = layout(**{"from": "2019", "to": "2024", "freq": "A", "flow": "X", "reporter": "156"})
    button = next(c for c in tree._traverse() if getattr(c, "id", None) == ids.DOWNLOAD_CSV)
    assert button.download == "chokepoint_trade.csv" and button.external_link
    response = app.server.test_client().get(button.href)  # a click before the grid's first request: plain view
    assert response.status_code == 200
    assert response.get_data(as_text=True) == as_csv(reference_selection(grid_db, ANNUAL_X))
