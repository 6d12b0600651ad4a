"""The chart that checks a claim, from the claim's chart spec (no Dash).

Figures are plain dicts (dashboard.figures.Figure), as on every other page: a plotly.graph_objects figure with
shapes validates its whole tree on every change, 70-180 ms per claim chart, against ~1 ms here.
tests/test_claims.py validates each chart with go.Figure.
"""
from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from dashboard import figures
from dashboard.article import trade_checks
from dashboard.article.evidence import DIRECTIONS, Evidence, strings
from dashboard.figures import Figure, esc

COLOURS = {"claim": "#c0392b", "data": "#2c3e50", "muted": "#95a5a6", "window": "rgba(243, 156, 18, 0.18)",
           "baseline": "#7f8c8d"}
SERIES_NAMES = {"total": "China–Russia trade (total)", "cn_to_ru": "China's exports to Russia",
                "ru_to_cn": "China's imports from Russia"}
INVASION = "2022-02-24"
WIDTH = 440  # px: the claim chart's plot area beside the article's text on a desktop screen


def _layout(title: str, yaxis: str | None = None, subtitle: str | None = None, **extra: Any) -> dict[str, Any]:
    heading: dict[str, Any] = {"text": esc(title), "font": {"size": 15}}
    if subtitle:  # plotly does not wrap titles: the long part goes on its own line
        heading["subtitle"] = {"text": esc(subtitle), "font": {"size": 12}}
    return {"title": heading, "template": figures.TEMPLATE, "font": figures.FONT,
            "yaxis": {"title": {"text": yaxis}}, "legend": {"orientation": "h"},
            "margin": {"t": 70 if subtitle else 50, "r": 10, "l": 55, "b": 10}, "height": 380, "annotations": [],
            "shapes": [], **extra}


def _figure(traces: list[dict[str, Any]], layout: dict[str, Any]) -> Figure:
    return figures.figure(traces, layout, WIDTH)


def _plain(values: Sequence[Any]) -> list[Any]:
    """Numbers for JSON, NULL (NaN, NA) as None: a gap, never 0."""
    return [None if pd.isna(v) else float(v) for v in values]


def headline_chart(frame: pd.DataFrame, spec: dict[str, object]) -> Figure:
    """The headline series by year, the claimed year highlighted, the claim drawn with its stated precision."""
    rows = frame[frame["direction"] == spec["series"]].sort_values("year")
    year = spec.get("year")
    years = [int(y) for y in rows["year"]]
    name = SERIES_NAMES.get(str(spec["series"]), str(spec["series"]))
    traces = [{"type": "bar", "x": years, "y": _plain(rows["value_usd"] / 1e9), "name": esc(name),
               "marker": {"color": [COLOURS["claim"] if y == year else COLOURS["data"] for y in years]},
               "hovertemplate": "%{x}: USD %{y:.1f} bn<extra></extra>"}]
    if year is not None:
        traces.append({"type": "scatter", "x": [year], "y": [float(spec["claimed"]) / 1e9], "mode": "markers",
                       "name": esc(f"Article: {spec['label']}"),
                       "marker": {"symbol": "diamond", "size": 12, "color": "#f39c12", "line": {"width": 1}},
                       "error_y": {"type": "constant", "value": float(spec["tolerance"]) / 1e9, "visible": True},
                       "hovertemplate": "Article: USD %{y:.1f} bn<extra></extra>"})
    return _figure(traces, _layout(f"{SERIES_NAMES.get(str(spec['series']))}: China customs, USD bn",
                                          "USD bn"))


