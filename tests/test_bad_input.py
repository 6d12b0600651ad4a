"""The bad-input corpus (tests/cases/bad/, expectations in EXPECTED.csv and LOADED.csv) through `python -m etl import`.

Each bad file gets one clear message naming the file, line, column and reason, and the database is unchanged;
with --skip-invalid exactly the good rows load and the rejects are counted in etl_run. Valid oddities (BOM, UTF-16,
extra columns, blank lines, quoted newlines ...) load exactly the rows LOADED.csv lists.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Callable, Iterator

import pytest
from sqlalchemy.engine import make_url

from etl import cli
from etl.db import make_engine
from etl.pipeline import import_file, init_db
from etl.settings import Settings
from tests import dbstate
from tests.conftest import BACKENDS, CASES

CORPUS = CASES / "bad"
BASELINE = CASES / "foundation" / "synthetic_long.csv"


def _manifest(name: str) -> list[dict[str, str]]:
    with (CORPUS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


EXPECTED = _manifest("EXPECTED.csv")
LOADED = _manifest("LOADED.csv")


def loaded_rows(name: str) -> list[tuple[str, ...]]:
    return sorted(tuple(row[c] for c in dbstate.SHOWN) for row in LOADED if row["file"] == name)


@pytest.fixture(scope="module")
def templates(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Per backend, one database holding the reference data and a baseline import; tests get copies of it."""
    built: dict[str, str] = {}

    def build(backend: str) -> str:
        if backend not in built:
            if backend == "sqlite":
                built[backend] = f"sqlite:///{tmp_path_factory.mktemp('template') / 'chokepoint.db'}"
            else:
                built[backend] = request.getfixturevalue("pg_cluster").url(
                    request.getfixturevalue("pg_cluster").create_database())
            engine = make_engine(built[backend])
            settings = Settings.from_env(environ={}, database_url=built[backend])
            init_db(settings, engine=engine)
            import_file(settings, BASELINE, engine=engine)
            engine.dispose()  # closes the last connection: SQLite folds its WAL in, PostgreSQL can copy the database
        return built[backend]

    return build


