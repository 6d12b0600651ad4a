"""The dashboard as `python app.py` serves it, plus one trivial echo callback: the baseline of figure 2.

`python -m tests.benchmarks.bench_app --port N` (DATABASE_URL from the environment). The echo callback lives only
in this benchmark's app instance, never in the product.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

import dash
from dash import Input, Output

from etl.settings import Settings

ECHO_IN, ECHO_OUT = "bench-echo-in", "bench-echo-out"


def build(settings: Settings) -> dash.Dash:
    """app.build_app(settings) with the echo callback registered before the first request."""
    from app import build_app

    app = build_app(settings)
    app.callback(Output(ECHO_OUT, "children"), Input(ECHO_IN, "value"), prevent_initial_call=True)(_echo)
    return app


def _echo(value: object) -> object:
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The dashboard plus an echo callback, for `make bench`.")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    settings = Settings.from_env(chokepoint_port=args.port)
    build(settings).run(host="127.0.0.1", port=args.port, debug=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