def events_chart(frame: pd.DataFrame, spec: dict[str, object]) -> Figure:
    """The events timeline around the stated date, the stated window shaded and the matching event marked."""
    start, end = pd.Timestamp(str(spec["from"])), pd.Timestamp(str(spec["to"]))
    dates = pd.to_datetime(frame["event_date"])
    near = frame[(dates >= start - pd.DateOffset(months=9)) & (dates <= end + pd.DateOffset(months=9))]
    match = spec.get("match")
    chosen = near["title"] == (match.get("title") if isinstance(match, dict) else None)
    traces = []
    for mask, name, colour, size in ((~chosen, "Timeline events", COLOURS["data"], 9),
                                     (chosen, "Matching event", COLOURS["claim"], 15)):
        part = near[mask]
        traces.append({"type": "scatter", "x": [str(d) for d in part["event_date"]],
                       "y": [esc(j) for j in part["jurisdiction"]], "mode": "markers", "name": name,
                       "marker": {"size": size, "color": colour},
                       "customdata": [[esc(t), esc(s)] for t, s in zip(part["title"], part["source"])],
                       "hovertemplate": "%{x}: %{customdata[0]}<br>Source: %{customdata[1]}<extra></extra>"})
    x0, x1 = start.strftime("%Y-%m-%d"), (end + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    layout = _layout("Sanctions, export-control and diplomatic events", xaxis={"type": "date"})
    layout["shapes"].append({"type": "rect", "xref": "x", "yref": "paper", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
                             "fillcolor": COLOURS["window"], "line": {"width": 0}, "layer": "below"})
    layout["annotations"].append({"text": esc(f"Article: {spec['label']}"), "xref": "x", "yref": "paper", "x": x0,
                                  "y": 1, "xanchor": "left", "yanchor": "top", "showarrow": False})
    return _figure(traces, layout)


def goods_chart(ev: Evidence, spec: dict[str, object]) -> Figure:
    """The claim's categories per period (annual, else monthly), 2021 baseline and the invasion marked."""
    direction = str(spec["direction"])
    reporter, partner, flow, label = DIRECTIONS[direction]
    categories = strings(spec["categories"])
    found = trade_checks.flow_of(ev, categories, direction)
    freq = found.freq if found else "A"
    traces = []
    for category in categories:
        frame = ev.series(category, reporter, partner, flow, freq)
        x = ([int(p) for p in frame["period"]] if freq == "A"
             else [f"{p[:4]}-{p[4:6]}-01" for p in frame["period"].astype(str)])
        name = esc(ev.category_label(category))
        traces.append({"type": "bar", "x": x, "y": _plain(frame["value_usd"] / 1e6), "name": name,
                       "hovertemplate": "%{x}: USD %{y:,.1f} mn<extra>" + name + "</extra>"})
    invasion = 2021.5 if freq == "A" else INVASION
    layout = _layout(label, "USD mn", f"{spec['label']}; dashed line: the February 2022 invasion", barmode="stack",
                     xaxis={"type": "linear", "dtick": 1} if freq == "A" else {"type": "date"})
    layout["shapes"].append({"type": "line", "xref": "x", "yref": "paper", "x0": invasion, "x1": invasion,
                             "y0": 0, "y1": 1, "line": {"dash": "dash", "color": COLOURS["claim"]}})
    return _figure(traces, layout)


def price_chart(ev: Evidence, spec: dict[str, object]) -> Figure:
    """USD per tonne of China's imports from Russia against everyone else, per year after 2021."""
    traces = []
    for category in strings(spec["categories"]):
        values = trade_checks.unit_values(ev, category)
        if not values:
            continue
        years = [v[0] for v in values]
        name = esc(ev.category_label(category))
        traces.append({"type": "scatter", "x": years, "y": [v[1] for v in values], "name": f"{name}: Russia",
                       "mode": "lines+markers"})
        traces.append({"type": "scatter", "x": years, "y": [v[2] for v in values],
                       "name": f"{name}: other suppliers", "mode": "lines+markers", "line": {"dash": "dot"}})
    return _figure(traces, _layout("China's import prices: Russia vs other suppliers", "USD per tonne",
                                          xaxis={"type": "category"}))


def chart_frame(spec: dict[str, object], ev: Evidence) -> pd.DataFrame:
    """The numbers a claim's chart plots, for its CSV download."""
    kind = spec.get("chart")
    if kind == "headline":
        return ev.headline()[lambda f: f["direction"] == spec["series"]].reset_index(drop=True)
    if kind == "events":
        return ev.events()
    if kind == "goods":
        reporter, partner, flow, _ = DIRECTIONS[str(spec["direction"])]
        categories = strings(spec["categories"])
        found = trade_checks.flow_of(ev, categories, str(spec["direction"]))
        freq = found.freq if found else "A"
        parts = [ev.series(c, reporter, partner, flow, freq).assign(category=c, reporter_code=reporter,
                 partner_code=partner, flow=flow, freq=freq) for c in categories]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if kind == "price":
        rows = [(c, year, ru, rest) for c in strings(spec["categories"])
                for year, ru, rest in trade_checks.unit_values(ev, c)]
        return pd.DataFrame(rows, columns=["category", "year", "russia_usd_per_t", "other_suppliers_usd_per_t"])
    return pd.DataFrame()


def figure_for(spec: dict[str, object], ev: Evidence) -> tuple[Figure | None, str]:
    """(figure or None for an empty state, caption naming the source)."""
    kind = spec.get("chart")
    if kind == "headline":
        return headline_chart(ev.headline(), spec), ("Source: China customs (GACC) annual figures as reported in "
                                                     "the press (bundled reference data; one source per year).")
    if kind == "events":
        return events_chart(ev.events(), spec), "Source: Chokepoint's dated events timeline (a source per event)."
    if kind == "goods":
        return goods_chart(ev, spec), ("Source: trade_flow rows (UN Comtrade, or imported CSV files as named in "
                                       "the hover); one source per period and code, never added together.")
    if kind == "price":
        categories = strings(spec["categories"])
        sources = ", ".join(trade_checks.price_sources(ev, categories))
        return price_chart(ev, spec), f"Source: annual values and net weights of China's imports ({sources})."
    return None, str(spec.get("message", "Nothing to chart for this claim."))
