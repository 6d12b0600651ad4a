"""The Data page grid on a real database: blocks in the selection's order, sorting and column filters within the
capped selection (checked against rows read with sqlite3 and sorted by Python), the capped count, and the CSV of
what the grid shows. Figures are SYNTHETIC."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from dashboard import data_rows, export, queries
from dashboard.filters import Filters
from dashboard.grid_view import GridView, grid_view
from etl.export import EXPORT_COLUMNS, to_csv
from etl.pipeline import import_file
from etl.settings import Settings
from tests.test_dashboard_queries import seed

# Ties in value_usd, missing measures, upper-case and non-ASCII units, and units holding % _ and a backslash.
GRID_CSV = """reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit
156,643,X,A,2019,8542,5000000,,,ÄRGER
156,643,X,A,2020,8542,5000000,100,,Kg
156,643,X,A,2021,8542,,200,3,50%_off
156,643,X,A,2022,8542,7000000,,,a\\b
156,643,X,A,2023,8542,5000000,300,,äRGER
156,643,X,A,2019,8541,1000000,,,kg
156,643,X,A,2020,8541,1000000,,,50% off
156,643,X,A,2021,8541,,,4,ab
"""
ANNUAL_X = Filters(start=2019, end=2024, freq="A", flow="X")
TEXT = ("period", "classification", "hs_code", "hs_description", "qty_unit", "source", "source_ref", "retrieved_at")
MEASURES = ("value_usd", "net_weight_kg", "qty")


def where(flow: str = "X", freq: str = "A", category: str | None = None) -> dict[str, object]:
    return {"reporter": 156, "partner": 643, "flow": flow, "freq": freq, "category": category,
            "period_from": "2019" if freq == "A" else "201901", "period_to": "2024" if freq == "A" else "202412"}


@pytest.fixture
def seeded(settings: Settings) -> Settings:
    seed(settings)
    return settings


@pytest.fixture
def grid_db(settings: Settings, tmp_path: Path) -> Path:
    """The dashboard's synthetic rows plus GRID_CSV's, in a SQLite file; the path for direct sqlite3 reads."""
    seed(settings)
    extra = tmp_path / "synthetic_grid_ü%_.csv"
    extra.write_text(GRID_CSV, encoding="utf-8")
    assert import_file(settings, extra).inserted == 8
    return Path(settings.database_url.removeprefix("sqlite:///"))


def reference_selection(db: Path, f: Filters = ANNUAL_X, cap: int = data_rows.ROW_LIMIT) -> list[dict[str, object]]:
    """The selection read with sqlite3: the export columns, the first `cap` rows in code, period, source order."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT t.reporter_code, r.name AS reporter, t.partner_code, p.name AS partner, t.flow, t.freq, t.period, "
            "t.classification, t.hs_code, h.description AS hs_description, t.value_usd, t.net_weight_kg, t.qty, "
            "t.qty_unit, t.source, t.source_ref, t.retrieved_at FROM trade_flow t "
            "LEFT JOIN country r ON r.code = t.reporter_code LEFT JOIN country p ON p.code = t.partner_code "
            "LEFT JOIN hs_code h ON h.code = t.hs_code WHERE t.reporter_code = ? AND t.partner_code = ? "
            "AND t.flow = ? AND t.freq = ? AND t.period BETWEEN ? AND ? "
            "ORDER BY t.hs_code, t.period, t.source, t.classification LIMIT ?",
            (f.reporter, f.partner, f.flow, f.freq, f.period_from(), f.period_to(), cap)).fetchall()
    return [dict(r) for r in rows]


def python_view(rows: list[dict[str, object]], sort: list[tuple[str, str]],
                keep=lambda row: True) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """The grid's semantics written independently: filter, then stable sorts from the last key to the first;
    missing first ascending, last descending."""
    out = [r for r in rows if keep(r)]
    for column, direction in reversed(sort):
        out = sorted(out, key=lambda r: (r[column] is not None, r[column] if r[column] is not None else 0),
                     reverse=direction == "desc")
    return out


def model(sort: list[tuple[str, str]] = (), **filters: dict[str, object]) -> dict[str, object]:  # type: ignore[assignment]
    return {"sortModel": [{"colId": c, "sort": d} for c, d in sort], "filterModel": filters}


