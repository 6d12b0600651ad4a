"""Figure builders: gaps stay None (never 0), labels name the figures, indexes use 2021 = 100."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import figures, queries
from etl.pipeline import init_db
from etl.settings import Settings

EVENTS = pd.DataFrame([
    {"event_date": "2022-06-03", "precision": "day", "jurisdiction": "EU", "kind": "sanctions",
     "title": "Oil <b>embargo</b>", "hs_scope": "2709;2710", "source": "x"},
    {"event_date": "2023-02-25", "precision": "day", "jurisdiction": "EU", "kind": "sanctions",
     "title": "Electronics ban", "hs_scope": "85", "source": "x"},
    {"event_date": "2024-02-23", "precision": "day", "jurisdiction": "US", "kind": "export_control",
     "title": "CHPL", "hs_scope": "CHPL", "source": "x"},
    {"event_date": "2022-02-24", "precision": "day", "jurisdiction": "US", "kind": "export_control",
     "title": "Invasion", "hs_scope": None, "source": "x"},
])


def valid(fig: go.Figure) -> go.Figure:
    """The figure rebuilt with plotly's full validation: raises on any property plotly does not know."""
    return go.Figure(fig.to_plotly_json())


def valid_series_figure(*args, **kwargs) -> go.Figure:  # type: ignore[no-untyped-def]
    return valid(figures.series_figure(*args, **kwargs))


def valid_headline_figure(*args, **kwargs) -> go.Figure:  # type: ignore[no-untyped-def]
    return valid(figures.headline_figure(*args, **kwargs))


def valid_energy_figure(*args, **kwargs) -> go.Figure:  # type: ignore[no-untyped-def]
    return valid(figures.energy_figure(*args, **kwargs))


def valid_share_figure(*args, **kwargs) -> go.Figure:  # type: ignore[no-untyped-def]
    return valid(figures.share_figure(*args, **kwargs))


