"""The benchmark's results as docs/benchmarks.json (every figure) and docs/benchmarks.md (tables people read)."""
from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_callbacks import ROUTE_LABEL, Timings, summary
from tests.benchmarks.bench_pages import REPEATS, VISITS

ROOT = Path(__file__).resolve().parents[2]
JSON_PATH, MD_PATH = ROOT / "docs" / "benchmarks.json", ROOT / "docs" / "benchmarks.md"
ECHO = "echo (baseline)"
CALLBACK_GROWTH, CALLBACK_VS_ECHO, PAGE_VS_EMPTY, RSS_VS_EMPTY, IMPORT_VS_BASELINE, START_S = 1.5, 5.0, 1.5, 1.5, 2.0, 3.0


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip()
    versions = {p: metadata.version(p) for p in ("dash", "plotly", "pandas", "SQLAlchemy", "gunicorn")}
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 ** 2, 1),
            "os": platform.platform(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "chromium": chromium, **versions}


def _ratio(a: float, b: float) -> float:
    """a / b as measured; the tables round it, a target is judged on it unrounded (1.504x misses 1.5x)."""
    return a / b if b else float("inf")


def _target(figure: str, what: str, value: float, limit: float, unit: str = "x") -> dict[str, Any]:
    return {"figure": figure, "what": what, "value": round(value, 3), "limit": limit, "unit": unit,
            "pass": value <= limit}


