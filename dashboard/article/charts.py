"""The chart that checks a claim: pure plotly.graph_objects figures from the claim's chart spec (no Dash)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import figures
from dashboard.article import trade_checks
from dashboard.article.evidence import DIRECTIONS, Evidence, strings

COLOURS = {"claim": "#c0392b", "data": "#2c3e50", "muted": "#95a5a6", "window": "rgba(243, 156, 18, 0.18)",
           "baseline": "#7f8c8d"}
SERIES_NAMES = {"total": "China–Russia trade (total)", "cn_to_ru": "China's exports to Russia",
                "ru_to_cn": "China's imports from Russia"}


def _layout(fig: go.Figure, title: str, yaxis: str | None = None) -> go.Figure:
    fig.update_layout(title={"text": title, "font": {"size": 15}}, template=figures.TEMPLATE, yaxis_title=yaxis,
                      legend={"orientation": "h", "y": -0.2}, margin={"t": 50, "r": 10, "l": 55, "b": 10},
                      height=380)
    return fig


def headline_chart(frame: pd.DataFrame, spec: dict[str, object]) -> go.Figure:
    """The headline series by year, the claimed year highlighted, the claim drawn with its stated precision."""
    rows = frame[frame["direction"] == spec["series"]].sort_values("year")
    year = spec.get("year")
    colours = [COLOURS["claim"] if y == year else COLOURS["data"] for y in rows["year"]]
    fig = go.Figure(go.Bar(x=rows["year"], y=rows["value_usd"] / 1e9, marker_color=colours,
                           name=SERIES_NAMES.get(str(spec["series"]), str(spec["series"])),
                           hovertemplate="%{x}: USD %{y:.1f} bn<extra></extra>"))
    if year is not None:
        fig.add_scatter(x=[year], y=[float(spec["claimed"]) / 1e9], mode="markers", name=f"Article: {spec['label']}",
                        marker={"symbol": "diamond", "size": 12, "color": "#f39c12", "line": {"width": 1}},
                        error_y={"type": "constant", "value": float(spec["tolerance"]) / 1e9, "visible": True},
                        hovertemplate="Article: USD %{y:.1f} bn<extra></extra>")
    return _layout(fig, f"{SERIES_NAMES.get(str(spec['series']))}: China customs, USD bn", "USD bn")


def events_chart(frame: pd.DataFrame, spec: dict[str, object]) -> go.Figure:
    """The events timeline around the stated date, the stated window shaded and the matching event marked."""
    start, end = pd.Timestamp(str(spec["from"])), pd.Timestamp(str(spec["to"]))
    dates = pd.to_datetime(frame["event_date"])
    near = frame[(dates >= start - pd.DateOffset(months=9)) & (dates <= end + pd.DateOffset(months=9))]
    match = spec.get("match")
    chosen = near["title"] == (match.get("title") if isinstance(match, dict) else None)
    fig = go.Figure()
    for mask, name, colour, size in ((~chosen, "Timeline events", COLOURS["data"], 9),
                                     (chosen, "Matching event", COLOURS["claim"], 15)):
        part = near[mask]
        fig.add_scatter(x=part["event_date"], y=part["jurisdiction"], mode="markers", name=name,
                        marker={"size": size, "color": colour}, customdata=part[["title", "source"]],
                        hovertemplate="%{x}: %{customdata[0]}<br>Source: %{customdata[1]}<extra></extra>")
    fig.add_vrect(x0=start, x1=end + pd.Timedelta(days=1), fillcolor=COLOURS["window"], line_width=0,
                  annotation_text=f"Article: {spec['label']}", annotation_position="top left")
    fig.update_xaxes(type="date")
    return _layout(fig, "Sanctions, export-control and diplomatic events")


def goods_chart(ev: Evidence, spec: dict[str, object]) -> go.Figure:
    """The claim's categories per period (annual, else monthly), 2021 baseline and the invasion marked."""
    direction = str(spec["direction"])
    reporter, partner, flow, label = DIRECTIONS[direction]
    categories = strings(spec["categories"])
    found = trade_checks.flow_of(ev, categories, direction)
    freq = found.freq if found else "A"
    fig = go.Figure()
    for category in categories:
        frame = ev.series(category, reporter, partner, flow, freq)
        x = frame["period"].astype(int) if freq == "A" else pd.to_datetime(frame["period"], format="%Y%m")
        fig.add_bar(x=x, y=frame["value_usd"] / 1e6, name=ev.category_label(category),
                    hovertemplate="%{x}: USD %{y:,.1f} mn<extra>" + ev.category_label(category) + "</extra>")
    invasion = 2021.5 if freq == "A" else pd.Timestamp("2022-02-24").timestamp() * 1000
    fig.add_vline(x=invasion, line_dash="dash", line_color=COLOURS["claim"])
    fig.update_layout(barmode="stack")
    if freq == "A":
        fig.update_xaxes(type="linear", dtick=1)
    return _layout(fig, f"{label}: {spec['label']} (dashed line: February 2022 invasion)", "USD mn")


def price_chart(ev: Evidence, spec: dict[str, object]) -> go.Figure:
    """USD per tonne of China's imports from Russia against everyone else, per year after 2021."""
    fig = go.Figure()
    for category in strings(spec["categories"]):
        values = trade_checks.unit_values(ev, category)
        if not values:
            continue
        years = [v[0] for v in values]
        name = ev.category_label(category)
        fig.add_scatter(x=years, y=[v[1] for v in values], name=f"{name}: Russia", mode="lines+markers")
        fig.add_scatter(x=years, y=[v[2] for v in values], name=f"{name}: other suppliers", mode="lines+markers",
                        line={"dash": "dot"})
    return _layout(fig, "China's import prices: Russia vs other suppliers", "USD per tonne")


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


def figure_for(spec: dict[str, object], ev: Evidence) -> tuple[go.Figure | None, str]:
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
