"""Named SQL: each file in sql/queries/ is one SELECT with :bind parameters. No SQL is built from input."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, TextClause, text

QUERY_DIR = Path(__file__).resolve().parent.parent / "sql" / "queries"
_NAME = re.compile(r"[a-z][a-z0-9_]*")


@lru_cache(maxsize=None)
def query_text(name: str) -> str:
    """The SQL of a named query; the name must be a file in sql/queries/ (an allow-list by construction)."""
    if not _NAME.fullmatch(name) or not (QUERY_DIR / f"{name}.sql").is_file():
        raise KeyError(f"no query named {name!r} in {QUERY_DIR}")
    return (QUERY_DIR / f"{name}.sql").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def query_params(name: str) -> frozenset[str]:
    """The binds a named query declares (comments left out)."""
    body = re.sub(r"--[^\n]*", "", query_text(name))
    return frozenset(re.findall(r"(?<!:):([a-z_][a-z0-9_]*)", body))


@lru_cache(maxsize=None)
def statement(name: str) -> TextClause:
    """A named query as one SQLAlchemy statement, parsed once: parsing the binds of a query with dozens of them
    (the Data grid's view has 45) cost about a millisecond a call."""
    return text(query_text(name))


def run_query(conn: Connection, name: str, **params: object) -> pd.DataFrame:
    """Run a named query; every bind it declares must be given (None means 'no filter' where the SQL allows)."""
    result = conn.execute(statement(name), _checked(name, params))
    return frame(list(result.keys()), result.fetchall())


def query_records(conn: Connection, name: str, **params: object) -> list[dict[str, object]]:
    """A named query's rows as dicts, SQL NULL as None: for answers that go out as JSON rows as they are (a grid's
    block), where building a DataFrame and converting it back costs more than the query's own Python side."""
    result = conn.execute(statement(name), _checked(name, params))
    columns = list(result.keys())
    return [dict(zip(columns, row)) for row in result.fetchall()]


def _checked(name: str, params: dict[str, object]) -> dict[str, object]:
    missing = query_params(name) - set(params)
    if missing:
        raise TypeError(f"query {name} needs parameters: {', '.join(sorted(missing))}")
    return params


def frame(columns: list[str], rows: Sequence[Sequence[object]]) -> pd.DataFrame:
    """Rows as a DataFrame, built column by column: the same frame as pd.DataFrame(rows, columns=columns), whose
    row-wise construction costs about seven times as much (5,000 rows x 17 columns: 36 ms against 5 ms)."""
    if not rows or len(set(columns)) != len(columns):
        return pd.DataFrame(rows, columns=columns)
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows)))), columns=columns)
