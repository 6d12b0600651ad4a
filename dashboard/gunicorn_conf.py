"""gunicorn settings for `make serve`: the dashboard in production, bound as CHOKEPOINT_HOST/CHOKEPOINT_PORT say.

The scheduler is NOT started here: refreshes run in their own service (`python -m etl schedule ...`), never inside
the web workers, where each worker would run its own copy.
"""
from __future__ import annotations

from etl.settings import Settings

_settings = Settings.from_env()

wsgi_app = "app:server()"
bind = [f"{_settings.chokepoint_host}:{_settings.chokepoint_port}"]
workers = _settings.chokepoint_workers
worker_class = "gthread"
threads = 4
timeout = 60
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"
# The Data page's CSV link carries the grid's sort and filter models in its query (up to 2,000 characters of JSON,
# more once URL-encoded): gunicorn's default request line of 4,094 bytes could refuse a long filter's link.
limit_request_line = 8190


def on_starting(_server: object) -> None:
    """Initialise the database once, in the master, before the workers fork."""
    from app import prepare

    prepare(Settings.from_env())
