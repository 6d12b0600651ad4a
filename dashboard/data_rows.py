"""The Data page's rows: the capped selection, the grid's blocks of it, and its CSV, served at GET CSV_PATH.

The selection is the page filters' trade rows, cut at ROW_LIMIT (its first rows in code and period order). A plain
grid view reads each block straight from SQL in the selection's order; a sorted or filtered one sorts and filters
the capped selection in SQL (dash_trade_view) and joins names to the block's rows only, so every request costs at
most ROW_LIMIT rows whatever the size of the table. Answers are kept per data version by the query cache.
The CSV link sends the page filters as in the page URL and the grid's models as `view` JSON; it gets exactly the
rows the grid shows, in its order. No Dash import: the route is plain Flask.
"""
from __future__ import annotations

import json
from typing import Mapping

from flask import Flask, Response, request

from dashboard import export, filters, queries
from dashboard.grid_view import GridView, binds, grid_view

KEYS = ("years", "freq", "flow", "category", "reporter", "partner")  # the page's filter controls
URL_KEYS = ("from", "to", "freq", "flow", "category", "reporter", "partner")  # the same filters in a URL
DEFAULTS = filters.Filters(start=2013, end=2024)
ROW_LIMIT = 5000
BLOCK = 100  # rows per grid request, AG Grid's default block size
MAX_BLOCK = 500  # the most rows one request may ask for (a hand-made request cannot ask for the whole cap)
CSV_PATH = "/download/trade.csv"
CSV_NAME = "chokepoint_trade.csv"
_YEARS = frozenset(str(y) for y in range(filters.FIRST_YEAR, filters.LAST_YEAR + 1))
_CODES = frozenset(str(c) for c in filters.COUNTRIES)
ALLOWED = {"from": _YEARS, "to": _YEARS, "freq": frozenset(filters.FREQS), "flow": frozenset(filters.FLOWS),
           "category": frozenset(filters.CATEGORIES + ("",)), "reporter": _CODES, "partner": _CODES}  # the page's values
MAX_VIEW_CHARS = 2000  # the grid's models, compacted by the page: a few hundred characters (gunicorn's line: 4 kB)


def where(f: filters.Filters) -> dict[str, object]:
    """The selection's binds (every dash_trade_* query takes them)."""
    return {"reporter": f.reporter, "partner": f.partner, "flow": f.flow, "freq": f.freq, "category": f.category,
            **f.bounds()}


def selection_size(f: filters.Filters) -> int:
    """Rows in the selection, counted up to ROW_LIMIT + 1 (more than ROW_LIMIT: the selection is cut)."""
    frame = queries.cached_query("dash_trade_count", limit=ROW_LIMIT + 1, **where(f))
    return int(frame["n_rows"].iloc[0])


def block(f: filters.Filters, view: GridView, start: int, end: int) -> tuple[list[dict[str, object]], int | None]:
    """Rows start .. end - 1 of the selection as the grid sorts and filters it (dicts of the export columns, a
    missing value as None), and how many rows the view has when that is known: always for the plain view; for a
    sorted or filtered one, once a block comes back short (the grid keeps asking until then)."""
    start = min(max(start, 0), ROW_LIMIT)
    size = min(max(end - start, 0), MAX_BLOCK, ROW_LIMIT - start)
    if view.plain:
        rows = queries.cached_records("dash_trade_block", limit=size, offset=start, **where(f))
        return rows, min(selection_size(f), ROW_LIMIT)
    rows = queries.cached_records("dash_trade_view", cap=ROW_LIMIT, limit=size, offset=start, **where(f),
                                  **binds(view))
    return rows, start + len(rows) if len(rows) < size or start + size >= ROW_LIMIT else None


def selection_csv(f: filters.Filters, view: GridView) -> str:
    """Every row the grid can show (at most ROW_LIMIT), in its order and filtering, as export CSV."""
    if view.plain:
        return export.query_csv("dash_trade_block", limit=ROW_LIMIT, offset=0, **where(f))
    return export.query_csv("dash_trade_view", cap=ROW_LIMIT, limit=ROW_LIMIT, offset=0, **where(f), **binds(view))


# --- the CSV route ----------------------------------------------------------------------------------------------

class BadRequest(ValueError):
    """A download request with a parameter the page would never send (the message says which)."""


def parse_download(args: Mapping[str, list[str]]) -> tuple[filters.Filters, GridView]:
    """The page filters and grid view of a download URL; every parameter must be one the page itself writes."""
    for name, values in args.items():
        if name not in URL_KEYS + ("view",):
            raise BadRequest(f"unknown parameter {name[:40]!r}")
        if len(values) != 1:
            raise BadRequest(f"parameter {name!r} given more than once")
    given = {k: v[0] for k, v in args.items() if k != "view"}
    for name, value in given.items():
        if value not in ALLOWED[name]:
            raise BadRequest(f"invalid value for {name!r}")
    if int(given.get("from", DEFAULTS.start)) > int(given.get("to", DEFAULTS.end)):
        raise BadRequest("'from' is after 'to'")
    # Parsed as the page parses its controls, so the file holds what the grid shows (a code the page maps to its
    # default, such as World as reporter, maps the same way here).
    return filters.parse(given, DEFAULTS), _view(args.get("view", [""])[0])


def _view(text: str) -> GridView:
    if len(text) > MAX_VIEW_CHARS:
        raise BadRequest(f"view is longer than {MAX_VIEW_CHARS} characters")
    if not text:
        return GridView()
    try:
        model = json.loads(text)
    except ValueError:
        raise BadRequest("view is not JSON") from None
    if not isinstance(model, dict):
        raise BadRequest("view is not a JSON object with sortModel and filterModel")
    return grid_view(model)


def download() -> Response:
    """GET CSV_PATH: the Data page's rows as an attachment; HTTP 400 with a one-line reason for a bad request."""
    try:
        f, view = parse_download(request.args.to_dict(flat=False))
    except BadRequest as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    return Response(selection_csv(f, view), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{CSV_NAME}"', "Cache-Control": "no-store"})


def install(server: Flask) -> None:
    """Serve the download on the app's Flask server (before it handles its first request)."""
    server.add_url_rule(CSV_PATH, "trade_csv", download, methods=["GET"])


def download_query(f: filters.Filters) -> str:
    """The download URL's query for page filters `f` and the plain grid view (before the grid's first request)."""
    return filters.to_query(f, URL_KEYS)
