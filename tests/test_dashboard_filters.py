"""URL filters (allow-lists, fallbacks) and the browser CSV format (same writer as the CLI)."""
from __future__ import annotations

import csv
import io
import math

import pandas as pd

from dashboard import export, filters
from dashboard.filters import Filters
from etl.export import EXPORT_COLUMNS


def test_parse_reads_every_contract_key() -> None:
    got = filters.parse({"from": "2018", "to": "2023", "freq": "M", "flow": "M", "category": "chpl_tier_3b",
                         "reporter": "344", "partner": "643", "view": "index"})
    assert got == Filters(2018, 2023, "M", "M", "chpl_tier_3b", 344, 643, "index")
    assert got.bounds() == {"period_from": "201801", "period_to": "202312"}


def test_invalid_values_fall_back_to_the_page_defaults() -> None:
    defaults = Filters(start=2017, end=2024, category="chpl_tier_1")
    got = filters.parse({"from": "1900", "to": "20x4", "freq": "Q", "flow": "<script>", "category": "drop table",
                         "reporter": "999", "partner": "-1", "view": "usd;"}, defaults)
    assert got == defaults
    assert filters.parse({"from": "2024", "to": "2015"}, defaults).start == 2017  # reversed range -> defaults
    assert filters.parse({"category": "optics"}, defaults, categories=filters.CHPL_TIERS).category == "chpl_tier_1"
    assert filters.parse({"reporter": "344"}, defaults, reporters=(156, 643)).reporter == 156


def test_world_is_a_country_choice_not_a_missing_one() -> None:
    defaults = Filters(reporter=156, partner=643)
    assert filters.parse({"partner": "0"}, defaults).partner == 0
    assert filters.parse({"reporter": "0"}, defaults).reporter == 0
    assert filters.from_controls({"reporter": 156, "partner": 0}, defaults).partner == 0
    assert filters.to_query(filters.parse({"partner": "0"}, defaults), ("partner",)) == "?partner=0"
    # a code a page does not offer still falls back
    assert filters.parse({"reporter": "0"}, defaults, reporters=(156, 643)).reporter == 156
    assert filters.parse({"partner": ""}, defaults).partner == 643


def test_controls_map_years_and_a_cleared_category() -> None:
    got = filters.from_controls({"years": [2019, 2022], "freq": "A", "category": None},
                                Filters(category="chpl_tier_1"))
    assert (got.start, got.end, got.category) == (2019, 2022, None)
    assert filters.control_query({"years": [2019, 2022], "freq": "M", "category": None}) == \
        "?from=2019&to=2022&freq=M"
    assert filters.to_query(got, ("from", "to", "category")) == "?from=2019&to=2022"
    # keys the controls do not own (the Article page's id) survive a filter change; stale filter keys do not
    assert filters.control_query({"freq": "A"}, "?id=abc123&freq=M&view=index") == "?id=abc123&freq=A"
    assert filters.with_partner(Filters(reporter=643)).partner == 156


def test_chart_payload_round_trips_nulls_as_empty_cells() -> None:
    frame = pd.DataFrame({"period": ["2021", "2022"], "value_usd": [1.5e9, float("nan")],
                          "source": ["=cmd|' /C calc'!A0", "csv:synthetic_x.csv"]})
    payload = export.chart_payload(frame, "chokepoint_test chart")
    assert payload["filename"] == "chokepoint_test_chart.csv"
    assert payload["rows"][1][1] is None
    rows = list(csv.reader(io.StringIO(export.payload_csv(payload))))
    assert rows == [["period", "value_usd", "source"], ["2021", "1500000000", "'=cmd|' /C calc'!A0"],
                    ["2022", "", "csv:synthetic_x.csv"]]


def test_trade_csv_has_exactly_the_export_columns() -> None:
    row = {c: None for c in EXPORT_COLUMNS} | {"reporter_code": 156, "value_usd": 12.5, "extra": "ignored"}
    text = export.trade_csv([row])
    header, line = text.splitlines()
    assert header.split(",") == list(EXPORT_COLUMNS)
    assert line.split(",")[0] == "156" and line.split(",")[EXPORT_COLUMNS.index("value_usd")] == "12.5"
    assert line.count(",") == len(EXPORT_COLUMNS) - 1 and "0" not in line.split(",")[1:]
    assert export.trade_csv([]).strip() == ",".join(EXPORT_COLUMNS)
    assert not math.isnan(float(line.split(",")[EXPORT_COLUMNS.index("value_usd")]))
