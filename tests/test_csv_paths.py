"""The CSV reader's two paths: pandas' C parser for plain files, the csv module record by record for the rest.

Whenever the fast path answers, it must give exactly what the strict path gives (rows, lines, problems); when
a file is not plain it must decline, so that every message stays the strict reader's.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import InputError
from etl.sources import csv_file
from tests.conftest import CASES

HEADER = "reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit"
ROW = "156,643,X,A,2022,8542,2500000.5,1200,,"
OTHER = "156,643,M,A,2022,8542,12,,,"

# name -> (content, whether the fast path may read it)
MADE: dict[str, tuple[bytes, bool]] = {
    "plain": (f"{HEADER}\n{ROW}\n{OTHER}\n".encode(), True),
    "no_final_newline": (f"{HEADER}\n{ROW}\n{OTHER}".encode(), True),
    "crlf_and_blank_lines": (f"{HEADER}\r\n\r\n{ROW}\r\n\r\n\r\n{OTHER}\r\n".encode(), True),
    "edge_spaces": (f"{HEADER}\n 156 ,643,X ,A,2022, 8542,12 ,,,kg \n{OTHER}\n".encode(), True),
    "bom": (b"\xef\xbb\xbf" + f"{HEADER}\n{ROW}\n".encode(), True),
    "non_ascii": (f"{HEADER}\n{ROW}\n156,643,M,A,2022,8542,12,,,Stück\n".encode(), True),
    "blank_fields_row": (f"{HEADER}\n{ROW}\n,,,,,,,,,\n{OTHER}\n".encode(), False),
    "spaces_only_row": (f"{HEADER}\n{ROW}\n , ,\t, , , , , , , \n{OTHER}\n".encode(), False),
    "whitespace_line": (f"{HEADER}\n{ROW}\n   \n{OTHER}\n".encode(), False),
    "nbsp_line": (f"{HEADER}\n{ROW}\n\u00a0\n{OTHER}\n".encode(), False),
    "short_row": (f"{HEADER}\n{ROW}\n156,643,M\n{OTHER}\n".encode(), False),
    "long_row": (f"{HEADER}\n{ROW}\n{OTHER},extra\n".encode(), False),
    "long_first_row": (f"{HEADER}\n{ROW},1\n{OTHER}\n".encode(), False),
    "empty_extra_fields": (f"{HEADER}\n{ROW},,\n{OTHER}\n".encode(), False),
    "lone_cr": (f"{HEADER}\r{ROW}\r{OTHER}\r".encode(), False),
    "quoted": (f"{HEADER}\n{ROW}\n156,643,M,A,2022,8542,\"12\",,,\n".encode(), True),
    "quoted_delimiter": (f"{HEADER}\n{ROW}\n156,643,M,A,2022,8542,12,,,\"kg, net\"\n".encode(), True),
    "quoted_quotes": (f"{HEADER}\n\"156\",643,M,A,2022,8542,12,,,\"a \"\"b\"\", c\"\n\"\",643,M,A,2023,8542,1,,,\n".encode(),
                      True),
    "quoted_long_row": (f"{HEADER}\n{ROW}\n156,643,M,A,2022,8542,12,,,\"kg\",x\n".encode(), False),
    "quoted_short_row": (f"{HEADER}\n{ROW}\n156,643,M,A,2022,8542,\"12,,,\"\n".encode(), False),
    "quoted_newline": (f"{HEADER}\n{ROW}\n156,643,M,A,2022,8542,12,,,\"kg\nnet\"\n{OTHER}\n".encode(), False),
    "quote_inside_field": (f"{HEADER}\n{ROW}\n156,643,M,A,2022,8542,12,,,k\"g\n".encode(), False),
    "text_after_quote": (f"{HEADER}\n{ROW}\n156,643,M,A,2022,8542,12,,,\"kg\"s\n".encode(), False),
    "space_before_quote": (f"{HEADER}\n{ROW}\n156,643,M,A,2022,8542,12,,, \"kg\"\n".encode(), False),
    "unclosed_quote": (f"{HEADER}\n{ROW}\n156,643,M,A,2022,8542,12,,,\"kg\n{OTHER}\n".encode(), False),
    "latin1": (f"{HEADER}\n{ROW}\n156,643,M,A,2022,8542,12,,,St\u00fcck\n".encode("latin-1"), False),
    "header_only": (f"{HEADER}\n\n".encode(), False),
}


def _outcome(read, info: csv_file.CsvFile) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    try:
        return "rows", read(info)
    except InputError as exc:
        return "error", str(exc)


def _assert_same(fast: csv_file.Rows, strict: csv_file.Rows) -> None:
    pd.testing.assert_frame_equal(fast.frame, strict.frame)
    assert fast.frame.attrs == strict.frame.attrs
    assert fast.lines == strict.lines
    assert fast.bad == strict.bad


def _corpus() -> list[Path]:
    return sorted(p for folder in ("bad", "foundation") for p in (CASES / folder).glob("synthetic_*"))


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_fast_path_reads_the_corpus_as_the_strict_path_does(path: Path) -> None:
    try:
        info = csv_file.inspect(path)
    except InputError:
        return  # refused before any row is read: neither path runs
    fast = csv_file.read_rows_fast(info)
    kind, strict = _outcome(csv_file.read_rows_strict, info)
    if fast is not None:
        assert kind == "rows", strict
        _assert_same(fast, strict)  # type: ignore[arg-type]
    auto_kind, auto = _outcome(csv_file.read_rows, info)
    assert auto_kind == kind
    if kind == "rows":
        _assert_same(auto, strict)  # type: ignore[arg-type]
    else:
        assert auto == strict


@pytest.mark.parametrize("name", sorted(MADE))
def test_fast_path_answers_only_for_plain_files(name: str, tmp_path: Path) -> None:
    content, plain = MADE[name]
    path = tmp_path / f"synthetic_{name}.csv"
    path.write_bytes(content)
    info = csv_file.inspect(path)
    fast = csv_file.read_rows_fast(info)
    assert (fast is not None) == plain
    kind, strict = _outcome(csv_file.read_rows_strict, info)
    if fast is not None:
        _assert_same(fast, strict)  # type: ignore[arg-type]
    if kind == "error":
        with pytest.raises(InputError) as caught:
            csv_file.read_rows(info)
        assert str(caught.value) == strict
    else:
        _assert_same(csv_file.read_rows(info), strict)  # type: ignore[arg-type]


def test_fast_path_reads_gzip(tmp_path: Path) -> None:
    path = tmp_path / "synthetic_plain.csv.gz"
    path.write_bytes(gzip.compress(MADE["crlf_and_blank_lines"][0]))
    info = csv_file.inspect(path)
    fast = csv_file.read_rows_fast(info)
    assert fast is not None
    _assert_same(fast, csv_file.read_rows_strict(info))
    assert fast.lines == [3, 6]


def test_fast_path_declines_a_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "synthetic_cut.csv.gz"
    path.write_bytes(gzip.compress((HEADER + "\n" + (ROW + "\n") * 2000).encode())[:-40])
    info = csv_file.inspect(path)
    assert csv_file.read_rows_fast(info) is None
    with pytest.raises(InputError, match="damaged or truncated"):
        csv_file.read_rows(info)


def test_fast_path_agrees_with_the_strict_path_on_random_quoting(tmp_path: Path) -> None:
    import random

    rng = random.Random(5)
    pieces = ["kg", "a,b", 'say ""hi""', "", " x ", '"', ",", "n.e.s.", "Stück", "\t"]

    def field(value: str) -> str:
        roll = rng.random()
        if roll < 0.4:
            return '"' + value.replace('"', '""') + '"'  # well quoted
        if roll < 0.45:
            return rng.choice(['"' + value, value + '"x', ' "' + value + '"', '"' + value + '"y'])  # broken
        return value.replace('"', "").replace(",", "")
    answered = 0
    for case in range(120):
        rows = [HEADER]
        for _ in range(rng.randint(1, 6)):
            values = ["156", "643", "M", "A", "2022", "8542", "12", "", "", rng.choice(pieces) + rng.choice(pieces)]
            rows.append(",".join(field(v) if rng.random() < 0.5 else v.replace('"', "").replace(",", "")
                                 for v in values))
        path = tmp_path / f"synthetic_random_{case}.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        info = csv_file.inspect(path)
        fast = csv_file.read_rows_fast(info)
        kind, strict = _outcome(csv_file.read_rows_strict, info)
        if fast is not None:
            answered += 1
            assert kind == "rows", (path.read_text(), strict)
            _assert_same(fast, strict)  # type: ignore[arg-type]
    assert 20 < answered < 100, answered  # both paths were exercised