def frame(rows: list[tuple[str, str, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["label", "period", "value_usd"])


def test_missing_periods_are_none_in_the_figure_never_zero() -> None:
    data = frame([("Optics", "2019", 1e9), ("Optics", "2021", 2e9), ("Optics", "2022", None)])
    fig = valid_series_figure(data, "A", 2019, 2023)
    line = fig.data[0]
    assert list(line.y) == [1.0, None, 2.0, None, None]
    assert line.connectgaps is False
    assert list(line.x) == ["2019-01-01", "2020-01-01", "2021-01-01", "2022-01-01", "2023-01-01"]


def test_highlight_draws_one_series_bold_and_fades_the_others() -> None:
    data = frame([("China", "2021", 1e9), ("Hong Kong", "2021", 2e8)])
    fig = valid_series_figure(data, "A", 2021, 2021, series="label", highlight="Hong Kong")
    lines = {t.name: t for t in fig.data}
    assert lines["Hong Kong"].line.width == 4 and lines["Hong Kong"].opacity is None
    assert lines["China"].opacity == 0.35


def test_monthly_axis_covers_every_month() -> None:
    data = frame([("IC", "202103", 3e9)])
    y = valid_series_figure(data, "M", 2021, 2021).data[0].y
    assert len(y) == 12 and y[2] == 3.0 and y.count(None) == 11


def test_index_view_uses_the_2021_mean_as_100() -> None:
    data = frame([("IC", "2020", 1e9), ("IC", "2021", 2e9), ("IC", "2022", 5e9), ("IC", "2023", None)])
    fig = valid_series_figure(data, "A", 2020, 2023, view="index")
    assert list(fig.data[0].y) == [50.0, 100.0, 250.0, None]
    assert fig.layout.yaxis.title.text == "Index, 2021 = 100"
    assert figures.indexed([1.0, 3.0, 6.0], ["202101", "202102", "202201"]) == [50.0, 150.0, 300.0]
    assert figures.indexed([None, 5.0], ["2021", "2022"]) == [None, None]  # no base: no index, not 0
    out = figures.with_index(pd.DataFrame({"label": ["a", "a"], "period": ["2021", "2022"],
                                           "value_usd": [4.0, 6.0]}), "label")
    assert list(out["index_2021_100"]) == [100.0, 150.0]


def test_headline_labels_the_2023_record_from_the_bundled_figures(settings: Settings) -> None:
    init_db(settings)
    queries.configure(settings)
    headline = queries.run_query("headline_trade")
    fig = valid_headline_figure(headline, queries.run_query("dash_events"), label_year=2023)
    texts = [a.text for a in fig.layout.annotations]
    assert "2023: USD 240.1 bn — a record at the time" in texts
    (disputed,) = [a for a in fig.layout.annotations if a.text == "disputed"]  # 2015's figure conflicts
    assert disputed.x.startswith("2015") and disputed.hovertext.startswith("SUSPECT (conflicts with -27.8%")
    bars = {t.name: list(t.y) for t in fig.data if t.type == "bar"}
    exports = bars["China → Russia (China's exports)"]
    assert exports[list(headline["year"]).index(2021)] is None  # split not found: no bar, not a zero bar
    total = next(t for t in fig.data if t.name == "Total trade")
    assert total.connectgaps is False and total.y[list(headline["year"]).index(2023)] == pytest.approx(240.11)
    assert fig.layout.barmode == "stack"
    kpis = dict((label, value) for label, value, _ in figures.headline_kpis(headline))
    assert kpis["Change 2021–2024"] == "+66.7%"
    assert kpis["Total trade 2024"] == "USD 244.8 bn"


def test_event_markers_carry_escaped_hover_text() -> None:
    fig = valid_series_figure(frame([("x", "2022", 1e9)]), "A", 2021, 2023, events=EVENTS)
    markers = next(t for t in fig.data if t.name == "Sanctions events")
    assert sorted(markers.x) == ["2022-02-24", "2022-06-03", "2023-02-25"]  # 2024 is outside 2021-2023
    assert any("Oil &lt;b&gt;embargo&lt;/b&gt;" in h for h in markers.hovertext)
    assert not any("<b>" in h for h in markers.hovertext)


def test_events_touching_codes() -> None:
    chpl = ["854231", "848210"]
    assert list(figures.events_touching(EVENTS, ["2709"])["title"]) == ["Oil <b>embargo</b>"]
    assert list(figures.events_touching(EVENTS, ["8542"], chpl)["title"]) == ["Electronics ban", "CHPL"]
    assert list(figures.events_touching(EVENTS, ["848210"], chpl)["title"]) == ["CHPL"]
    assert figures.events_touching(EVENTS, ["TOTAL"]).empty


def test_energy_price_and_tonnes_gaps() -> None:
    energy = pd.DataFrame({"label": ["Coal", "Coal"], "category": ["coal", "coal"], "period": ["2021", "2022"],
                           "value_usd": [6e9, 9e9],
                           "net_weight_kg": [50e9, None], "value_with_weight_usd": [6e9, None]})
    price = figures.price_per_tonne(energy)
    assert price.iloc[0] == pytest.approx(120.0) and pd.isna(price.iloc[1])
    dual = pd.DataFrame({"label": ["IC"], "period": ["2022"], "value_usd": [2e9]})
    fig = valid_energy_figure(energy, dual, "A", 2021, 2022)
    rows = {(t.name, t.yaxis): list(t.y) for t in fig.data}
    assert rows[("Coal", "y3")] == [pytest.approx(120.0), None]
    assert rows[("Coal", "y2")] == [50.0, None]
    assert rows[("IC", "y4")] == [None, 2.0]
    bold = valid_energy_figure(energy, dual, "A", 2021, 2022, highlight="coal")
    assert {t.line.width for t in bold.data if t.name == "Coal"} == {4}


def test_change_table_and_shares() -> None:
    data = pd.DataFrame({"reporter": ["China", "China", "Hong Kong", "Hong Kong", "Armenia"],
                         "period": ["2021", "2024", "2021", "2024", "2024"],
                         "value_usd": [2e9, 3e9, 1e9, 1e9, None]})
    table = figures.change_table(data, ["reporter"], 2024).set_index("reporter")
    assert table.loc["China", "change_pct"] == pytest.approx(50.0)
    assert table.loc["Hong Kong", "share_latest_pct"] == pytest.approx(25.0)
    assert pd.isna(table.loc["Armenia", "value_latest"]) and pd.isna(table.loc["Armenia", "change_pct"])
    shares = figures.shares(data).set_index(["reporter", "period"])["share_pct"]
    assert shares[("China", "2021")] == pytest.approx(200 / 3)
    assert pd.isna(shares[("Armenia", "2024")])
    fig = valid_share_figure(data, "A", 2021, 2024)
    assert [t.name for t in fig.data] == ["China", "Hong Kong", "Armenia"]


def test_legend_rows_one_row_when_entries_fit_else_equal_columns() -> None:
    assert figures.legend_rows([], 1200) == 0
    assert figures.legend_rows(["China", "Türkiye", "Kazakhstan"], 1200) == 1
    # eight entries whose widths add up past 520 px: a grid of columns as wide as the widest entry
    names = ["China", "Hong Kong, China", "Türkiye", "Kazakhstan", "Kyrgyzstan", "Armenia",
             "United Arab Emirates", "Serbia"]
    widest = figures.ENTRY_PX + figures.CHAR_PX * len("United Arab Emirates")
    columns = int(520 // (widest + 6))
    assert figures.legend_rows(names, 520) == -(-len(names) // columns)
    assert figures.legend_rows(["a &amp; b"], 10) == 1  # escaped text counts as it is shown


def test_figures_reserve_room_for_their_legend_and_tilted_labels() -> None:
    frame = pd.DataFrame({"reporter": ["China", "United Arab Emirates"] * 2,
                          "label": ["CHPL Tier 1", "CHPL Tier 1", "CHPL Tier 2", "CHPL Tier 2"],
                          "value_usd": [1e9, None, 2e9, 3e9]})
    fig = figures.tier_figure(frame).to_plotly_json()
    layout = fig["layout"]
    assert layout["legend"]["yref"] == "container" and layout["legend"]["yanchor"] == "bottom"
    level = figures.X_TICKS_PX + figures.ROW_PX + figures.LEGEND_PAD_PX
    assert layout["xaxis"]["tickangle"] == 0 and layout["margin"]["b"] == level
    many = pd.DataFrame({"reporter": [f"Supplier with a long name {i}" for i in range(8)], "label": "CHPL Tier 1",
                         "value_usd": 1e9})
    tilted = figures.tier_figure(many).to_plotly_json()["layout"]
    assert tilted["xaxis"]["tickangle"] == -figures.TICK_ANGLE and tilted["margin"]["b"] > level
    go.Figure(fig)  # still valid for plotly
    go.Figure(figures.tier_figure(many).to_plotly_json())
