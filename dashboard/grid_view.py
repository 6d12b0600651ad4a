"""The Data grid's sort and column filters: validated from the grid's request, applied to the capped selection.

The grid (AG Grid's infinite row model) sends its sortModel and filterModel with every block it asks for, and the
CSV link sends the same models. grid_view() keeps only allowed columns, directions, options and sizes (anything else
is ignored); apply() filters and sorts the selection's rows in memory, where the selection is at most the page's cap
(5,000 rows) and is kept per data version by the query cache. No Dash import: the download route uses it too.

Semantics: text filters are case-insensitive and literal (contains, equals, startsWith, endsWith); number filters
take inclusive bounds, or keep only missing (blank) or only reported (notBlank) values. Sorting puts missing values
first ascending and last descending; every sort is stable, so ties keep the selection's own order (hs_code, period,
source, classification) and blocks never overlap or skip a row.
"""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple

import numpy as np
import pandas as pd

NUMERIC = ("value_usd", "net_weight_kg", "qty")
# Columns the grid sorts and filters by (the allow-list); the others hold one value in any selection.
TEXT = ("period", "classification", "hs_code", "hs_description", "qty_unit", "source", "source_ref", "retrieved_at")
SORT_KEYS = 3  # sort columns honoured (shift-click adds more in the grid); the selection's order breaks ties
TEXT_OPTIONS = ("contains", "equals", "startsWith", "endsWith")
NUMBER_OPTIONS = ("equals", "greaterThanOrEqual", "lessThanOrEqual", "inRange", "blank", "notBlank")
MAX_FILTER_TEXT = 200

# One column filter: (column, kind, a, b). kind "text": a = option, b = lower-case text; "range": a, b = inclusive
# bounds (None = open); "blank": a = True keeps only missing values, False only reported ones.
Filter = tuple[str, str, object, object]


class GridView(NamedTuple):
    """The grid's sort keys and column filters; `plain` when it has neither.

    (A NamedTuple: Dash imports page modules without registering them, which dataclasses need; and it is hashable,
    so a view can be part of a cache key.)
    """

    sort: tuple[tuple[str, str], ...] = ()
    filters: tuple[Filter, ...] = ()

    @property
    def plain(self) -> bool:
        return not self.sort and not self.filters


def grid_view(request: Mapping[str, Any] | None) -> GridView:
    """The sort and filter models of a getRowsRequest, keeping only allowed columns, directions and options."""
    request = request if isinstance(request, Mapping) else {}
    sort_model = request.get("sortModel") if isinstance(request.get("sortModel"), list) else []
    sort = [(str(s.get("colId")), str(s.get("sort"))) for s in sort_model if isinstance(s, Mapping)]
    sort = [(c, d) for c, d in sort if c in TEXT + NUMERIC and d in ("asc", "desc")][:SORT_KEYS]
    model = request.get("filterModel") if isinstance(request.get("filterModel"), Mapping) else {}
    found: list[Filter] = []
    for column, spec in model.items():
        if isinstance(spec, Mapping):
            found += text_filter(column, spec) if column in TEXT else number_filter(column, spec)
    return GridView(tuple(sort), tuple(sorted(found, key=lambda f: f[0])))


def text_filter(column: str, spec: Mapping[str, Any]) -> list[Filter]:
    """A text column's filter, its text lower-cased (matching ignores case; % _ and backslash are plain text)."""
    kind, text = spec.get("type"), spec.get("filter")
    if kind not in TEXT_OPTIONS or not isinstance(text, str) or not text or len(text) > MAX_FILTER_TEXT:
        return []
    return [(column, "text", kind, text.lower())]


def number_filter(column: str, spec: Mapping[str, Any]) -> list[Filter]:
    """A measure's filter as inclusive bounds, or as 'only missing' / 'only reported'."""
    if column not in NUMERIC:
        return []
    kind, low, high = spec.get("type"), _number(spec.get("filter")), _number(spec.get("filterTo"))
    if kind in ("blank", "notBlank"):
        return [(column, "blank", kind == "blank", None)]
    bounds = {"equals": (low, low), "greaterThanOrEqual": (low, None), "lessThanOrEqual": (None, low),
              "inRange": (low, high)}.get(str(kind), (None, None))
    return [] if bounds == (None, None) else [(column, "range", *bounds)]


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


# --- applying a view to the selection ------------------------------------------------------------------------

def order(frame: pd.DataFrame, view: GridView) -> np.ndarray:
    """Positions of the selection's rows the view keeps, in the view's order."""
    keep = np.ones(len(frame), dtype=bool)
    for column, kind, a, b in view.filters:
        keep &= _mask(frame[column], kind, a, b)
    positions = np.flatnonzero(keep)
    for column, direction in reversed(view.sort):  # least significant key first; each sort stable
        positions = positions[_stable_order(frame[column].to_numpy()[positions], direction == "asc")]
    return positions


def apply(frame: pd.DataFrame, view: GridView) -> pd.DataFrame:
    """The selection's rows as the grid shows them: filtered, then sorted."""
    return frame if view.plain else frame.take(order(frame, view)).reset_index(drop=True)


def _mask(values: pd.Series, kind: str, a: object, b: object) -> np.ndarray:
    if kind == "blank":
        missing = values.isna().to_numpy()
        return missing if a else ~missing
    if kind == "range":
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            low = numbers >= a if a is not None else np.ones(len(numbers), dtype=bool)
            return low & (numbers <= b if b is not None else True)
    return _text_mask(values, str(a), str(b))


def _text_mask(values: pd.Series, option: str, text: str) -> np.ndarray:
    lower = values.astype("str").str.lower()  # missing stays missing and matches nothing
    if option == "contains":
        found = lower.str.contains(text, regex=False)
    elif option == "equals":
        found = lower == text
    elif option == "startsWith":
        found = lower.str.startswith(text)
    else:
        found = lower.str.endswith(text)
    return found.fillna(False).to_numpy(dtype=bool)


def _stable_order(values: np.ndarray, ascending: bool) -> np.ndarray:
    """A stable argsort with missing values first ascending and last descending (ties keep their order)."""
    missing = pd.isna(values)
    present = np.flatnonzero(~missing)
    ranked = present[np.argsort(values[present], kind="stable")] if ascending else present[
        _descending(values[present])]
    gaps = np.flatnonzero(missing)
    return np.concatenate([gaps, ranked]) if ascending else np.concatenate([ranked, gaps])


def _descending(values: np.ndarray) -> np.ndarray:
    """Stable descending argsort: reverse, sort ascending stably, reverse back (ties keep their original order)."""
    reversed_order = np.argsort(values[::-1], kind="stable")
    return (len(values) - 1 - reversed_order)[::-1]
