"""`python -m etl COMMAND`: init | import | export | status | refresh | schedule | article add."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy.exc import DBAPIError

from etl import pipeline
from etl.db import describe_operational_error, make_engine
from etl.errors import ChokepointError, DatabaseError
from etl.export import EXPORT_COLUMNS, to_csv
from etl.queries import run_query
from etl.settings import Settings, SettingsError

log = logging.getLogger("etl")


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    result = pipeline.init_db(settings)
    state = f"{result.inserted} reference rows inserted or changed" if result.inserted else "already up to date"
    print(f"Database ready at {_where(settings)}: {state}.")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    pipeline.init_db(settings)
    result = pipeline.import_file(settings, Path(args.path), args.format, args.skip_invalid)
    print(f"Imported {args.path}: {result.inserted} inserted, {result.updated} updated, "
          f"{result.rejected} rejected, {result.skipped} skipped (breakdown or repeated rows); run {result.run_id}.")
    for line in result.messages:
        print(f"  rejected: {line}", file=sys.stderr)
    return 0


def export_params(args: argparse.Namespace) -> dict[str, object]:
    return {"reporter": args.reporter, "partner": args.partner, "flow": args.flow, "freq": args.freq,
            "hs": args.hs, "category": args.category, "period_from": args.period_from, "period_to": args.period_to}


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url, read_only=True, lock_timeout_s=settings.chokepoint_lock_timeout_s)
    with engine.connect() as conn:
        frame = run_query(conn, "export_trade", **export_params(args))
    frame = frame[list(EXPORT_COLUMNS)]
    if args.out == "-":
        to_csv(frame, sys.stdout)
    else:
        with open(args.out, "w", encoding="utf-8", newline="") as handle:
            to_csv(frame, handle)
        print(f"Wrote {len(frame)} rows to {args.out}.", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url, read_only=True, lock_timeout_s=settings.chokepoint_lock_timeout_s)
    with engine.connect() as conn:
        sources = run_query(conn, "status_sources")
        runs = run_query(conn, "status_runs", limit=args.runs)
    print(f"Database: {_where(settings)}")
    print("\nTrade rows per source:" if len(sources) else "\nNo trade rows yet: run `python -m etl refresh` "
          "(UN Comtrade) or `python -m etl import FILE`.")
    if len(sources):
        print(sources.to_string(index=False))
    print("\nLast runs:")
    print(runs.to_string(index=False, max_colwidth=80) if len(runs) else "  none")
    return 0


def cmd_refresh(args: argparse.Namespace, settings: Settings) -> int:
    from etl.refresh import cli_refresh

    return cli_refresh(args, settings)


def cmd_schedule(args: argparse.Namespace, settings: Settings) -> int:
    from etl.scheduler import cli_schedule

    return cli_schedule(args, settings)


def cmd_article_add(args: argparse.Namespace, settings: Settings) -> int:
    from etl.articles import cli_article_add

    pipeline.init_db(settings)
    return cli_article_add(args, settings)


def _where(settings: Settings) -> str:
    from etl.db import sqlite_path

    path = sqlite_path(settings.database_url)
    return str(path) if path else settings.database_url.split("@")[-1]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description="Chokepoint ETL: load trade data and "
                                     "reference data into the database.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("init", help="create the schema and load the bundled reference data (idempotent)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("import", help="load a CSV file (Comtrade Plus download or long format; plain or .gz)")
    p.add_argument("path", help="the CSV file")
    p.add_argument("--format", choices=("comtrade", "long"), help="force the layout instead of detecting it")
    p.add_argument("--skip-invalid", action="store_true", help="load the good rows and count the rejects")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="write trade rows with provenance as CSV")
    p.add_argument("--out", required=True, help="output file, or - for standard output")
    p.add_argument("--reporter", type=int, help="reporter country code (e.g. 156 China)")
    p.add_argument("--partner", type=int, help="partner country code (e.g. 643 Russia)")
    p.add_argument("--flow", choices=("X", "M", "RX", "RM"))
    p.add_argument("--freq", choices=("A", "M"))
    p.add_argument("--category", help="a category name, e.g. integrated_circuits or chpl_tier_1")
    p.add_argument("--hs", help="one HS code (TOTAL, 2, 4 or 6 digits)")
    p.add_argument("--from", dest="period_from", help="first period, YYYY or YYYYMM")
    p.add_argument("--to", dest="period_to", help="last period, YYYY or YYYYMM")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("status", help="rows per source, the last runs and their outcome, data freshness")
    p.add_argument("--runs", type=int, default=10, help="how many recent runs to list (default 10)")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("refresh", help="fetch the watchlist from UN Comtrade (incremental)")
    p.add_argument("--full", action="store_true", help="fetch every period again, not only missing/recent ones")
    p.add_argument("--only", metavar="NAME", help="only the watchlist entry NAME")
    p.add_argument("--since", metavar="PERIOD", help="only periods from PERIOD (YYYY or YYYYMM) on")
    p.set_defaults(func=cmd_refresh)

    p = sub.add_parser("schedule", help="run refresh on a schedule, in this process (APScheduler)")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--every", metavar="INTERVAL", help="e.g. 24h, 30m, 7d")
    when.add_argument("--cron", metavar="EXPR", help='a crontab expression, e.g. "0 6 * * *"')
    p.add_argument("--now", action="store_true", help="also run once right away")
    p.set_defaults(func=cmd_schedule)

    p = sub.add_parser("article", help="manage the articles the dashboard annotates")
    article_sub = p.add_subparsers(dest="article_command", required=True, metavar="ACTION")
    a = article_sub.add_parser("add", help="add an article (plain text or HTML file, or URL); prints its id")
    a.add_argument("source", metavar="FILE|URL")
    a.add_argument("--title", help="title (default: from the document)")
    a.add_argument("--author", help="author")
    a.add_argument("--outlet", help="publication")
    a.add_argument("--url", help="where it was published (for a FILE)")
    a.add_argument("--published", help="publication date, YYYY-MM-DD")
    a.set_defaults(func=cmd_article_add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    func: Callable[[argparse.Namespace, Settings], int] = args.func
    try:
        settings = Settings.from_env()
        return func(args, settings)
    except ChokepointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:
        print(f"error: {describe_operational_error(exc, Settings.from_env().database_url)}", file=sys.stderr)
        return DatabaseError.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing of the unfinished step was written.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - a bug or an unforeseen failure: one line, full detail with -v
        log.debug("unexpected failure", exc_info=True)
        print(f"error: unexpected {type(exc).__name__}: {exc}. The database was left as it was; run again with -v "
              "for details and report it.", file=sys.stderr)
        return 1