def all_blocks(view: GridView, size: int = 7) -> tuple[list[dict[str, object]], set[int | None]]:
    """Every block of the view in turn, as the grid scrolls; the row counts the answers reported, checking that a
    count, once given, is the view's size (None: not known yet, the grid keeps asking)."""
    rows: list[dict[str, object]] = []
    counts: set[int | None] = set()
    for start in range(0, data_rows.ROW_LIMIT, size):
        got, count = data_rows.block(ANNUAL_X, view, start, start + size)
        assert count is None or count >= start + len(got)
        assert all(list(row) == list(EXPORT_COLUMNS) for row in got)
        counts.add(count)
        rows += got
        if len(got) < size:
            break
    return rows, counts


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as dicts of the export columns, a missing value as None whatever the column's dtype."""
    return [{c: (None if pd.isna(v) else v) for c, v in zip(EXPORT_COLUMNS, row)}
            for row in frame[list(EXPORT_COLUMNS)].itertuples(index=False, name=None)]


def as_csv(rows: list[dict[str, object]]) -> str:
    return to_csv(pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))) or ""


@pytest.mark.both_backends
def test_blocks_in_selection_order_add_up_to_the_selection_and_the_count_stops_at_its_limit(
        seeded: Settings) -> None:
    rows = queries.run_query("dash_trade_block", limit=5000, offset=0, **where())
    assert len(rows) > 40
    blocks = [queries.run_query("dash_trade_block", limit=7, offset=o, **where()) for o in range(0, len(rows) + 7, 7)]
    assert plain(pd.concat(blocks)) == plain(rows)
    assert int(queries.run_query("dash_trade_count", limit=5001, **where())["n_rows"].iloc[0]) == len(rows)
    assert int(queries.run_query("dash_trade_count", limit=10, **where())["n_rows"].iloc[0]) == 10
    none = where(category="optics") | {"period_from": "2024", "period_to": "2024"}
    assert int(queries.run_query("dash_trade_count", limit=5001, **none)["n_rows"].iloc[0]) == 0


def plain(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    """Rows as tuples, a missing value as None whatever the column's dtype (a block of only NULLs is object)."""
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False, name=None)]


SORTS = [
    [("value_usd", "asc")],
    [("value_usd", "desc")],
    [("qty_unit", "asc"), ("value_usd", "desc")],
    [("hs_code", "desc"), ("period", "asc")],
    [("net_weight_kg", "desc"), ("qty_unit", "desc"), ("source", "asc")],
]


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: "+".join(f"{c}-{d}" for c, d in s))
def test_sorted_blocks_follow_an_independent_stable_sort_with_missing_first_ascending_last_descending(
        grid_db: Path, sort: list[tuple[str, str]]) -> None:
    selection = reference_selection(grid_db)
    expected = python_view(selection, sort)
    shown, counts = all_blocks(grid_view(model(sort)))
    assert shown == expected
    assert counts - {None} == {len(selection)}  # the count is given by the short, last block
    assert data_rows.selection_csv(ANNUAL_X, grid_view(model(sort))) == as_csv(expected)
    if sort == [("value_usd", "asc")]:
        assert shown[0]["value_usd"] is None and shown[-1]["value_usd"] is not None
        ties = [r for r in shown if r["value_usd"] == 5_000_000]
        assert [r["period"] for r in ties if r["source"].startswith("csv:synthetic_grid")] == ["2019", "2020", "2023"]


def unit(text: str, test) -> object:  # type: ignore[no-untyped-def]
    return lambda r: r["qty_unit"] is not None and test(r["qty_unit"].lower(), text.lower())


FILTERS = [
    ({"qty_unit": {"filterType": "text", "type": "contains", "filter": "äRg"}},
     unit("äRg", lambda v, t: t in v)),  # case-insensitive beyond ASCII: ÄRGER and äRGER
    ({"qty_unit": {"filterType": "text", "type": "contains", "filter": "%_"}},
     unit("%_", lambda v, t: t in v)),  # % and _ are plain characters: "50%_off", not "50% off"
    ({"qty_unit": {"filterType": "text", "type": "equals", "filter": "KG"}}, unit("KG", lambda v, t: v == t)),
    ({"qty_unit": {"filterType": "text", "type": "startsWith", "filter": "A\\"}},
     unit("A\\", lambda v, t: v.startswith(t))),
    ({"qty_unit": {"filterType": "text", "type": "endsWith", "filter": "_OFF"}},
     unit("_OFF", lambda v, t: v.endswith(t))),
    ({"qty_unit": {"filterType": "text", "type": "contains", "filter": "50"}},
     unit("50", lambda v, t: t in v)),  # no letter: matched as it is, not lower-cased
    ({"period": {"filterType": "text", "type": "endsWith", "filter": "9"},
      "qty_unit": {"filterType": "text", "type": "contains", "filter": "G"}},  # one letter folds every filter
     lambda r: r["period"].endswith("9") and r["qty_unit"] is not None and "g" in r["qty_unit"].lower()),
    ({"source": {"filterType": "text", "type": "startsWith", "filter": "CSV:SYNTHETIC_G"}},
     lambda r: r["source"].lower().startswith("csv:synthetic_g")),
    ({"source": {"filterType": "text", "type": "contains", "filter": "Ü%"}},
     lambda r: "ü%" in r["source"].lower()),
    ({"value_usd": {"filterType": "number", "type": "inRange", "filter": 1e6, "filterTo": 5e6}},
     lambda r: r["value_usd"] is not None and 1e6 <= r["value_usd"] <= 5e6),  # both bounds inclusive
    ({"value_usd": {"filterType": "number", "type": "equals", "filter": 5e6}}, lambda r: r["value_usd"] == 5e6),
    ({"value_usd": {"filterType": "number", "type": "lessThanOrEqual", "filter": 1e6}},
     lambda r: r["value_usd"] is not None and r["value_usd"] <= 1e6),
    ({"net_weight_kg": {"filterType": "number", "type": "blank"}}, lambda r: r["net_weight_kg"] is None),
    ({"qty": {"filterType": "number", "type": "notBlank"},
      "hs_code": {"filterType": "text", "type": "startsWith", "filter": "854"}},
     lambda r: r["qty"] is not None and r["hs_code"].startswith("854")),
]


