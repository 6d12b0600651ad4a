"""Component ids used across modules, in one place.

Filter controls use pattern-matching ids {"type": FILTER, "key": <URL key>} so the shell can mirror every
page's filters into the URL query with one callback. Chart cards use {"type": CHART_*, "chart": <name>}.
"""
from __future__ import annotations

URL = "url"
FRESHNESS = "freshness-banner"
PROGRESS = "refresh-progress"
PROGRESS_POLL = "refresh-progress-poll"

FILTER = "filter"
YEARS = "years"  # a RangeSlider whose value [from, to] maps to the URL keys `from` and `to`

GRAPH = "graph"
CHART_BODY = "chart-body"
CHART_DATA = "chart-data"
CHART_SOURCE = "chart-source"
CHART_CSV = "chart-csv"
CHART_DOWNLOAD = "chart-download"

OVERVIEW_KPIS = "overview-kpis"
DUAL_USE_TABLE = "dual-use-hs6-table"
SUPPLIERS_TABLE = "suppliers-table"
DATA_TABLE = "data-table"
DATA_NOTE = "data-table-note"
DATA_STATUS = "data-etl-status"
DOWNLOAD_CSV = "download-csv"


def filter_id(key: str) -> dict[str, str]:
    """The id of the control that holds URL key `key` (YEARS for the from/to pair)."""
    return {"type": FILTER, "key": key}


def chart_id(kind: str, chart: str) -> dict[str, str]:
    return {"type": kind, "chart": chart}
