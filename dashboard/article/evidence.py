"""The data claims are checked against, read through dashboard.queries once per page render (no Dash here)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import pandas as pd

from dashboard import queries

CHINA, RUSSIA, WORLD = 156, 643, 0
# Directions of China–Russia goods trade, as China reports them (Russia stopped reporting after 2021).
DIRECTIONS: dict[str, tuple[int, int, str, str]] = {
    "cn_to_ru": (CHINA, RUSSIA, "X", "China→Russia exports"),
    "ru_to_cn": (CHINA, RUSSIA, "M", "Russia→China (China's imports from Russia)"),
}


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict, the numbers behind it (hover), the chart that checks it and the page that shows more."""

    verdict: str  # supported | contradicted | unchecked
    hover: str
    chart: dict[str, object]
    link: str | None = None


class Evidence:
    """Lazily loaded query results, each fetched at most once per render."""

    def __init__(self, article: Mapping[str, object] | None = None,
                 run: Callable[..., pd.DataFrame] = queries.run_query) -> None:
        self.article = dict(article or {})
        self._run = run
        self._cache: dict[tuple[object, ...], pd.DataFrame] = {}
        self._event_records: list[dict[str, object]] | None = None
        self._countries: dict[int, str] | None = None

    def _get(self, name: str, **params: object) -> pd.DataFrame:
        key = (name, *sorted(params.items()))
        if key not in self._cache:
            self._cache[key] = self._run(name, **params)
        return self._cache[key]

    def headline(self) -> pd.DataFrame:
        return self._get("claim_headline")

    def events(self) -> pd.DataFrame:
        return self._get("claim_events")

    def event_records(self) -> list[dict[str, object]]:
        if self._event_records is None:
            self._event_records = [{str(k): v for k, v in row.items()} for row in self.events().to_dict("records")]
        return self._event_records

    def countries(self) -> dict[int, str]:
        if self._countries is None:
            frame = self._get("claim_countries")
            self._countries = {int(c): str(n) for c, n in zip(frame["code"], frame["name"])}
        return self._countries

    def category_codes(self, category: str) -> list[str]:
        frame = self._get("claim_categories")
        return list(frame.loc[frame["name"] == category, "hs_code"])

    def category_label(self, category: str) -> str:
        frame = self._get("claim_categories")
        labels = frame.loc[frame["name"] == category, "label"]
        return str(labels.iloc[0]) if len(labels) else category

    def series(self, category: str, reporter: int, partner: int, flow: str, freq: str) -> pd.DataFrame:
        """One category's values per period (value_usd, net_weight_kg, codes, *_reported, source)."""
        return self._get("claim_category_series", category=category, reporter=reporter, partner=partner,
                         flow=flow, freq=freq)


def strings(value: object) -> list[str]:
    """A JSON list from a claim's facts or a chart spec, as strings."""
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def number(value: object) -> float:
    """A number from a claim's facts (JSON), NaN when absent."""
    return float(value) if isinstance(value, (int, float, str)) and str(value) else math.nan


def is_number(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and not pd.isna(value)


def usd(value: float, decimals: int = 1) -> str:
    """USD 240.1 bn / USD 350 mn: the unit that keeps the number readable."""
    if abs(value) >= 1e9:
        return f"USD {value / 1e9:,.{decimals}f} bn"
    if abs(value) >= 1e6:
        return f"USD {value / 1e6:,.{decimals}f} mn"
    return f"USD {value:,.0f}"


def source_label(source: str) -> str:
    return "UN Comtrade" if source == "comtrade" else source
