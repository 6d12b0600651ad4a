"""The bundled reference data (etl/reference/*.csv) as rows for the reference tables."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
CHPL_FILE = "chpl_2024-02-23.csv"
CHPL_VERSION = "2024-02-23"
ENERGY_CATEGORIES = {"crude_oil", "coal", "natural_gas", "refined_oil"}
HEADLINE_DIRECTIONS = {
    "total_usd_bn": "total",
    "cn_exports_to_ru_usd_bn": "cn_to_ru",
    "cn_imports_from_ru_usd_bn": "ru_to_cn",
}


def read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def bundled_at() -> dict[str, str]:
    """When each reference file was bundled, keyed by the table it fills."""
    return {row["table"]: row["bundled_at"] for row in read_csv("MANIFEST.csv")}


def countries() -> list[dict[str, object]]:
    return [{"code": int(r["code"]), "iso3": r["iso3"], "name": r["name"], "watched": int(r["watched"])}
            for r in read_csv("countries.csv")]


def hs_codes() -> list[dict[str, object]]:
    return [{"code": r["code"], "level": int(r["level"]), "description": r["description"], "source": r["source"]}
            for r in read_csv("hs_codes.csv")]


def _category_kind(name: str) -> str:
    if name.startswith("chpl_"):
        return "chpl_tier"
    return "energy" if name in ENERGY_CATEGORIES else "dual_use"


def categories() -> list[dict[str, object]]:
    return [{"name": r["category"], "label": r["label"], "kind": _category_kind(r["category"]), "basis": r["basis"]}
            for r in read_csv("dual_use_categories.csv")]


def category_hs() -> list[dict[str, object]]:
    return [{"category": r["category"], "hs_code": code.strip()}
            for r in read_csv("dual_use_categories.csv") for code in r["hs_codes"].split(";") if code.strip()]


def chpl_items() -> list[dict[str, object]]:
    return [{"hs6": r["hs6"], "tier": r["tier"], "list_version": CHPL_VERSION,
             "description": r["description"], "source": r["source"]} for r in read_csv(CHPL_FILE)]


def headline_trade() -> Iterator[dict[str, object]]:
    """One row per year and direction; a blank figure stays None (not found is not zero)."""
    retrieved = bundled_at()["headline_trade"]
    for r in read_csv("china_russia_headline_trade.csv"):
        for column, direction in HEADLINE_DIRECTIONS.items():
            raw = r[column].strip()
            yield {"year": int(r["year"]), "direction": direction,
                   "value_usd": round(float(raw) * 1e9, 0) if raw else None,
                   "source": "China customs (GACC), as reported", "source_url": r["source_url"] or None,
                   "note": r["status"] or None, "retrieved_at": retrieved}


def events() -> list[dict[str, object]]:
    return [{"event_date": r["date"], "precision": r["precision"], "jurisdiction": r["jurisdiction"],
             "kind": r["kind"], "title": r["title"], "hs_scope": r["hs_scope"] or None, "source": r["source"]}
            for r in read_csv("sanctions_events.csv")]


def hs_concordance() -> list[dict[str, object]]:
    return [{"old_code": r["old_code"], "new_code": r["new_code"], "relation": r["relation"], "note": r["note"]}
            for r in read_csv("hs_concordance.csv")]
