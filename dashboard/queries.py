"""Read-only data access for the dashboard: run_query(name, **params) -> DataFrame over named SQL."""
from __future__ import annotations

import threading

import pandas as pd
from sqlalchemy import Engine

from etl.db import data_version, make_engine
from etl.queries import run_query as _run_query
from etl.settings import Settings

_state: dict[str, Engine] = {}
_lock = threading.Lock()


def configure(settings: Settings) -> None:
    """Point the dashboard at a database, through a read-only engine."""
    with _lock:
        old = _state.pop("engine", None)
        if old is not None:
            old.dispose()
        _state["engine"] = make_engine(settings.database_url, read_only=True,
                                       lock_timeout_s=settings.chokepoint_lock_timeout_s)


def engine() -> Engine:
    if "engine" not in _state:
        configure(Settings.from_env())
    return _state["engine"]


def run_query(name: str, **params: object) -> pd.DataFrame:
    """Run one named query (sql/queries/NAME.sql) in its own read transaction."""
    with engine().connect() as conn:
        return _run_query(conn, name, **params)


def current_data_version() -> int:
    with engine().connect() as conn:
        return data_version(conn)