def callbacks(served: dict[str, Any], small: str, large: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Figure 2 per callback at both sizes (and on the empty database), with its targets."""
    by_size = {name: summary(s["callbacks"]) for name, s in served.items()}
    targets = []
    for label in by_size[large]:
        if label == ECHO:
            continue
        growth = _ratio(by_size[large][label]["p95_ms"], by_size[small][label]["p95_ms"])
        by_size[large][label]["p95_vs_small"] = round(growth, 2)
        targets.append(_target("2", f"{label}: p95 at {int(large):,} / p95 at {int(small):,} rows", growth,
                               CALLBACK_GROWTH))
        if label == ROUTE_LABEL:
            continue  # a GET route, not a callback: its p95 against the echo callback's is shown, not targeted
        for size in (small, large):
            targets.append(_target("2", f"{label}: p95 / echo p95 at {int(size):,} rows",
                                   _ratio(by_size[size][label]["p95_ms"], by_size[size][ECHO]["p95_ms"]),
                                   CALLBACK_VS_ECHO))
    return by_size, targets


def pages(served: dict[str, Any], small: str, large: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Figure 3 per page: the large database against the empty one (the target) and against the small one."""
    out, targets = {}, []
    for path, loads in served[large]["pages"].items():
        empty, little = served["empty"]["pages"][path], served[small]["pages"][path]
        row = {"large_first_s": loads["first_s"], "empty_first_s": empty["first_s"],
               "large_repeat_s": loads["repeat_median_s"], "empty_repeat_s": empty["repeat_median_s"],
               "small_repeat_s": little["repeat_median_s"],
               "ratio_first": round(_ratio(loads["first_s"], empty["first_s"]), 2),
               "ratio_repeat": round(_ratio(loads["repeat_median_s"], empty["repeat_median_s"]), 2),
               "ratio_repeat_vs_small": round(_ratio(loads["repeat_median_s"], little["repeat_median_s"]), 2)}
        out[path] = row
        targets.append(_target("3", f"{path}: first visit, {int(large):,} rows / empty",
                               _ratio(loads["first_s"], empty["first_s"]), PAGE_VS_EMPTY))
        targets.append(_target("3", f"{path}: repeat visit, {int(large):,} rows / empty",
                               _ratio(loads["repeat_median_s"], empty["repeat_median_s"]), PAGE_VS_EMPTY))
    return out, targets


def results(raw: dict[str, Any], duration_s: float) -> dict[str, Any]:
    """Every figure and every target, from what __main__.measure returned."""
    small, large = str(raw["rows"]["small"]), str(raw["rows"]["large"])
    figures: dict[str, Any] = {}
    targets: list[dict[str, Any]] = []
    if "import" in raw:
        figures["1_import"] = raw["import"]
        targets.append(_target("1", "import time / pandas + executemany time",
                               _ratio(raw["import"]["import_s"], raw["import"]["baseline_s"]), IMPORT_VS_BASELINE))
    served = raw.get("served")
    if served:
        figures["2_callbacks"], found = callbacks(served, small, large)
        targets += found
        if served[large]["pages"]:
            figures["3_page_load"], found = pages(served, small, large)
            targets += found
        rss = {name: s["peak_rss_mb"] for name, s in served.items()}
        figures["5_memory"] = {"peak_rss_mb": rss, "ratio": round(_ratio(rss[large], rss["empty"]), 2)}
        targets.append(_target("5", f"peak RSS at {int(large):,} rows / empty", _ratio(rss[large], rss["empty"]),
                               RSS_VS_EMPTY))
    if "start" in raw:
        figures["4_cold_start"] = raw["start"]
        targets.append(_target("4", "python app.py to first HTTP 200 (median)", raw["start"]["median_s"], START_S,
                               "s"))
    if "concurrency" in raw:
        figures["6_concurrency"] = raw["concurrency"]
        targets.append(_target("6", "errors under 20 concurrent clients", raw["concurrency"]["errors"], 0, "")
                       | {"pass": raw["concurrency"]["errors"] == 0})
    return {"date": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "machine": machine(), "rows": raw["rows"], "duration_s": round(duration_s, 1), "figures": figures,
            "targets": targets}


def _fmt(value: Any, digits: int = 1) -> str:
    return f"{value:,.{digits}f}" if isinstance(value, (int, float)) else str(value)


def markdown(res: dict[str, Any]) -> str:
    """The readable report: machine, the targets, then each figure's table."""
    rows = res["rows"]
    small, large = str(rows["small"]), str(rows["large"])
    m = res["machine"]
    lines = [
        "# Benchmarks", "",
        f"Measured {res['date']} by `make bench` in {res['duration_s']:.0f} s on {m['cpu']} ({m['cores']} cores, "
        f"{m['memory_gb']} GB), {m['os']}, Python {m['python']}, SQLite {m['sqlite']}, {m['chromium']}; "
        f"dash {m['dash']}, plotly {m['plotly']}, pandas {m['pandas']}.", "",
        f"Databases: {int(small):,} and {int(large):,} synthetic `trade_flow` rows (source `synthetic`; "
        f"{rows['core']:,} of them are the slice the pages read, the same in both) and an empty one (schema and "
        "bundled reference data only). Every target is a ratio against a baseline measured in the same run; "
        "absolute figures are beside it. `BENCH_ROWS` sets the large size (default 10,000,000; the small one is "
        "a tenth), e.g. `make bench BENCH_ROWS=100000` for a quick run.", "",
        "## Targets", "", "| figure | what | measured | target | |", "|---|---|---|---|---|"]
    for t in res["targets"]:
        unit = t["unit"]
        lines.append(f"| {t['figure']} | {t['what']} | {_fmt(t['value'], 3 if unit == 'x' else 2)}{unit} | "
                     f"<= {t['limit']}{unit} | "
                     f"{'pass' if t['pass'] else '**MISS**'} |")
    figures = res["figures"]
    lines += _import_md(figures.get("1_import"))
    lines += _callbacks_md(figures.get("2_callbacks"), small, large)
    lines += _pages_md(figures.get("3_page_load"), small)
    lines += _start_md(figures.get("4_cold_start"))
    lines += _memory_md(figures.get("5_memory"), small, large)
    lines += _concurrency_md(figures.get("6_concurrency"))
    return "\n".join(lines) + "\n"


def _import_md(fig: dict[str, Any] | None) -> list[str]:
    if not fig:
        return []
    return ["", "## 1. Import", "",
            f"`python -m etl import` of a {fig['rows']:,}-row UN Comtrade-layout CSV (47 columns) into a fresh "
            "database, against pandas `read_csv` + `sqlite3.executemany` of the same rows in one transaction into "
            "an identically indexed table.", "",
            "| baseline | import | ratio |", "|---|---|---|",
            f"| {fig['baseline_s']:.1f} s | {fig['import_s']:.1f} s | {fig['ratio']:.2f} |"]


def _callbacks_md(fig: dict[str, Any] | None, small: str, large: str) -> list[str]:
    if not fig:
        return []
    s, l_ = f"{int(small):,}", f"{int(large):,}"
    lines = ["", "## 2. Callback latency", "",
             "HTTP POST `/_dash-update-component`, one keep-alive client per app, the callbacks discovered from "
             "`/_dash-dependencies`, 200 user actions each in one shuffled session: filter changes built from each "
             "page's real controls, pages opened from URLs with filters, CSV buttons, claim clicks, and the Data "
             "page's CSV route (below the table). The three apps "
             "(small, large, empty database) take turns call by call, so machine noise falls on all alike; each "
             "compares with the echo callback of its own app. Milliseconds.",
             "", f"| callback (outputs) | p50 {s} | p95 {s} | p50 {l_} | p95 {l_} | p95 {l_} / {s} | "
                 f"p95 / echo at {l_} | p95 empty db |", "|---|---|---|---|---|---|---|---|"]
    for label, big in fig[large].items():
        little, empty = fig[small][label], fig["empty"][label]
        vs_echo = f"{big['vs_echo_p95']:.2f}" + (" (for information: no target)" if label == ROUTE_LABEL else "")
        lines.append(f"| {label} | {little['p50_ms']:.1f} | {little['p95_ms']:.1f} | {big['p50_ms']:.1f} | "
                     f"{big['p95_ms']:.1f} | {_fmt(big.get('p95_vs_small', 1.0), 2)} | {vs_echo} | "
                     f"{empty['p95_ms']:.1f} |")
    if ROUTE_LABEL in fig[large]:
        lines += ["", f"`{ROUTE_LABEL}` is not a callback: the Data page's *Download CSV* is a link to that route. "
                  "It gets 200 timed GETs in the same shuffled session, each of the URL the link holds at that moment "
                  "(the Data view's filters and its grid's last sort and column filters), timed until the whole CSV "
                  "(up to 5,000 rows) arrived. Its target is the growth with the table (p95 large / small); its p95 "
                  "against the echo callback is shown for information only."]
    router = next((r for r in fig[large].values() if "by_page" in r), None)
    if router:
        lines += ["", "The page router (`_pages_content`) runs the layout function of the page a URL opens; its calls "
                  f"by page at {l_} rows:", "", "| page | calls | p50 | p95 |", "|---|---|---|---|"]
        lines += [f"| `{page}` | {r['calls']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |"
                  for page, r in router["by_page"].items()]
    return lines


def _pages_md(fig: dict[str, Any] | None, small: str) -> list[str]:
    if not fig:
        return []
    lines = ["", "## 3. Page load", "",
             "Headless Chromium, from navigation to every chart drawn (plot SVG, grid or empty state in every chart "
             f"card; nothing loading). Each page is opened {VISITS} times per database in a fresh browser context "
             f"(nothing cached), then loaded {REPEATS} more times in that context (scripts cached); the databases "
             f"take turns, visit by visit. First: the median of the {VISITS} first visits. Repeat: the median of the "
             f"{VISITS * REPEATS} loads after them. Seconds. On the empty database the Dual-use, Energy and "
             "Suppliers pages draw no chart and no grid (each card says what to load instead): plotly.js is loaded "
             "with every page, but neither the graph nor the grid component is fetched and nothing is drawn. Against "
             "it, the ratio prices drawing charts and grids at all. The last column compares the large database "
             "with the small one: the same pages drawing the same charts.", "",
             f"| page | first, large | first, empty | ratio | repeat, large | repeat, empty | ratio | "
             f"repeat, {int(small):,} | large / {int(small):,} |", "|---|---|---|---|---|---|---|---|---|"]
    for path, r in fig.items():
        lines.append(f"| `{path}` | {r['large_first_s']:.2f} | {r['empty_first_s']:.2f} | {r['ratio_first']:.2f} | "
                     f"{r['large_repeat_s']:.2f} | {r['empty_repeat_s']:.2f} | {r['ratio_repeat']:.2f} | "
                     f"{r['small_repeat_s']:.2f} | {r['ratio_repeat_vs_small']:.2f} |")
    return lines


def _start_md(fig: dict[str, Any] | None) -> list[str]:
    if not fig:
        return []
    return ["", "## 4. Cold start", "", "`python app.py` to the first HTTP 200 on `/`, over the large database.", "",
            f"Runs: {', '.join(f'{t:.2f} s' for t in fig['runs_s'])}; median {fig['median_s']:.2f} s."]


def _memory_md(fig: dict[str, Any] | None, small: str, large: str) -> list[str]:
    if not fig:
        return []
    rss = fig["peak_rss_mb"]
    return ["", "## 5. Memory", "", "Peak RSS (VmHWM) of the app process after serving figure 2 (and 3).", "",
            "| empty | " + f"{int(small):,} rows | {int(large):,} rows | ratio large / empty |", "|---|---|---|---|",
            f"| {rss['empty']:.0f} MB | {rss[small]:.0f} MB | {rss[large]:.0f} MB | {fig['ratio']:.2f} |"]


def _concurrency_md(fig: dict[str, Any] | None) -> list[str]:
    if not fig:
        return []
    return ["", "## 6. Concurrency", "",
            f"gunicorn (dashboard/gunicorn_conf.py, 2 workers x 4 threads) over the large database; {fig['clients']} "
            f"clients for {fig['seconds']:.0f} s, each sending figure 2's requests at random "
            f"({fig['callbacks_mixed']} callbacks and the Data CSV route mixed).", "",
            "| requests | throughput | p50 | p95 | errors |", "|---|---|---|---|---|",
            f"| {fig['requests']:,} | {fig['throughput_rps']:.1f} /s | {fig['p50_ms']:.0f} ms | {fig['p95_ms']:.0f} ms "
            f"| {fig['errors']} |"]


def _plain(value: Any) -> Any:
    if isinstance(value, Timings):
        return value.summary()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def write(res: dict[str, Any], table: str) -> None:
    JSON_PATH.write_text(json.dumps(_plain(res), indent=1) + "\n", encoding="utf-8")
    MD_PATH.write_text(table, encoding="utf-8")
