"""One refresh at a time: an exclusive lock on a file next to the database.

An fcntl lock belongs to the process holding the open file, so the kernel releases it when that process ends,
even by SIGKILL: a killed refresh never leaves a stale lock behind (a lock row in the database would).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

from etl.db import sqlite_path, utc_now
from etl.errors import DatabaseError


class RefreshBusy(DatabaseError):
    """Another refresh holds the lock."""


def lock_path(database_url: str) -> Path:
    """`<database file>.refresh.lock`; for server databases, a file in the temp folder named after the URL."""
    path = sqlite_path(database_url)
    if path is not None:
        return path.with_name(path.name + ".refresh.lock")
    without_password = database_url.split("@")[-1]
    digest = hashlib.sha1(without_password.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"chokepoint-refresh-{digest}.lock"


class RefreshLock:
    """`with RefreshLock(path):` holds the lock or raises RefreshBusy at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def __enter__(self) -> "RefreshLock":
        import fcntl

        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise RefreshBusy(f"Another refresh is running ({holder}); only one runs at a time. Wait for it to "
                              f"finish: its progress shows in the dashboard and in `python -m etl status`.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {utc_now()}")
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file releases the lock
            self._handle = None
