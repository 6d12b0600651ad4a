"""`make bench` (`python -m tests.benchmarks`): every performance figure, with its baseline, in one run.

Sizes: BENCH_ROWS rows in the large database (default 10,000,000), a tenth of that in the small one (the import
figure uses the small size too). Everything is written under one temporary folder, removed at the end; the
results go to docs/benchmarks.json and docs/benchmarks.md, and the table is printed. Exit code 1 if a target
is missed.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from etl.pipeline import init_db
from etl.settings import Settings
from tests.benchmarks import bench_callbacks, bench_import, bench_pages, bench_serve, bench_start, report, synthetic

LARGE = 10_000_000
FIGURES = ("import", "callbacks", "pages", "start", "memory", "concurrency")


def sizes() -> tuple[int, int, int]:
    """(small, large, core) row counts; BENCH_ROWS (a benchmark knob, not a product setting) sets the large one."""
    raw = os.environ.get("BENCH_ROWS", "").replace("_", "").strip()
    large = int(raw) if raw else LARGE
    if large < 1000:
        raise SystemExit("BENCH_ROWS must be at least 1000")
    small = large // 10
    return small, large, small // 2


class Run:
    """Progress on stderr with the time since the start, and the results so far."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.results: dict[str, Any] = {}

    def step(self, what: str, action: Callable[[], Any]) -> Any:
        began = time.perf_counter()
        print(f"[{began - self.start:6.1f} s] {what} ...", file=sys.stderr, flush=True)
        value = action()
        print(f"[{time.perf_counter() - self.start:6.1f} s] {what}: done in {time.perf_counter() - began:.1f} s",
              file=sys.stderr, flush=True)
        return value


def empty_database(folder: Path) -> str:
    """The schema and the bundled reference data only: no trade rows."""
    url = f"sqlite:///{folder / 'empty.db'}"
    init_db(Settings.from_env(environ={}, database_url=url))
    return url


def serve_and_measure(run: Run, folder: Path, urls: dict[str, str], pages: bool) -> dict[str, Any]:
    """One app process per database: figure 2's sessions side by side, then figure 3's loads taking turns; peak RSS
    each."""
    apps = {name: bench_serve.start_bench_app(url, folder / f"app-{name}.log") for name, url in urls.items()}
    try:
        names = list(apps)
        timings = run.step(f"callbacks at {', '.join(names)}, side by side",
                           lambda: bench_callbacks.run([apps[n][1] for n in names]))
        loads: dict[str, Any] = {}
        if pages:
            paths = bench_callbacks.Client(apps[names[0]][1]).paths
            loads = run.step(f"page loads at {', '.join(names)}, taking turns",
                             lambda: bench_pages.run({n: apps[n][1] for n in names}, paths))
        out: dict[str, Any] = {}
        for name, found in zip(names, timings):
            proc, _url = apps[name]
            out[name] = {"callbacks": found, "pages": loads.get(name),
                         "peak_rss_mb": bench_serve.peak_rss_mb(proc.pid)}
    finally:
        for proc, _url in apps.values():
            bench_serve.stop(proc)
    return out


def measure(run: Run, folder: Path, wanted: set[str]) -> dict[str, Any]:
    small, large, core = sizes()
    out: dict[str, Any] = {"rows": {"small": small, "large": large, "core": core}}
    if "import" in wanted:
        out["import"] = run.step(f"figure 1: import of {small:,} rows vs pandas + executemany",
                                 lambda: bench_import.run(folder, small, core))
    if not wanted & {"callbacks", "pages", "start", "memory", "concurrency"}:
        return out
    urls = {"empty": run.step("empty database", lambda: empty_database(folder))}
    for n in (small, large):
        urls[str(n)] = run.step(f"synthetic database of {n:,} rows",
                                lambda n=n: synthetic.build_database(folder, n, core).database_url)
    served = serve_and_measure(run, folder, {n: urls[n] for n in (str(small), str(large), "empty")},
                               pages="pages" in wanted)
    out["served"] = served
    if "start" in wanted:
        out["start"] = run.step("figure 4: cold start", lambda: bench_start.run(urls[str(large)]))
    if "concurrency" in wanted:
        bodies = [(t.label, b) for t in served[str(large)]["callbacks"].values() if not t.label.startswith("echo")
                  for b in t.bodies]
        out["concurrency"] = run.step("figure 6: 20 clients against gunicorn", lambda: concurrency(urls[str(large)],
                                                                                                   bodies, folder))
    return out


def concurrency(database_url: str, bodies: list[tuple[str, dict[str, Any]]], folder: Path) -> dict[str, Any]:
    log = folder / "gunicorn.log"
    proc, url = bench_serve.start_gunicorn(database_url, log)
    try:
        found = bench_serve.load(url, bodies)
    finally:
        bench_serve.stop(proc)
    if found["errors"]:  # the log goes with the temporary folder: show why before it does
        print(f"{found['errors']} failed requests {found['failed']}; gunicorn's log ends:\n"
              f"{log.read_text()[-6000:]}", file=sys.stderr)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated figures to run (for iterating; "
                                       f"the published docs need all): {', '.join(FIGURES)}")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave docs/ alone")
    args = parser.parse_args(argv)
    wanted = set(args.only.split(",")) if args.only else set(FIGURES)
    run = Run()
    with tempfile.TemporaryDirectory(prefix="chokepoint-bench-") as tmp:
        raw = measure(run, Path(tmp), wanted)
    results = report.results(raw, time.perf_counter() - run.start)
    table = report.markdown(results)
    if not args.no_write and wanted == set(FIGURES):
        report.write(results, table)
    print(table)
    return 0 if all(t["pass"] for t in results["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
