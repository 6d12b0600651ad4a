"""Read-only data access for the dashboard: run_query(name, **params) -> DataFrame over named SQL.

cached_query() keeps answers per process, keyed on the data version (table data_version, bumped in the same
transaction as every load that changes data: init, import, refresh, article add). A refresh therefore invalidates
the cache the moment it commits, and until then every filter change a user makes is answered from memory. The
version is read in the same read transaction as the query, so a cached answer always belongs to the version it is
filed under. Queries over tables that change without a version bump (ETL runs, refresh progress) are never cached.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

import pandas as pd
from sqlalchemy import Engine

from etl.db import data_version, make_engine
from etl.queries import query_records as _query_records
from etl.queries import run_query as _run_query
from etl.settings import Settings

_state: dict[str, Engine] = {}
_lock = threading.Lock()
# etl_run and refresh_state rows are written without a data version bump (a failed run, refresh progress).
UNCACHED = frozenset({"refresh_progress", "freshness", "dash_etl_sources", "status_runs"})
CACHE_CELLS = 1_000_000  # rows x columns kept in memory per process, least recently used dropped first
_Key = tuple[int, str, tuple[tuple[str, object], ...]]
_T = TypeVar("_T")
_Answer = pd.DataFrame | tuple[dict[str, object], ...]
MEMO_ENTRIES = 64  # built views (an article's annotated text, a claim's chart) kept per process
FRAME_ENTRIES = 64  # frames derived for one filter choice (a page's series cut to the years shown)


class _Cache:
    """Query answers (frames, or rows as dicts) keyed on (data version, name, parameters), bounded by their total
    cell count."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.frames: OrderedDict[_Key, _Answer] = OrderedDict()
        self.cells = 0
        self.version = -1

    def get(self, key: _Key) -> _Answer | None:
        with _lock:
            frame = self.frames.get(key)
            if frame is not None:
                self.frames.move_to_end(key)
        return frame

    def put(self, key: _Key, frame: _Answer) -> None:
        size = _cells(frame)
        if size > self.limit:
            return
        with _lock:
            if key[0] > self.version:  # newer data: every older answer is stale
                self.clear_locked(key[0])
            if key[0] < self.version or key in self.frames:
                return
            self.frames[key] = frame
            self.cells += size
            while self.cells > self.limit:
                _old, dropped = self.frames.popitem(last=False)
                self.cells -= _cells(dropped)

    def clear_locked(self, version: int = -1) -> None:
        self.frames.clear()
        self.cells = 0
        self.version = version


def _cells(answer: _Answer) -> int:
    return answer.size if isinstance(answer, pd.DataFrame) else sum(len(row) for row in answer)


_cache = _Cache(CACHE_CELLS)
_memo: OrderedDict[tuple[int, Hashable], object] = OrderedDict()
_frames: OrderedDict[tuple[int, Hashable], object] = OrderedDict()  # apart: a slider drag never evicts a view


def configure(settings: Settings) -> None:
    """Point the dashboard at a database, through a read-only engine (and forget what another one answered)."""
    with _lock:
        old = _state.pop("engine", None)
        if old is not None:
            old.dispose()
        _state["engine"] = make_engine(settings.database_url, read_only=True,
                                       lock_timeout_s=settings.chokepoint_lock_timeout_s)
        _cache.clear_locked()
        _memo.clear()
        _frames.clear()


def engine() -> Engine:
    if "engine" not in _state:
        configure(Settings.from_env())
    return _state["engine"]


def run_query(name: str, **params: object) -> pd.DataFrame:
    """Run one named query (sql/queries/NAME.sql) in its own read transaction."""
    with engine().connect() as conn:
        return _run_query(conn, name, **params)


def cached_query(name: str, **params: object) -> pd.DataFrame:
    """run_query, answered from memory while the data version has not changed.

    The caller gets its own copy, so changing it never changes what the next caller sees.
    """
    if name in UNCACHED:
        return run_query(name, **params)
    with engine().connect() as conn:
        key = (data_version(conn), name, tuple(sorted(params.items())))
        hit = _cache.get(key)
        if hit is None:
            hit = _run_query(conn, name, **params)
            _cache.put(key, hit)
    assert isinstance(hit, pd.DataFrame)
    return hit.copy()


def cached_records(name: str, **params: object) -> list[dict[str, object]]:
    """A named query's rows as dicts (SQL NULL as None), cached as cached_query's answers are; for rows that are
    sent to the browser as they are. The caller gets its own dicts."""
    with engine().connect() as conn:
        if name in UNCACHED:
            return _query_records(conn, name, **params)
        key = (data_version(conn), f"{name} as records", tuple(sorted(params.items())))
        hit = _cache.get(key)
        if hit is None:
            hit = tuple(_query_records(conn, name, **params))
            _cache.put(key, hit)
    assert isinstance(hit, tuple)
    return [dict(row) for row in hit]


def current_data_version() -> int:
    with engine().connect() as conn:
        return data_version(conn)


def per_version(key: Hashable, build: Callable[[], _T]) -> _T:
    """build(), kept in memory until the data version changes: for views that are costly to derive from the data
    (an article's checked claims) and are the same for every visitor. The caller must not change the answer.

    The version is read before building, so a view built while a load commits is filed under the older version
    and is never served once the new version is seen.
    """
    return _remember(_memo, MEMO_ENTRIES, key, build)


def per_filters(key: Hashable, build: Callable[[], _T]) -> _T:
    """per_version for what a page derives from cached answers for one filter choice (a series cut to the years
    shown, the events touching a category), kept apart so that trying many filters never evicts a built view."""
    return _remember(_frames, FRAME_ENTRIES, key, build)


def _remember(store: OrderedDict[tuple[int, Hashable], object], entries: int, key: Hashable,
              build: Callable[[], _T]) -> _T:
    slot = (current_data_version(), key)
    with _lock:
        if slot in store:
            store.move_to_end(slot)
            return store[slot]  # type: ignore[return-value]
    value = build()
    with _lock:
        for old in [k for k in store if k[0] < slot[0]]:
            del store[old]
        store[slot] = value
        while len(store) > entries:
            store.popitem(last=False)
    return value
