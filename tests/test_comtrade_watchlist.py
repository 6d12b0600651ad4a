"""The watchlist: the bundled one covers every code the categories name, and a broken one is explained."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from etl.errors import InputError
from etl.refresh_plan import (WATCHLIST_PATH, annual_periods, load_watchlist, monthly_periods, settled,
                              watchlist_path)
from etl.sources import reference


def test_the_bundled_watchlist_fetches_every_category_code_for_china_and_russia() -> None:
    watchlist = load_watchlist(WATCHLIST_PATH)
    entries = {e.name: e for e in watchlist.entries}
    category_codes = {row["hs_code"] for row in reference.category_hs()}
    assert set(entries["china_russia"].codes) == category_codes | {"TOTAL"}
    assert (entries["china_russia"].reporters, entries["china_russia"].partners) == ((156,), (643,))
    assert entries["china_russia"].annual == (2015, None) and entries["china_russia"].monthly == (202101, None)
    assert entries["russia_mirror"].codes == entries["china_russia"].codes
    assert (entries["russia_mirror"].reporters, entries["russia_mirror"].annual) == ((643,), (2015, 2021))


def test_the_bundled_watchlist_asks_third_countries_for_the_chpl() -> None:
    suppliers = {e.name: e for e in load_watchlist(WATCHLIST_PATH).entries}["suppliers_to_russia"]
    assert set(suppliers.codes) == {row["hs6"] for row in reference.chpl_items()} and len(suppliers.codes) == 50
    assert set(suppliers.reporters) == {344, 398, 417, 51, 792, 784, 699}
    assert suppliers.partners == (643,) and suppliers.flows == ("X",)


def test_predecessors_are_the_bundled_concordance_and_only_asked_before_2022() -> None:
    watchlist = load_watchlist(WATCHLIST_PATH)
    mapping = {(old, new) for new, olds in watchlist.predecessors.items() for old in olds}
    assert mapping == {(r["old_code"], r["new_code"]) for r in reference.hs_concordance()}
    china = watchlist.entries[0]
    assert set(watchlist.codes_for(china, "2021")) - set(china.codes) == {"880330", "854890", "852580", "854140",
                                                                         "854150"}
    assert watchlist.codes_for(china, "202112") != watchlist.codes_for(china, "202201") == china.codes


def test_periods_run_to_the_last_complete_year_and_month() -> None:
    today = date(2026, 3, 15)
    assert annual_periods((2023, None), today) == ["2023", "2024", "2025"]
    assert annual_periods((2015, 2016), today) == ["2015", "2016"]
    assert monthly_periods((202511, None), today) == ["202511", "202512", "202601", "202602"]
    assert monthly_periods((202111, 202202), today) == ["202111", "202112", "202201", "202202"]


def test_an_answer_is_settled_once_fetched_a_revision_window_after_its_period() -> None:
    assert settled("2023", "2025-01-01T00:00:00Z", 12) and not settled("2023", "2024-12-31T23:00:00Z", 12)
    assert settled("202301", "2024-02-01T00:00:00Z", 12) and not settled("202301", "2024-01-31T00:00:00Z", 12)
    assert settled("202301", "2023-02-01T00:00:00Z", 0) and not settled("202301", "2023-01-20T00:00:00Z", 0)


def test_the_setting_chooses_the_file() -> None:
    assert watchlist_path("") == WATCHLIST_PATH
    assert watchlist_path("/srv/my.toml") == Path("/srv/my.toml")


QUERY = '[codes]\nchips = ["8542"]\n[[query]]\nname = "one"\nreporters = [156]\npartners = [643]\n'


@pytest.mark.parametrize(("text", "message"), [
    ("[codes\n", "cannot be read"),
    ('[codes]\nchips = ["8542"]\n', "has no \\[\\[query\\]\\] block"),
    ('[codes]\nchips = [8542]\n' + QUERY.split("\n", 2)[2], "\\[codes\\] chips: expected a list of HS codes written "
                                                             "as text"),
    ('[codes]\nchips = ["85421"]\n', "expected a list of HS codes"),
    (QUERY + 'flows = ["X"]\ncodes = ["chip"]\nannual_from = 2015\n', "codes must name lists of \\[codes\\] "
                                                                      "\\(chips\\); unknown: \\['chip'\\]"),
    (QUERY + 'flows = ["E"]\ncodes = ["chips"]\nannual_from = 2015\n', "flows must be a list of X, M, RX, RM"),
    (QUERY + 'flows = ["X"]\ncodes = ["chips"]\n', "give annual_from \\(YYYY\\) or monthly_from"),
    (QUERY + 'flows = ["X"]\ncodes = ["chips"]\nmonthly_from = 202113\n', "monthly_from must be a number like 202101"),
    (QUERY.replace("[156]", '["CN"]') + 'flows = ["X"]\ncodes = ["chips"]\nannual_from = 2015\n',
     "reporters must be a list of numbers from 0 to 999"),
    (QUERY + 'flows = ["X"]\ncodes = ["chips"]\nannual_from = 2015\n' + QUERY.split("\n", 2)[2]
     + 'flows = ["X"]\ncodes = ["chips"]\nannual_from = 2015\n', "uses a query name twice"),
])
def test_a_broken_watchlist_is_explained(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "watchlist.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_watchlist(path)


def test_a_missing_watchlist_points_at_the_setting(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist. Fix CHOKEPOINT_WATCHLIST"):
        load_watchlist(tmp_path / "nope.toml")

