"""Pure figure builders: DataFrame -> Figure, the plain dict plotly.js draws (no Dash import).

Every series is laid on the full period axis first, so a period nobody reported is None: a gap in the line
(connectgaps=False), never a drop to zero. Text that comes from data is HTML-escaped before plotly sees it.
Traces and layout are collected as plain dicts and turned into a figure once (see figure()): adding traces and
updating the layout step by step re-validates the figure each time and costs ten times more, on every callback.
"""
from __future__ import annotations

import html
import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

BN = 1e9
BASE_YEAR = 2021
EXPORT_COLOR, IMPORT_COLOR, TOTAL_COLOR, EVENT_COLOR = "#c0392b", "#2c3e50", "#f39c12", "#7f8c8d"
PALETTE = ("#2c7fb8", "#e6550d", "#31a354", "#756bb1", "#d62728", "#17becf", "#8c564b", "#e377c2", "#bcbd22",
           "#636363")
# A small template in the spirit of plotly_white: a named template costs ~25 ms per figure to copy and validate,
# this dict about 0.2 ms (callbacks build figures on every filter change).
_GRID = "#e9eef3"
# Tick labels may overflow the figure ("allow"): automargin already makes room for them, and plotly's default for
# date and number axes ("hide past div") measures every tick label after drawing it, which made the four-panel
# Energy chart about 20-35 ms slower to appear, with the same pixels.
TEMPLATE = {"layout": {"paper_bgcolor": "white", "plot_bgcolor": "white", "colorway": list(PALETTE),
                       "xaxis": {"gridcolor": _GRID, "linecolor": _GRID, "zerolinecolor": _GRID, "automargin": True,
                                 "ticklabeloverflow": "allow"},
                       "yaxis": {"gridcolor": _GRID, "linecolor": _GRID, "zerolinecolor": "#d5dde5",
                                 "zerolinewidth": 1.5, "automargin": True, "ticklabeloverflow": "allow"},
                       "hoverlabel": {"align": "left"}}}
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
        "size": 13, "color": "#2c3e50"}


def esc(text: object) -> str:
    """Data text for plotly labels: escaped so tags in data show as text, never as markup."""
    return html.escape("" if text is None else str(text), quote=False)


def usd(value: float | None, digits: int = 1) -> str:
    """'USD 240.1 bn' / 'USD 12.3 m'; missing -> 'not reported'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not reported"
    if abs(value) >= BN:
        return f"USD {value / BN:,.{digits}f} bn"
    return f"USD {value / 1e6:,.{digits}f} m"


def pct(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:+.1f}%"


# --- periods ------------------------------------------------------------------------------------------------

def periods(freq: str, start: int, end: int) -> list[str]:
    """Every period from `start` to `end` (years): 'YYYY' for A, 'YYYYMM' for M."""
    if freq == "A":
        return [str(y) for y in range(start, end + 1)]
    return [f"{y}{m:02d}" for y in range(start, end + 1) for m in range(1, 13)]


def period_date(period: str) -> str:
    """The first day of a period, for a date axis ('2021' -> '2021-01-01', '202103' -> '2021-03-01')."""
    return f"{period[:4]}-{period[4:6] or '01'}-01"


def _xperiod(freq: str) -> dict[str, str]:
    return {"xperiod": "M12" if freq == "A" else "M1", "xperiodalignment": "middle"}


def _none(value: object) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def on_axis(frame: pd.DataFrame, axis: Sequence[str], series: str, value: str) -> dict[str, list[float | None]]:
    """{series: values on `axis`}, None where a period has no row or a NULL value (series in order of appearance).

    Plain Python over the columns: a pandas groupby costs more than the whole walk for the few hundred rows here.
    """
    position = {p: i for i, p in enumerate(axis)}
    out: dict[str, list[float | None]] = {}
    for name, period, number in zip(frame[series].tolist(), frame["period"].tolist(), frame[value].tolist()):
        if _missing(name):
            continue
        row = out.get(str(name))
        if row is None:
            row = out[str(name)] = [None] * len(axis)
        i = position.get(str(period))
        if i is not None:
            row[i] = _none(number)
    return out


def base_value(values: Sequence[float | None], axis: Sequence[str], base_year: int = BASE_YEAR) -> float | None:
    """The mean of a series over the base year's periods that carry a value; None if there are none."""
    known = [v for v, p in zip(values, axis) if p[:4] == str(base_year) and v is not None]
    return sum(known) / len(known) if known and sum(known) != 0 else None