@pytest.fixture
def corpus_url(request: pytest.FixtureRequest, templates: Callable[[str], str], db_backend: str,
               tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the baseline database."""
    template = templates(db_backend)
    if db_backend == "sqlite":
        path = tmp_path / "chokepoint.db"
        shutil.copyfile(make_url(template).database, path)
        yield f"sqlite:///{path}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = cluster.create_database(template=make_url(template).database)
    yield cluster.url(name)
    cluster.drop_database(name)


def run_import(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, path: Path,
               *flags: str) -> tuple[int, str, str]:
    """`python -m etl import PATH [flags]` in this process: (exit code, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", url)
    capsys.readouterr()
    code = cli.main(["import", str(path), *flags])
    out, err = capsys.readouterr()
    return code, out, err


def location(case: dict[str, str]) -> str:
    line = f", line {case['line']}" if case["line"] else ""
    return line + (f", column {case['column']}" if case["column"] else "")


def test_the_corpus_is_complete() -> None:
    on_disk = {p.name for p in CORPUS.glob("synthetic_*")}
    assert on_disk == {case["file"] for case in EXPECTED}
    assert len([c for c in EXPECTED if c["outcome"] != "loads"]) >= 25
    assert {row["file"] for row in LOADED} <= on_disk


# Files that cannot be read fail before the database is touched: one backend shows that. The rest run on both.
RUNS = [(backend, case) for case in EXPECTED for backend in BACKENDS
        if backend == "sqlite" or case["outcome"] != "unreadable"]


@pytest.mark.parametrize(("db_backend", "case"), RUNS, ids=[f"{b}-{c['file']}" for b, c in RUNS],
                         indirect=["db_backend"])
def test_corpus_file(case: dict[str, str], corpus_url: str, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / case["file"]
    before, ok_before = dbstate.trade_dump(corpus_url), dbstate.ok_runs(corpus_url)
    code, out, err = run_import(monkeypatch, capsys, corpus_url, path)
    assert "Traceback" not in err
    if case["outcome"] == "loads":
        assert code == 0, err
        assert dbstate.source_rows(corpus_url, f"csv:{path.name}") == loaded_rows(case["file"])
        assert f"{case['loaded']} inserted" in out
        return
    assert code == 2, err
    assert len([line for line in err.splitlines() if line.startswith("error: ")]) == 1
    if case["outcome"] == "rejects_rows":
        problem = f"{case['file']}{location(case)}: {case['reason']}"
        assert problem in err.splitlines(), err
        count = int(case["rejected"])
        assert f"{count} bad row{'s' if count > 1 else ''}" in err and "nothing was loaded" in err
    else:
        assert f"{case['file']}{location(case)}: {case['reason']}" in err, err
    assert dbstate.trade_dump(corpus_url) == before
    assert dbstate.ok_runs(corpus_url) == ok_before
    last = dbstate.runs(corpus_url)[-1]
    assert last["status"] == "failed" and last["source"] == f"csv:{path.name}"

    code, out, err = run_import(monkeypatch, capsys, corpus_url, path, "--skip-invalid")
    if case["outcome"] == "unreadable":
        assert code == 2 and dbstate.trade_dump(corpus_url) == before, err
        return
    assert code == 0, err
    assert dbstate.source_rows(corpus_url, f"csv:{path.name}") == loaded_rows(case["file"])
    others = [row for row in dbstate.trade_dump(corpus_url) if row[0] != f"csv:{path.name}"]
    assert others == before
    last = dbstate.runs(corpus_url)[-1]
    assert (last["status"], last["rows_rejected"], last["rows_inserted"]) == ("ok", int(case["rejected"]),
                                                                              int(case["loaded"]))


GOOD = "156,643,X,A,2021,8542,1000,10,,\n"
LONG_HEADER = "reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"


@pytest.mark.both_backends
def test_ten_million_character_line(corpus_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "synthetic_ten_million.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(LONG_HEADER + GOOD + "156,643,X,A,2021,8541,5,,7," + "u" * 10_000_000 + "\n")
        handle.write("156,643,X,A,2022,8542,2000,,,\n")
    before = dbstate.trade_dump(corpus_url)
    code, _, err = run_import(monkeypatch, capsys, corpus_url, path)
    assert code == 2
    assert (f"{path.name}, line 3, column qty_unit: text too long (10000000 characters; at most 20) "
            f"(value '{'u' * 37}...')") in err.splitlines()
    assert dbstate.trade_dump(corpus_url) == before
    code, _, err = run_import(monkeypatch, capsys, corpus_url, path, "--skip-invalid")
    assert code == 0, err
    assert [r[6] + "/" + r[4] for r in dbstate.source_rows(corpus_url, f"csv:{path.name}")] == ["8542/2021",
                                                                                               "8542/2022"]


@pytest.mark.both_backends
def test_a_bad_byte_beyond_the_first_block_names_its_line(corpus_url: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "synthetic_late_latin1.csv"
    body = LONG_HEADER + "".join(f"156,643,X,M,{2000 + i // 12}{i % 12 + 1:02d},8542,{i + 1},,,\n" for i in range(3000))
    path.write_bytes(body.encode() + "156,643,X,A,2021,8541,5,,7,Stück\n".encode("latin-1"))
    before = dbstate.trade_dump(corpus_url)
    code, _, err = run_import(monkeypatch, capsys, corpus_url, path, "--skip-invalid")
    assert code == 2
    assert f"{path.name}, line 3002, column qty_unit: the file is not UTF-8 (byte 0xfc" in err
    assert dbstate.trade_dump(corpus_url) == before


@pytest.mark.both_backends
def test_a_file_name_too_long_for_the_source_column(corpus_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / ("synthetic_" + "n" * 190 + ".csv")
    path.write_text(LONG_HEADER + GOOD)
    code, _, err = run_import(monkeypatch, capsys, corpus_url, path)
    assert code == 2 and "the file name has 204 characters; at most 196" in err
    shorter = path.rename(tmp_path / ("synthetic_" + "n" * 182 + ".csv"))  # 196 characters: fits exactly
    code, _, err = run_import(monkeypatch, capsys, corpus_url, shorter)
    assert code == 0, err
    assert len(dbstate.source_rows(corpus_url, f"csv:{shorter.name}")) == 1