@pytest.mark.parametrize("filter_model, keep", FILTERS, ids=[str(i) for i in range(len(FILTERS))])
def test_column_filters_keep_what_an_independent_check_keeps_and_count_it(grid_db: Path, filter_model, keep
                                                                          ) -> None:  # type: ignore[no-untyped-def]
    sort = [("value_usd", "desc")]
    expected = python_view(reference_selection(grid_db), sort, keep)
    assert expected  # every case keeps some rows...
    assert len(expected) < len(reference_selection(grid_db))  # ...and drops some
    view = grid_view(model(sort, **filter_model))
    shown, counts = all_blocks(view, size=3)
    assert shown == expected and counts - {None} == {len(expected)}
    assert data_rows.selection_csv(ANNUAL_X, view) == as_csv(expected)


def test_a_filter_that_matches_nothing_answers_an_empty_last_block(grid_db: Path) -> None:
    view = grid_view(model(qty_unit={"filterType": "text", "type": "contains", "filter": "%"}))
    rows, count = data_rows.block(ANNUAL_X, grid_view(model(qty_unit={"type": "equals", "filter": "zz"})), 0, 100)
    assert rows == [] and count == 0
    assert len(data_rows.block(ANNUAL_X, view, 0, 100)[0]) == 2  # "50%_off" and "50% off": % is a plain character


def test_hostile_grid_requests_are_reduced_to_what_the_allow_lists_permit() -> None:
    request = {
        "sortModel": [{"colId": "reporter; DROP TABLE trade_flow", "sort": "asc"}, {"colId": "value_usd", "sort": "up"},
                      "nonsense", {"colId": "qty", "sort": "desc"}, {"colId": "period", "sort": "asc"},
                      {"colId": "source", "sort": "desc"}, {"colId": "hs_code", "sort": "asc"}],
        "filterModel": {"reporter": {"type": "contains", "filter": "x"},
                        "hs_code": {"type": "contains", "filter": "8" * 201},
                        "qty_unit": {"type": "regex", "filter": ".*"},
                        "source": {"type": "contains", "filter": 7},
                        "value_usd": {"type": "greaterThanOrEqual", "filter": True},
                        "qty": {"type": "inRange", "filter": float("nan"), "filterTo": "9"},
                        "net_weight_kg": {"type": "lessThanOrEqual", "filter": 10},
                        "period": "2019"}}
    view = grid_view(request)
    assert view.sort == (("qty", "desc"), ("period", "asc"), ("source", "desc"))  # at most three keys
    assert view.filters == (("net_weight_kg", "range", None, 10.0),)
    for junk in (None, [], "x", {"sortModel": "x", "filterModel": []}, {"sortModel": [{}], "filterModel": {"q": 1}}):
        assert grid_view(junk).plain  # type: ignore[arg-type]


def test_plain_view_blocks_read_the_selection_in_order_with_its_count(grid_db: Path) -> None:
    selection = reference_selection(grid_db)
    shown, counts = all_blocks(GridView(), size=9)
    assert shown == selection and counts == {len(selection)}
    far, count = data_rows.block(ANNUAL_X, GridView(), data_rows.ROW_LIMIT + 50, data_rows.ROW_LIMIT + 150)
    assert far == [] and count == len(selection)