def indexed(values: Sequence[float | None], axis: Sequence[str], base_year: int = BASE_YEAR) -> list[float | None]:
    """Values as an index, base year = 100; all None when the base year has no value."""
    base = base_value(values, axis, base_year)
    return [None if v is None or base is None else v / base * 100 for v in values]


def with_index(frame: pd.DataFrame, series: str, value: str = "value_usd",
               base_year: int = BASE_YEAR) -> pd.DataFrame:
    """`frame` plus an index column (base year = 100) per series, for CSV export of the indexed view."""
    names, periods = frame[series].tolist(), frame["period"].astype(str).tolist()
    values = [_none(v) for v in frame[value].tolist()]
    known: dict[object, list[float]] = {}
    for name, period, number in zip(names, periods, values):
        if period[:4] == str(base_year) and number is not None and not _missing(name):
            known.setdefault(name, []).append(number)
    base = {name: sum(v) / len(v) for name, v in known.items() if sum(v) != 0}  # the rule of base_value()
    index = [None if v is None or _missing(n) or n not in base else v / base[n] * 100 for n, v in zip(names, values)]
    return frame.assign(index_2021_100=pd.Series(index, index=frame.index, dtype=object))


# --- layout helpers -----------------------------------------------------------------------------------------

Trace = dict[str, Any]


class Figure:
    """A figure as plotly.js takes it, {"data": [...], "layout": {...}}, built from plain dicts once.

    go.Figure would build a validated object tree for every trace and deep-copy it again to serialise it:
    ~10 ms per chart, on every callback. The dicts here come from this module only, and tests/test_figures.py
    validates each builder's output with go.Figure(fig.to_plotly_json()).
    """

    def __init__(self, traces: list[Trace], layout: dict[str, Any]) -> None:
        self.plain = {"data": traces, "layout": layout}

    def to_plotly_json(self) -> dict[str, Any]:
        return self.plain


# Room for the legend, so plotly draws a chart once. Its automargin makes room for whatever the margins cannot hold
# (a legend, tick labels) by drawing the whole chart a second time, which doubles the time a chart takes to appear.
# A horizontal legend sits at the figure's foot, and the bottom margin is sized for it up front: its rows are
# estimated from the entries' text at the plot width the chart has on a desktop screen. When the estimate falls
# short (a narrow screen, long names), automargin still makes room, at the cost of the second draw.
PLOT_WIDTH = 1200  # px: the plot area of a full-width card on a 1366 px screen
HALF_WIDTH = 520  # px: the same for a card in a half-width column (the Suppliers page's shares and tiers)
CHAR_PX, ENTRY_PX, ROW_PX, LEGEND_PAD_PX = 6.8, 44, 20, 10  # 13 px text: per character; symbol and gaps; a row
X_TICKS_PX = 30  # the x axis's tick labels, under the plot
TICK_ANGLE = 30  # degrees: category labels tilted when they do not fit side by side


def category_ticks(labels: Sequence[str], width: float) -> tuple[dict[str, Any], float]:
    """A category x axis's tick settings and the height of its labels: level when they fit side by side, else
    tilted by TICK_ANGLE (set here, so the height is known before plotly draws)."""
    longest = max((CHAR_PX * len(html.unescape(label)) for label in labels), default=0.0)
    if (longest + 12) * len(labels) <= width:
        return {"tickangle": 0}, X_TICKS_PX
    return {"tickangle": -TICK_ANGLE}, longest * math.sin(math.radians(TICK_ANGLE)) + X_TICKS_PX


