"""PostgreSQL for real: every named query gives the same answer as on SQLite, readers cannot write and see one
snapshot, writers queue instead of racing, connections are not leaked, connection failures read clearly."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from etl.db import make_engine
from etl.pipeline import import_file, init_db
from etl.queries import QUERY_DIR, query_params, query_text, run_query
from etl.settings import Settings
from tests import dbstate
from tests.conftest import CASES, ROOT
from tests.pg import Cluster

FOUNDATION = CASES / "foundation"
QUERIES = sorted(p.stem for p in QUERY_DIR.glob("*.sql"))
# A realistic value for each bind parameter the named queries use; others get None ("no filter").
PARAMS: dict[str, object] = {"reporter": 156, "partner": 643, "flow": "X", "freq": "A", "period_from": "2000",
                             "period_to": "2030", "category": "integrated_circuits", "kind": "dual_use", "hs": "8542",
                             "limit": 50, "source": "csv:synthetic_long.csv", "period": "2022", "id": "none"}


def settings_for(url: str) -> Settings:
    return Settings.from_env(environ={}, database_url=url, chokepoint_lock_timeout_s=30.0)


def loaded(url: str) -> str:
    settings = settings_for(url)
    init_db(settings)
    for name in ("synthetic_long.csv", "synthetic_comtrade.csv"):
        import_file(settings, FOUNDATION / name)
    return url


@pytest.fixture(scope="module")
def both(pg_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The same data in a SQLite file and in a PostgreSQL database."""
    return {"sqlite": loaded(f"sqlite:///{tmp_path_factory.mktemp('agree') / 'chokepoint.db'}"),
            "postgresql": loaded(pg_cluster.url(pg_cluster.create_database()))}


def answer(url: str, name: str) -> tuple[list[str], list[tuple[str, ...]]]:
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            frame = run_query(conn, name, **{p: PARAMS.get(p) for p in query_params(name)})
    finally:
        engine.dispose()
    rows = [tuple(comparable(v) for v in row)
            for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False)]
    return list(frame.columns), rows


def comparable(value: object) -> str:
    """Text to compare across backends; load times differ between the two databases by design."""
    shown = dbstate.as_text(int(value) if isinstance(value, bool) else value)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", shown)


@pytest.mark.parametrize("name", QUERIES)
def test_named_query_gives_the_same_answer_on_both_backends(both: dict[str, str], name: str) -> None:
    columns, rows = answer(both["sqlite"], name)
    pg_columns, pg_rows = answer(both["postgresql"], name)
    assert pg_columns == columns
    if re.search(r"ORDER BY[^;]*_at\b", query_text(name), re.IGNORECASE):
        rows, pg_rows = sorted(rows), sorted(pg_rows)  # ordered by load times, which tie differently on each
    assert pg_rows == rows


def test_read_only_session_cannot_write_even_inside_a_transaction(pg_cluster: Cluster) -> None:
    url = loaded(pg_cluster.url(pg_cluster.create_database()))
    before = dbstate.trade_dump(url)
    reader = make_engine(url, read_only=True)
    for statement in ("INSERT INTO etl_run (id, source, started_at, status) VALUES (99, 'x', 'x', 'ok')",
                      "UPDATE trade_flow SET value_usd = 0", "DELETE FROM trade_flow", "TRUNCATE trade_flow",
                      "CREATE TABLE intruder (id INTEGER)", "DROP TABLE article"):
        with reader.begin() as conn, pytest.raises(DBAPIError, match="read-only transaction"):
            conn.execute(text(statement))
    reader.dispose()
    assert dbstate.trade_dump(url) == before


def test_a_reader_sees_one_snapshot_while_a_writer_commits(pg_cluster: Cluster) -> None:
    url = loaded(pg_cluster.url(pg_cluster.create_database()))
    reader = make_engine(url, read_only=True)
    with reader.connect() as conn:
        first = conn.execute(text("SELECT COUNT(*) FROM trade_flow")).scalar_one()
        import_file(settings_for(url), CASES / "bad" / "synthetic_bom.csv")  # commits 3 rows meanwhile
        assert conn.execute(text("SELECT COUNT(*) FROM trade_flow")).scalar_one() == first
    with reader.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM trade_flow")).scalar_one() == first + 3
    reader.dispose()


def test_concurrent_writers_queue_and_every_run_is_recorded(pg_cluster: Cluster, tmp_path: Path) -> None:
    url = loaded(pg_cluster.url(pg_cluster.create_database()))
    files = []
    for n in range(4):
        path = tmp_path / f"synthetic_writer{n}.csv"
        path.write_text("reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"
                        + "".join(f"156,643,X,M,20{10 + n}{m:02d},8542,{m},,,\n" for m in range(1, 13)))
        files.append(path)
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        try:
            import_file(settings_for(url), path)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(path,)) for path in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    runs = [r for r in dbstate.runs(url) if str(r["source"]).startswith("csv:synthetic_writer")]
    assert sorted(r["status"] for r in runs) == ["ok"] * 4 and len({r["id"] for r in runs}) == 4
    assert all(len(dbstate.source_rows(url, f"csv:{p.name}")) == 12 for p in files)


def test_runs_leave_no_connection_open(pg_cluster: Cluster) -> None:
    name = pg_cluster.create_database()
    settings = settings_for(pg_cluster.url(name))
    for _ in range(3):
        init_db(settings)
        import_file(settings, FOUNDATION / "synthetic_long.csv")
    assert pg_cluster.connections(name) == 0


def etl(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": url, "CHOKEPOINT_AUTO_REFRESH": "0"}
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_connection_failures_are_clear_and_never_show_the_password(pg_cluster: Cluster) -> None:
    good = pg_cluster.url(pg_cluster.create_database())
    wrong_password = good.replace(pg_cluster.password, "not-the-password")
    cases = [(good.rsplit("/", 1)[0] + "/no_such_database", 'database "no_such_database" does not exist'),
             (wrong_password, "password authentication failed"),
             (good.replace(f":{pg_cluster.port}/", ":9/"), "Connection refused")]
    for url, reason in cases:
        done = etl(url, "status")
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith("error: Cannot connect to database ") and reason in done.stderr, done.stderr
        assert pg_cluster.password not in done.stderr + done.stdout and "not-the-password" not in done.stderr
