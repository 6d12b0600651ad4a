"""Engines, SQLite pragmas and the schema. One writer (the ETL), many read-only readers (the dashboard)."""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, unquote

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool
from sqlalchemy.exc import ArgumentError, DBAPIError

from etl.errors import DatabaseError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "sql" / "schema.sql"


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string with seconds, the format of every *_at column."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for in-memory or non-SQLite URLs."""
    if not is_sqlite(url):
        return None
    parsed = make_url(url)
    database = parsed.database
    if database and parsed.query.get("uri") == "true" and database.startswith("file:"):
        # sqlite:///file:PATH?mode=ro&uri=true: SQLite's own URI form (e.g. a database that must not be written)
        database = unquote(database[len("file:"):].split("?")[0]) or None
    return Path(database) if database and database != ":memory:" else None


def make_engine(url: str, read_only: bool = False, lock_timeout_s: float = 30.0) -> Engine:
    """An engine for `url`. SQLite gets WAL, foreign keys, a busy timeout and explicit transactions."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"DATABASE_URL {url!r} is not a database URL ({exc}). "
                            "Use e.g. sqlite:///data/chokepoint.db or postgresql+psycopg://user@host/db.") from exc
    if not is_sqlite(url):
        engine = create_engine(parsed, pool_pre_ping=True)
        _server_events(engine, read_only, lock_timeout_s)
        return engine
    path = sqlite_path(url)
    if read_only and path is not None:
        # A read-only URI connection: the dashboard cannot write even by mistake.
        # QueuePool explicitly: for a 'sqlite://' URL SQLAlchemy would pick SingletonThreadPool, which shares one
        # connection between threads of a threaded server; each request thread must check out its own.
        engine = create_engine("sqlite://", creator=lambda: _sqlite_ro_connect(path, lock_timeout_s),
                               poolclass=QueuePool, pool_size=8, max_overflow=24, pool_timeout=lock_timeout_s)
    else:
        if path is not None and not path.parent.exists():
            raise DatabaseError(f"The database folder {path.parent} does not exist. Create it, or point "
                                "DATABASE_URL at a writable location.")
        engine = create_engine(parsed, connect_args={"timeout": lock_timeout_s})
    _sqlite_events(engine, read_only, lock_timeout_s)
    return engine


def _sqlite_ro_connect(path: Path, lock_timeout_s: float):  # type: ignore[no-untyped-def]
    import sqlite3

    # Percent-encode the path: '?' or '#' in a folder name would otherwise end the file name in the URI.
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    wal = path.with_name(path.name + "-wal")
    if _on_read_only_filesystem(path) and not (wal.exists() and wal.stat().st_size):
        # WAL mode needs a -shm file that cannot be created on a read-only mount. Nobody can write there and no
        # committed pages wait in a -wal file, so the database file alone is the whole truth: open it immutable.
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True, timeout=lock_timeout_s, check_same_thread=False)


def _on_read_only_filesystem(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


# Every Chokepoint writer on a PostgreSQL server takes this transaction-level advisory lock first, so writers
# queue like SQLite's BEGIN IMMEDIATE (and etl_run ids cannot race); readers never take it.
WRITER_LOCK_KEY = 0x43484F4B  # 'CHOK'


def _server_events(engine: Engine, read_only: bool, lock_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        if read_only:
            # One snapshot per transaction (a page never mixes old and new data), and the server refuses writes.
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        else:
            cursor.execute(f"SET lock_timeout = {max(int(lock_timeout_s * 1000), 1)}")
        cursor.close()
        dbapi_connection.commit()

    if not read_only:
        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")


def _sqlite_events(engine: Engine, read_only: bool, lock_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # pysqlite's own transaction handling is off so that BEGIN below is the only one (SQLAlchemy docs recipe).
        dbapi_connection.isolation_level = None
        # SQLite's LOWER folds ASCII letters only; PostgreSQL's folds every letter. Python's makes SQLite match, so a
        # case-insensitive filter finds 'Ärger' from 'ärger' on either backend.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(lock_timeout_s * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two writers queue instead of failing mid-transaction;
        # readers get one consistent snapshot for the whole transaction.
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _lower(value: object) -> object:
    """SQL LOWER for SQLite: text lower-cased by Python (every script's letters), anything else as SQLite gives it."""
    if isinstance(value, str):
        return value.lower()
    return None if value is None else value if isinstance(value, bytes) else str(value).lower()


def schema_statements(path: Path = SCHEMA_PATH) -> list[str]:
    """The DDL statements of sql/schema.sql, comments removed."""
    body = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
    return [s.strip() for s in body.split(";") if s.strip()]


def apply_schema(conn: Connection) -> None:
    """Create every table and index that does not exist yet (idempotent)."""
    for statement in schema_statements():
        conn.exec_driver_sql(statement)
    conn.execute(text("INSERT INTO data_version (id, version) SELECT 1, 0 WHERE NOT EXISTS "
                      "(SELECT 1 FROM data_version WHERE id = 1)"))


def bump_data_version(conn: Connection) -> None:
    """Mark the data as changed, so readers' caches keyed on the version expire."""
    conn.execute(text("UPDATE data_version SET version = version + 1 WHERE id = 1"))


def data_version(conn: Connection) -> int:
    row = conn.execute(text("SELECT version FROM data_version WHERE id = 1")).first()
    return int(row[0]) if row else 0


def describe_target(url: str) -> str:
    """The SQLite file, or 'database NAME on HOST' for a server: never the password."""
    path = sqlite_path(url)
    if path is not None or is_sqlite(url):
        return str(path) if path else "the in-memory database"
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "the database"
    return f"database {parsed.database} on {parsed.host or 'localhost'}" + (f":{parsed.port}" if parsed.port else "")


def _driver_message(exc: DBAPIError) -> str:
    return str(exc.orig) if exc.orig is not None else str(exc)


def is_lock_error(exc: DBAPIError) -> bool:
    """Another writer held the database for longer than the lock timeout."""
    lowered = _driver_message(exc).lower()
    return "locked" in lowered or "busy" in lowered or "lock timeout" in lowered


def describe_operational_error(exc: DBAPIError, url: str) -> str:
    """Turn a driver error into a sentence a user can act on."""
    message = _driver_message(exc)
    where = describe_target(url)
    lowered = message.lower()
    if is_lock_error(exc):
        return (f"{where} is locked by another writer (an import or refresh). Wait for it to finish, "
                "or raise CHOKEPOINT_LOCK_TIMEOUT_S.")
    path = sqlite_path(url)
    if path is not None and path.parent.exists() and _on_read_only_filesystem(path):
        return (f"{where} is read-only: its file system is mounted read-only, so nothing can be written there. "
                "Remount it read-write, or point DATABASE_URL elsewhere.")
    if "readonly" in lowered or "read-only" in lowered:
        return f"{where} is read-only. Make the file and its folder writable, or point DATABASE_URL elsewhere."
    if "unable to open" in lowered:
        return f"Cannot open {where}. Check that the folder exists and is writable."
    if "disk is full" in lowered or "no space left" in lowered:
        return f"{where}: the disk is full. Free some space and run the command again; nothing was changed."
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return f"{where} has no Chokepoint schema yet. Run `python -m etl init` first."
    if "not a database" in lowered:
        return f"{where} is not a SQLite database. Point DATABASE_URL at a Chokepoint database."
    if "connection" in lowered and ("failed" in lowered or "refused" in lowered):
        # psycopg: 'connection failed: connection to server at "h", port N failed: FATAL:  <reason>\n\t<hint>'
        reason = message.strip().splitlines()[0].rsplit("failed: ", 1)[-1].replace("FATAL:", "").strip()
        return (f"Cannot connect to {where}: {reason}. Check DATABASE_URL (user, password, host, port, database "
                "name) and that the server is running.")
    return f"Database error on {where}: {message}"
