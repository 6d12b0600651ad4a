"""`python app.py [--host 127.0.0.1] [--port 8050] [--debug]`: initialise the database if needed and serve."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Sequence

from etl.errors import ChokepointError
from etl.settings import Settings


def prepare(settings: Settings) -> None:
    """Ensure the schema and reference data exist; on first start, launch one refresh in its own process."""
    from etl.pipeline import init_db

    init_db(settings)
    try:
        from etl.refresh import start_first_refresh

        start_first_refresh(settings)  # no Comtrade data yet: one refresh in its own process; serving goes on
    except Exception as exc:  # noqa: BLE001 - the dashboard serves without it, and says a refresh is needed
        logging.getLogger("chokepoint").warning("could not start the first refresh: %s", exc)


def build_app(settings: Settings):  # type: ignore[no-untyped-def]
    """Prepare the database, then build the Dash app."""
    from dashboard import create_app

    prepare(settings)
    return create_app(settings)


def server():  # type: ignore[no-untyped-def]
    """The WSGI callable for production servers: gunicorn runs prepare() once, in its master (see
    dashboard/gunicorn_conf.py), so each worker only builds the app."""
    from dashboard import create_app

    return create_app(Settings.from_env()).server


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Chokepoint dashboard.")
    parser.add_argument("--host", help="address to bind (default CHOKEPOINT_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default CHOKEPOINT_PORT, 8050)")
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (never on a shared network)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(chokepoint_host=args.host, chokepoint_port=args.port)
        app = build_app(settings)
    except ChokepointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"Chokepoint dashboard on http://{settings.chokepoint_host}:{settings.chokepoint_port}/", flush=True)
    app.run(host=settings.chokepoint_host, port=settings.chokepoint_port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