def test_rows_csv_writes_exactly_the_export_format() -> None:
    columns = ["reporter_code", "period", "hs_description", "value_usd", "net_weight_kg", "qty_unit", "source"]
    rows = [(156, "2023", "=HYPERLINK(\"x\")", 25000000.0, None, None, "csv:synthetic_a.csv"),
            (156, "2024", "plain, with \"quotes\"\nand a line", 0.1, 1e20, "kg", "-1+1"),
            (643, "2024", "@sum", float("nan"), 133280930.0, "\tunit", "+x"),
            (643, "2022", None, 1234567.891, 2.5, "", "csv:synthetic_b.csv")]
    expected = to_csv(pd.DataFrame(rows, columns=columns))
    assert export.trade_rows_csv(columns, rows) == expected
    assert "'=HYPERLINK" in expected and ",'-1+1" in expected  # formula-like text neutralised
    assert export.trade_rows_csv(columns, []) == ",".join(columns) + "\n"


@pytest.mark.both_backends
def test_query_csv_equals_the_export_of_the_same_query(seeded: Settings) -> None:
    frame = queries.run_query("dash_trade_block", limit=5000, offset=0, **where("M"))
    text = export.query_csv("dash_trade_block", limit=5000, offset=0, **where("M"))
    assert text == to_csv(frame) and ",,," in text  # missing figures are empty cells
    assert export.query_csv("dash_trade_block", limit=5000, offset=0, **where("M")) is text  # the same version: kept
    with pytest.raises(TypeError):
        export.query_csv("dash_trade_block", limit=5000)


def test_a_view_csv_is_kept_until_the_data_changes(grid_db: Path, settings: Settings, tmp_path: Path) -> None:
    view = grid_view(model([("value_usd", "desc")]))
    first = data_rows.selection_csv(ANNUAL_X, view)
    assert data_rows.selection_csv(ANNUAL_X, view) is first
    more = tmp_path / "synthetic_grid_more.csv"
    more.write_text("reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"
                    "156,643,X,A,2024,8541,9e14,,,\n", encoding="utf-8")
    import_file(settings, more)
    changed = data_rows.selection_csv(ANNUAL_X, view)
    assert changed != first
    assert "900000000000000," in changed.splitlines()[1]  # the new largest value comes first


@pytest.mark.both_backends
@pytest.mark.parametrize("sort, filters, keep", [
    ([("value_usd", "desc"), ("period", "asc")], {}, lambda r: True),
    ([("hs_description", "asc")], {"hs_description": {"type": "contains", "filter": "CIRCUIT"}},
     lambda r: "circuit" in str(r["hs_description"] or "").lower()),
    ([("net_weight_kg", "asc")], {"value_usd": {"type": "greaterThanOrEqual", "filter": 1e8}},
     lambda r: r["value_usd"] is not None and r["value_usd"] >= 1e8),
])
def test_the_view_query_sorts_and_filters_alike_on_both_backends(  # type: ignore[no-untyped-def]
        seeded: Settings, sort, filters, keep) -> None:
    selection = records(queries.run_query("dash_trade_block", limit=data_rows.ROW_LIMIT, offset=0, **where()))
    expected = python_view(selection, sort, keep)
    shown, counts = all_blocks(grid_view(model(sort, **filters)), size=5)
    assert len(expected) > 5 and shown == expected and counts - {None} == {len(expected)}


@pytest.mark.parametrize("category", [None, "integrated_circuits", "machine_tools", "chpl_tier_3a", "chpl_tier_1"])
def test_a_category_keeps_its_codes_and_tier_predecessors_before_2022_only(  # type: ignore[no-untyped-def]
        grid_db: Path, category) -> None:
    with sqlite3.connect(grid_db) as conn:
        rows = conn.execute("SELECT hs_code, period, source FROM trade_flow WHERE reporter_code = 156 "
                            "AND partner_code = 643 AND flow = 'X' AND freq = 'A' AND period BETWEEN '2019' AND '2024'"
                            ).fetchall()
        codes = {c for (c,) in conn.execute("SELECT hs_code FROM category_hs WHERE category = ?", (category,))}
        tier = conn.execute("SELECT kind FROM category WHERE name = ?", (category,)).fetchone() == ("chpl_tier",)
        older = {o for (o, n) in conn.execute("SELECT old_code, new_code FROM hs_concordance") if n in codes}
    expected = sorted((c, p, s) for c, p, s in rows
                      if category is None or c in codes or (tier and c in older and p < "2022"))
    found = queries.run_query("dash_trade_block", limit=5000, offset=0, **where(category=category))
    assert list(zip(found["hs_code"], found["period"], found["source"])) == expected
    assert category is None or len(expected) < len(rows)
    size = queries.run_query("dash_trade_count", limit=5001, **where(category=category))["n_rows"].iloc[0]
    assert int(size) == len(expected)
