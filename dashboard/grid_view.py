"""The Data grid's sort and column filters: validated from the grid's request, then bound into dash_trade_view.

The grid (AG Grid's infinite row model) sends its sortModel and filterModel with every block it asks for, and the
CSV link sends the same models. grid_view() keeps only allowed columns, directions, options and sizes (anything else
is ignored); binds() turns what is left into the named query's bound parameters, which sort and filter the capped
selection (at most the page's 5,000 rows) in SQL. No Dash import: the download route uses it too.

Semantics: text filters are case-insensitive and literal (contains, equals, startsWith, endsWith); number filters
take inclusive bounds, or keep only missing (blank) or only reported (notBlank) values. Sorting puts missing values
first ascending and last descending; the selection's own order (hs_code, period, source, classification) breaks
ties, so blocks never overlap or skip a row.
"""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple


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


# --- a view as the binds of dash_trade_view --------------------------------------------------------------------

LIKE_PATTERNS = {"contains": "%{}%", "equals": "{}", "startsWith": "{}%", "endsWith": "%{}"}


def binds(view: GridView) -> dict[str, object]:
    """The view as dash_trade_view's binds: sort1..3 and dir1..3, like_<column> (a lower-case LIKE pattern, the
    user's % _ and backslash escaped), min_/max_<measure> (inclusive) and null_<measure> (1 only missing, 0 only
    reported); None where the view has no such key or filter. fold is 1 when a text filter has a letter with a case
    (the values are lower-cased to match it), else 0 (digits and signs match alike in any case)."""
    out: dict[str, object] = {f"like_{c}": None for c in TEXT}
    texts = [str(b) for _column, kind, _a, b in view.filters if kind == "text"]
    out["fold"] = 1 if any(c.lower() != c.upper() for text in texts for c in text) else 0
    for measure in NUMERIC:
        out |= {f"min_{measure}": None, f"max_{measure}": None, f"null_{measure}": None}
    for i in range(1, SORT_KEYS + 1):
        column, direction = view.sort[i - 1] if i <= len(view.sort) else (None, None)
        out |= {f"sort{i}": column, f"dir{i}": direction}
    for column, kind, a, b in view.filters:
        if kind == "text":
            escaped = str(b).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            out[f"like_{column}"] = LIKE_PATTERNS[str(a)].format(escaped)
        elif kind == "range":
            out |= {f"min_{column}": a, f"max_{column}": b}
        else:
            out[f"null_{column}"] = 1 if a else 0
    return out