def legend_rows(names: Sequence[str], width: float) -> int:
    """Rows a horizontal legend takes: one when every entry fits side by side, else a grid of equal columns."""
    if not names:
        return 0
    widths = [ENTRY_PX + CHAR_PX * len(html.unescape(n)) for n in names]
    if sum(widths) <= width:
        return 1
    columns = max(1, int(width // (max(widths) + 6)))
    return math.ceil(len(names) / columns)


def _legend_room(traces: list[Trace], layout: dict[str, Any], width: float, ticks_px: float) -> None:
    """Place a horizontal legend at the figure's foot and size the bottom margin for its rows."""
    legend = layout.get("legend") or {}
    if legend.get("orientation") != "h" or layout.get("showlegend") is False:
        return
    names = [str(t.get("name") or "") for t in traces if t.get("showlegend", True) is not False and t.get("name")]
    rows = legend_rows(names, width)
    layout["legend"] = legend | {"x": 0, "xanchor": "left", "y": 0, "yref": "container", "yanchor": "bottom"}
    margin = layout.setdefault("margin", {})
    margin["b"] = max(int(margin.get("b", 0)), math.ceil(ticks_px) + (rows * ROW_PX + LEGEND_PAD_PX if rows else 0))


def figure(traces: list[Trace], layout: dict[str, Any], width: float = PLOT_WIDTH,
           ticks_px: float = X_TICKS_PX) -> Figure:
    """The figure, its legend given room for `width` px of plot (the chart's width on a desktop screen) under
    `ticks_px` of x tick labels."""
    _legend_room(traces, layout, width, ticks_px)
    return Figure(traces, layout)


def date_axis(freq: str) -> dict[str, Any]:
    """A date x axis; annual data gets one tick per year, its label centred on the year."""
    if freq == "A":
        return {"type": "date", "dtick": "M12", "tickformat": "%Y", "ticklabelmode": "period"}
    return {"type": "date"}


def base_layout(y_title: str, height: int = 420, freq: str = "M") -> dict[str, Any]:
    return {"template": TEMPLATE, "font": FONT, "height": height, "yaxis": {"title": {"text": y_title}},
            "xaxis": date_axis(freq), "hovermode": "x unified", "legend": {"orientation": "h"},
            "margin": {"t": 24, "r": 16, "l": 76, "b": 24}, "annotations": [], "shapes": []}


def line(x: Sequence[str], y: Sequence[float | None], name: str, color: str, freq: str, **extra: Any) -> Trace:
    """A line trace that breaks at None (connectgaps False), placed mid-period on a date axis."""
    trace = {"type": "scatter", "x": list(x), "y": list(y), "name": name, "mode": "lines+markers",
             "connectgaps": False, "line": {"color": color, "width": 2}, "marker": {"size": 5}, **_xperiod(freq)}
    return trace | extra


def event_hover(row: Mapping[str, Any]) -> str:
    return f"{esc(row['event_date'])} · {esc(row['jurisdiction'])} {esc(row['kind']).replace('_', ' ')}<br>" \
           f"{esc(row['title'])}"


def add_events(traces: list[Trace], layout: dict[str, Any], events: pd.DataFrame | None, start: int, end: int,
               lines: bool = False) -> None:
    """Events within [start, end] as diamonds in a strip above the plot (hover: date, jurisdiction, title).

    The timeline has tens of rows: they are read as plain lists, which costs a fraction of filtering the frame
    and turning the kept rows into records on every filter change."""
    if events is None or events.empty:
        return
    first, last = str(start), str(end)
    fields = ("event_date", "jurisdiction", "kind", "title")
    shown = [dict(zip(fields, row)) for row in zip(*(events[f].tolist() for f in fields))
             if isinstance(row[0], str) and first <= row[0][:4] <= last]
    if not shown:
        return
    dates = [r["event_date"] for r in shown]
    traces.append({"type": "scatter", "x": dates, "y": [0.5] * len(shown), "yaxis": "y9",
                   "mode": "markers", "name": "Sanctions events", "hoverinfo": "text",
                   "marker": {"symbol": "diamond", "size": 10, "color": EVENT_COLOR},
                   "hovertext": [event_hover(r) for r in shown]})
    # The strip has its own hidden axis, so markers never cover the data or depend on its scale.
    layout["yaxis"]["domain"] = [0, 0.9]
    layout["yaxis9"] = {"domain": [0.93, 1], "range": [0, 1], "visible": False, "fixedrange": True}
    layout["annotations"].append({"text": "events", "xref": "paper", "yref": "paper", "x": 0, "y": 0.965,
                                  "xanchor": "right", "showarrow": False,
                                  "font": {"size": 11, "color": EVENT_COLOR}})
    if lines:
        layout["shapes"] += [{"type": "line", "xref": "x", "yref": "paper", "x0": d, "x1": d, "y0": 0, "y1": 1,
                              "line": {"color": EVENT_COLOR, "width": 1, "dash": "dot"}, "opacity": 0.5}
                             for d in dates]


def _bn(value: float | None) -> float | None:
    return None if value is None else value / BN


# --- Overview -----------------------------------------------------------------------------------------------

def headline_figure(frame: pd.DataFrame, events: pd.DataFrame | None = None,
                    label_year: int | None = None) -> Figure:
    """China customs headline trade: exports/imports stacked where the split is known, the total as a line."""
    axis = [str(y) for y in frame["year"]]
    x = [period_date(p) for p in axis]
    total = [_none(v) for v in frame["total_usd"]]
    traces: list[Trace] = [
        {"type": "bar", "x": x, "y": [_bn(_none(v)) for v in frame[column]], "name": name, "marker_color": color,
         "hovertemplate": "%{y:.1f} bn", **_xperiod("A")}
        for column, name, color in (("cn_to_ru_usd", "China → Russia (China's exports)", EXPORT_COLOR),
                                    ("ru_to_cn_usd", "Russia → China (China's imports)", IMPORT_COLOR))]
    traces.append(line(x, [_bn(v) for v in total], "Total trade", TOTAL_COLOR, "A",
                       line={"color": TOTAL_COLOR, "width": 3}, marker={"size": 6}, hovertemplate="%{y:.1f} bn"))
    layout = base_layout("USD bn", freq="A") | {"barmode": "stack"}
    layout["annotations"] += _peak_label(x, total, label_year) + _disputed(frame, x, total)
    if axis:
        add_events(traces, layout, events, int(axis[0]), int(axis[-1]))
    return figure(traces, layout)


def _disputed(frame: pd.DataFrame, x: Sequence[str], total: Sequence[float | None]) -> list[dict[str, Any]]:
    """A mark over each year whose reference note flags the figure as doubtful, the note on hover."""
    if "note" not in frame:
        return []
    return [{"x": f"{d[:4]}-07-02", "y": v / BN, "text": "disputed", "hovertext": esc(note), "showarrow": False,
             "yshift": 16, "font": {"size": 11, "color": EVENT_COLOR}}
            for d, v, note in zip(x, total, frame["note"]) if v is not None and str(note).startswith("SUSPECT")]


def _peak_label(x: Sequence[str], total: Sequence[float | None], year: int | None) -> list[dict[str, Any]]:
    """Label `year`'s total (saying whether it was a record up to then), or the series maximum."""
    known = [(v, d) for v, d in zip(total, x) if v is not None]
    if not known:
        return []
    labelled = [(v, d) for v, d in known if d[:4] == str(year)]
    value, date = labelled[0] if labelled else max(known)
    record = value >= max(v for v, d in known if d <= date)
    text = f"{date[:4]}: {usd(value)}" + (" — a record at the time" if record and labelled else "")
    # Bars and markers sit mid-year (xperiodalignment); the label points there too.
    return [{"x": f"{date[:4]}-07-02", "y": value / BN, "text": text, "showarrow": True, "arrowhead": 2,
             "ax": -170, "ay": -8, "font": {"size": 13, "color": "#b9770e"}, "bgcolor": "rgba(255,255,255,0.9)"}]


def headline_kpis(frame: pd.DataFrame, base_year: int = BASE_YEAR) -> list[tuple[str, str, str]]:
    """(label, value, detail) cards: latest total, peak, change since the base year, latest split."""
    rows = {int(r.year): r for r in frame.itertuples()}
    known = [(y, _none(r.total_usd)) for y, r in rows.items() if _none(r.total_usd) is not None]
    if not known:
        return [("China–Russia trade", "not reported", "run `python -m etl init`")]
    latest_year, latest = max(known)
    peak_value, peak_year = max((v, y) for y, v in known)
    base = _none(rows[base_year].total_usd) if base_year in rows else None
    change = (latest / base - 1) * 100 if base else None
    split = rows[latest_year]
    return [
        (f"Total trade {latest_year}", usd(latest), "China customs, both directions"),
        ("Peak year", usd(peak_value), f"in {peak_year}"),
        (f"Change {base_year}–{latest_year}", pct(change), f"{usd(base)} in {base_year}"),
        (f"China → Russia {latest_year}", usd(_none(split.cn_to_ru_usd)), "China's exports"),
        (f"Russia → China {latest_year}", usd(_none(split.ru_to_cn_usd)), "China's imports"),
    ]


def flows_figure(frame: pd.DataFrame, freq: str, start: int, end: int, labels: dict[str, str],
                 events: pd.DataFrame | None = None) -> Figure:
    """All-goods flows per period (one line per flow), gaps kept."""
    axis = periods(freq, start, end)
    x = [period_date(p) for p in axis]
    series = on_axis(frame, axis, "flow", "value_usd")
    traces = [line(x, [_bn(v) for v in series[flow]], labels.get(flow, flow), color, freq, marker={"size": 4},
                   hovertemplate="%{y:.2f} bn")
              for flow, color in (("X", EXPORT_COLOR), ("M", IMPORT_COLOR)) if flow in series]
    layout = base_layout("USD bn", freq=freq)
    add_events(traces, layout, events, start, end)
    return figure(traces, layout)


# --- category series (Dual-use, Energy, Suppliers) ----------------------------------------------------------

def series_figure(frame: pd.DataFrame, freq: str, start: int, end: int, view: str = "usd",
                  series: str = "label", events: pd.DataFrame | None = None, height: int = 420,
                  highlight: str | None = None) -> Figure:
    """One line per series (e.g. category), USD bn or indexed to 2021 = 100, with gaps where not reported.

    `highlight` names a series drawn bold while the others fade.
    """
    axis = periods(freq, start, end)
    x = [period_date(p) for p in axis]
    traces = []
    for i, (name, values) in enumerate(on_axis(frame, axis, series, "value_usd").items()):
        y = indexed(values, axis) if view == "index" else [_bn(v) for v in values]
        color = PALETTE[i % len(PALETTE)]
        emphasis = {} if highlight is None else (
            {"line": {"color": color, "width": 4}} if name == highlight else {"opacity": 0.35})
        traces.append(line(x, y, esc(name), color, freq, **emphasis,
                           hovertemplate="%{y:.1f}" if view == "index" else "%{y:.3f} bn"))
    layout = base_layout("Index, 2021 = 100" if view == "index" else "USD bn", height, freq)
    add_events(traces, layout, events, start, end, lines=True)
    if view == "index":
        layout["shapes"].append({"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": 100,
                                 "y1": 100, "line": {"color": "#95a5a6", "width": 1, "dash": "dash"}})
    return figure(traces, layout)


def events_touching(events: pd.DataFrame, codes: Iterable[str], chpl_codes: Iterable[str] = ()) -> pd.DataFrame:
    """Events whose hs_scope names a prefix of (or a code under) one of `codes`; 'CHPL' touches CHPL codes."""
    codes = [c for c in codes if c and c != "TOTAL"]
    chpl = set(chpl_codes)
    touches_chpl = any(c in chpl or any(k.startswith(c) for k in chpl) for c in codes)  # the same for every event

    def touches(scope: object) -> bool:
        if not isinstance(scope, str) or not scope.strip():
            return False
        for part in (p.strip() for p in scope.split(";") if p.strip()):
            if part == "CHPL" and touches_chpl:
                return True
            if any(c.startswith(part) or part.startswith(c) for c in codes):
                return True
        return False

    if events.empty:
        return events
    return events[[touches(scope) for scope in events["hs_scope"].tolist()]]


ENERGY_PANELS = (("value_usd", BN, "Russia → China energy, USD bn"),
                 ("tonnes", 1e6, "Russia → China energy, million tonnes"),
                 ("usd_per_tonne", 1, "Russia → China energy, USD per tonne"))


def energy_figure(energy: pd.DataFrame, dual: pd.DataFrame, freq: str, start: int, end: int,
                  highlight: str | None = None) -> Figure:
    """Four panels on one time axis: Russia → China energy in USD, tonnes, USD per tonne; China → Russia dual-use.

    `highlight` (an energy category name) is drawn bold while the other energy lines fade.
    """
    axis = periods(freq, start, end)
    x = [period_date(p) for p in axis]
    traces: list[Trace] = []
    for i, (name, (categories, panels)) in enumerate(_energy_panels(energy, axis).items()):
        color = PALETTE[i % len(PALETTE)]
        emphasis = {} if highlight is None else (
            {"line": {"color": color, "width": 4}} if highlight in categories else {"opacity": 0.35})
        for row, ((_column, scale, _title), values) in enumerate(zip(ENERGY_PANELS, panels), start=1):
            traces.append(line(x, [None if v is None else v / scale for v in values], esc(name), color, freq,
                               yaxis=f"y{row}" if row > 1 else "y", legendgroup=name, showlegend=row == 1,
                               **emphasis))
    for i, (name, values) in enumerate(on_axis(dual, axis, "label", "value_usd").items()):
        color = PALETTE[(i + 5) % len(PALETTE)]
        traces.append(line(x, [_bn(v) for v in values], esc(name), color, freq, yaxis="y4",
                           line={"color": color, "width": 2, "dash": "dot"}))
    return figure(traces, _panels_layout(freq))


def _energy_panels(energy: pd.DataFrame, axis: Sequence[str]
                   ) -> dict[str, tuple[set[str], list[list[float | None]]]]:
    """Per energy label: its categories and its USD, tonnes and USD-per-tonne values on `axis` (one pass)."""
    position = {p: i for i, p in enumerate(axis)}
    out: dict[str, tuple[set[str], list[list[float | None]]]] = {}
    columns = ("label", "category", "period", "value_usd", "net_weight_kg", "value_with_weight_usd")
    for name, category, period, value, weight, priced in zip(*(energy[c].tolist() for c in columns)):
        if _missing(name):
            continue
        categories, panels = out.setdefault(str(name), (set(), [[None] * len(axis) for _ in ENERGY_PANELS]))
        categories.add(category)
        i = position.get(str(period))
        if i is None:
            continue
        tonnes = None if _none(weight) is None else _none(weight) / 1000  # type: ignore[operator]
        paid = _none(priced)
        panels[0][i], panels[1][i] = _none(value), tonnes
        panels[2][i] = paid / tonnes if paid is not None and tonnes is not None and tonnes > 0 else None
    return out


def _panels_layout(freq: str) -> dict[str, Any]:
    """Four stacked y axes sharing one date x axis, each with its title above it."""
    titles = [t for _c, _s, t in ENERGY_PANELS] + ["China → Russia dual-use goods, USD bn"]
    layout = base_layout("", 860, freq) | {"margin": {"t": 36, "r": 16, "l": 76, "b": 24}}
    layout["xaxis"]["anchor"] = "y4"  # the shared time axis sits under the bottom panel
    for row, title in enumerate(titles):
        top = 1 - row * 0.25
        key = "yaxis" if row == 0 else f"yaxis{row + 1}"
        layout[key] = {"domain": [top - 0.2, top - 0.01], "anchor": "x", "title": {"text": ""}}
        layout["annotations"].append({"text": title, "xref": "paper", "yref": "paper", "x": 0.5, "y": top,
                                      "xanchor": "center", "yanchor": "bottom", "showarrow": False,
                                      "font": {"size": 14}})
    return layout


def price_per_tonne(frame: pd.DataFrame) -> pd.Series:
    """USD per tonne over the rows that report a weight; None where no weight was reported."""
    tonnes = frame["net_weight_kg"].astype("float64") / 1000
    value = frame["value_with_weight_usd"].astype("float64")
    return (value / tonnes.where(tonnes > 0)).astype("float64")


# --- Suppliers ---------------------------------------------------------------------------------------------

def shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Each supplier's share (%) of the period's total over suppliers that reported a value."""
    out = frame.copy()
    totals = out.groupby("period")["value_usd"].transform("sum", min_count=1)
    out["share_pct"] = (out["value_usd"].astype("float64") / totals * 100).astype("float64")
    return out


def share_figure(frame: pd.DataFrame, freq: str, start: int, end: int) -> Figure:
    """Stacked shares of suppliers per period (100% = the suppliers shown that reported); takes shares() or raw."""
    frame = frame if "share_pct" in frame else shares(frame)
    axis = periods(freq, start, end)
    x = [period_date(p) for p in axis]
    traces = [{"type": "bar", "x": x, "y": values, "name": esc(name), "marker_color": PALETTE[i % len(PALETTE)],
               "hovertemplate": "%{y:.1f}%", **_xperiod(freq)}
              for i, (name, values) in enumerate(on_axis(frame, axis, "reporter", "share_pct").items())]
    layout = base_layout("Share, %", 360, freq) | {"barmode": "stack"}
    return figure(traces, layout, HALF_WIDTH)


def tier_figure(frame: pd.DataFrame) -> Figure:
    """Grouped bars: each supplier's CHPL exports by tier over the chosen period range (one trace per tier, in
    label order; the rows are read as lists, a few tens of them)."""
    bars: dict[str, tuple[list[str], list[float | None]]] = {}
    for label, reporter, value in zip(frame["label"].tolist(), frame["reporter"].tolist(),
                                      frame["value_usd"].tolist()):
        if not _missing(label):
            x, y = bars.setdefault(label, ([], []))
            x.append(esc(reporter))
            y.append(_bn(_none(value)))
    traces = [{"type": "bar", "x": x, "name": esc(label), "y": y, "marker_color": PALETTE[i % len(PALETTE)],
               "hovertemplate": "%{y:.3f} bn"}
              for i, (label, (x, y)) in enumerate(sorted(bars.items()))]
    ticks, ticks_px = category_ticks([esc(r) for r in frame["reporter"].drop_duplicates()], HALF_WIDTH)
    layout = base_layout("USD bn", 360) | {"barmode": "group", "xaxis": {"type": "category", **ticks}}
    return figure(traces, layout, HALF_WIDTH, ticks_px)


def _add(total: float | None, value: object) -> float | None:
    """A sum that stays None until a value comes (pandas' sum with min_count=1)."""
    return total if _missing(value) else (0.0 if total is None else total) + float(value)  # type: ignore[arg-type]


def change_table(frame: pd.DataFrame, key: Sequence[str], latest_year: int,
                 base_year: int = BASE_YEAR) -> pd.DataFrame:
    """Per key: base-year value, latest-year value, change in %, share of the latest year (None when unknown)."""
    base: dict[tuple[object, ...], float | None] = {}
    latest: dict[tuple[object, ...], float | None] = {}
    years = (str(base_year), str(latest_year))
    keys = list(zip(*(frame[k].tolist() for k in key)))
    for k, period, value in zip(keys, frame["period"].astype(str).tolist(), frame["value_usd"].tolist()):
        base.setdefault(k, None)
        latest.setdefault(k, None)
        if period[:4] == years[0]:
            base[k] = _add(base[k], value)
        if period[:4] == years[1]:
            latest[k] = _add(latest[k], value)
    ordered = sorted(base, key=lambda k: tuple((_missing(v), str(v) if _missing(v) else v) for v in k))
    known = [v for v in latest.values() if v is not None]
    total = sum(known) if known else None
    change = [(latest[k] / base[k] - 1) * 100 if latest[k] is not None and base[k] else None for k in ordered]
    share = [latest[k] / total * 100 if latest[k] is not None and total else None for k in ordered]
    columns: dict[str, Any] = {name: [k[i] for k in ordered] for i, name in enumerate(key)}
    numbers = {"value_base": [base[k] for k in ordered], "value_latest": [latest[k] for k in ordered],
               "change_pct": change, "share_latest_pct": share}
    return pd.DataFrame(columns | {n: np.array(v, dtype="float64") for n, v in numbers.items()})
