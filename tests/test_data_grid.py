"""The Data page grid's named queries on a real database (SQLite and PostgreSQL): blocks in the selection's order,
sorting and column filters within the capped selection, and the capped count. Figures are SYNTHETIC."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard import export, queries
from etl.export import to_csv
from etl.settings import Settings
from tests.test_dashboard_queries import seed

TEXT = ("period", "classification", "hs_code", "hs_description", "qty_unit", "source", "source_ref", "retrieved_at")
MEASURES = ("value_usd", "net_weight_kg", "qty")
KEY = ["hs_code", "period", "source", "classification"]


def where(flow: str = "X", freq: str = "A", category: str | None = None) -> dict[str, object]:
    return {"reporter": 156, "partner": 643, "flow": flow, "freq": freq, "category": category,
            "period_from": "2019" if freq == "A" else "201901", "period_to": "2024" if freq == "A" else "202412"}


def view(cap: int = 5000, limit: int = 5000, offset: int = 0, flow: str = "X", **binds: object) -> pd.DataFrame:
    """dash_trade_view with every filter and sort bind empty unless given."""
    params: dict[str, object] = {f"like_{c}": None for c in TEXT}
    for m in MEASURES:
        params |= {f"min_{m}": None, f"max_{m}": None, f"null_{m}": None}
    params |= {f"{k}{i}": None for i in (1, 2, 3) for k in ("sort", "dir")}
    return queries.run_query("dash_trade_view", cap=cap, limit=limit, offset=offset, **where(flow),
                             **(params | binds))


@pytest.fixture
def seeded(settings: Settings) -> Settings:
    seed(settings)
    return settings


@pytest.mark.both_backends
def test_blocks_in_selection_order_add_up_to_the_selection_and_the_count_stops_at_its_limit(
        seeded: Settings) -> None:
    rows = queries.run_query("dash_trade_rows", limit=5000, **where())
    assert len(rows) > 40
    blocks = [queries.run_query("dash_trade_block", limit=7, offset=o, **where()) for o in range(0, len(rows) + 7, 7)]
    assert plain(pd.concat(blocks)) == plain(rows)
    assert int(queries.run_query("dash_trade_count", limit=5001, **where())["n_rows"].iloc[0]) == len(rows)
    assert int(queries.run_query("dash_trade_count", limit=10, **where())["n_rows"].iloc[0]) == 10
    none = where(category="optics") | {"period_from": "2024", "period_to": "2024"}
    assert int(queries.run_query("dash_trade_count", limit=5001, **none)["n_rows"].iloc[0]) == 0


@pytest.mark.both_backends
def test_view_sorts_the_capped_selection_with_missing_first_ascending_and_last_descending(seeded: Settings) -> None:
    rows = queries.run_query("dash_trade_rows", limit=5000, **where("M"))
    assert rows["value_usd"].isna().sum() == 1  # the 2024 total China did not report: missing, not 0
    up = view(flow="M", sort1="value_usd", dir1="asc")
    assert pd.isna(up["value_usd"].iloc[0]) and up["value_usd"].iloc[1:].is_monotonic_increasing
    down = view(flow="M", sort1="value_usd", dir1="desc")
    assert pd.isna(down["value_usd"].iloc[-1]) and down["value_usd"].iloc[:-1].is_monotonic_decreasing
    assert len(up) == len(rows) and set(map(tuple, up[KEY].values)) == set(map(tuple, rows[KEY].values))
    by_code = view(flow="M", sort1="hs_code", dir1="desc", sort2="period", dir2="asc")
    assert list(by_code[["hs_code", "period"]].itertuples(index=False, name=None)) == sorted(
        rows[["hs_code", "period"]].itertuples(index=False, name=None), key=lambda r: (_neg(r[0]), r[1]))
    # Blocks of a sorted view never overlap or skip a row; the cap keeps only the selection's first rows.
    pages = pd.concat([view(flow="M", limit=5, offset=o, sort1="source", dir1="asc") for o in range(0, 40, 5)])
    assert plain(pages) == plain(view(flow="M", limit=40, sort1="source", dir1="asc"))
    capped = view(cap=6, flow="M", sort1="value_usd", dir1="desc")
    assert set(map(tuple, capped[KEY].values)) == set(map(tuple, rows.head(6)[KEY].values))


def plain(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    """Rows as tuples, a missing value as None whatever the column's dtype (a block of only NULLs is object)."""
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False, name=None)]


def _neg(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text) + (0,)


@pytest.mark.both_backends
def test_view_filters_are_case_insensitive_patterns_and_inclusive_bounds(seeded: Settings) -> None:
    rows = queries.run_query("dash_trade_rows", limit=5000, **where())
    chips = view(like_hs_code="8542%")
    assert len(chips) > 0 and all(c.startswith("8542") for c in chips["hs_code"])
    described = view(like_hs_description="%integrated circuits%")
    assert len(described) > 0 and set(described["hs_code"]) <= {"8542", "854231", "854232", "854239"}
    assert view(like_hs_code="85\\_%").empty  # an underscore the user typed is matched literally
    values = rows["value_usd"].dropna()
    low, high = float(values.quantile(0.25)), float(values.quantile(0.75))
    bounded = view(min_value_usd=low, max_value_usd=high)
    assert len(bounded) == int(((values >= low) & (values <= high)).sum())
    assert view(null_net_weight_kg=1)["net_weight_kg"].isna().all()
    assert len(view(null_net_weight_kg=0)) == int(rows["net_weight_kg"].notna().sum())


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
    frame = queries.run_query("dash_trade_rows", limit=5000, **where("M"))
    text = export.query_csv("dash_trade_rows", limit=5000, **where("M"))
    assert text == to_csv(frame) and ",,," in text  # missing figures are empty cells
    assert export.query_csv("dash_trade_rows", limit=5000, **where("M")) is text  # the same version: kept
    with pytest.raises(TypeError):
        export.query_csv("dash_trade_rows", limit=5000)
