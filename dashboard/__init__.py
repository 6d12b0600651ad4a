"""The Chokepoint dashboard: create_app(settings) builds a Dash app over a read-only database connection."""
from __future__ import annotations

from pathlib import Path

import dash
from flask import Response, request

from dashboard import queries
from etl.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# Dash links every asset as /assets/<file>?m=<its modification time>: a changed file gets a new URL, so a browser may
# keep such a URL for good instead of asking again on every page (Flask's default for static files is no-cache).
ASSET_CACHE = "public, max-age=31536000, immutable"


def create_app(settings: Settings) -> dash.Dash:
    """A Dash app with one module per page under dashboard/pages and assets from assets/."""
    queries.configure(settings)
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(Path(__file__).resolve().parent / "pages"),
        assets_folder=str(ROOT / "assets"),
        suppress_callback_exceptions=True,
        title="Chokepoint",
        serve_locally=True,  # no CDN: the dashboard works offline; Bootstrap (Bootswatch Flatly) is in assets/vendor
    )
    from dashboard import data_rows, security
    from dashboard.shell import layout

    app.layout = layout
    security.install(app)
    _cache_versioned_assets(app)
    data_rows.install(app.server)  # the Data page's CSV, a plain GET route
    # Dash completes its setup (the callback map among it) on the first request it serves; a request arriving on
    # another thread meanwhile finds its callback missing and fails with HTTP 500. Serving one request here,
    # before any client's, closes that window in every process (each gunicorn worker included).
    app.server.test_client().get("/")
    return app


def _cache_versioned_assets(app: dash.Dash) -> None:
    """Asset URLs that carry their version (?m=) are kept by the browser; a bare asset URL is still revalidated."""
    prefix = f"{app.config.routes_pathname_prefix}{app.config.assets_url_path.strip('/')}/"

    @app.server.after_request
    def _cache(response: Response) -> Response:
        if request.args.get("m") and request.path.startswith(prefix) and response.status_code in (200, 304):
            response.headers["Cache-Control"] = ASSET_CACHE
        return response
