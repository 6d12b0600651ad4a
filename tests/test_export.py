"""CSV export: golden output for both layouts, NULL as an empty cell, filters, formula neutralisation."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from etl.export import neutralise, to_csv
from etl.pipeline import import_file, init_db
from etl.settings import Settings
from tests.conftest import CASES, ROOT

FIXTURES = CASES / "foundation"
pytestmark = pytest.mark.both_backends


def export(cli_env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "etl", "export", "--out", "-", *args], cwd=ROOT, env=cli_env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _strip_provenance(csv_text: str) -> str:
    """Golden files cannot hold the hash-dependent source_ref or the retrieval time: blank those two columns."""
    frame = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    assert frame["retrieved_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    assert frame["source_ref"].str.fullmatch(r"\S+ sha256:[0-9a-f]{64}").all()
    frame["source_ref"] = frame["source_ref"].str.split(" ").str[0]
    frame["retrieved_at"] = "T"
    return frame.to_csv(index=False, lineterminator="\n")


GOLDEN_LONG = """\
reporter_code,reporter,partner_code,partner,flow,freq,period,classification,hs_code,hs_description,value_usd,net_weight_kg,qty,qty_unit,source,source_ref,retrieved_at
156,China,643,Russia,M,A,2022,HS,2701,"Coal; briquettes, ovoids and similar solid fuels manufactured from coal",,300000,,,csv:synthetic_long.csv,synthetic_long.csv,T
156,China,643,Russia,M,A,2022,HS,2709,Petroleum oils and oils obtained from bituminous minerals; crude,9000000,12000000,,,csv:synthetic_long.csv,synthetic_long.csv,T
156,China,643,Russia,X,A,2021,HS,8542,Electronic integrated circuits,1000000,,,,csv:synthetic_long.csv,synthetic_long.csv,T
156,China,643,Russia,X,A,2022,HS,8542,Electronic integrated circuits,2500000.5,1200,,,csv:synthetic_long.csv,synthetic_long.csv,T
156,China,643,Russia,X,M,202201,HS,854231,"Electronic integrated circuits; processors and controllers, whether or not combined with memories, converters, logic circuits, amplifiers, clock and timing circuits, or other circuits",50000,10,400,u,csv:synthetic_long.csv,synthetic_long.csv,T
344,Hong Kong,643,Russia,X,A,2022,HS,854232,Electronic integrated circuits; memories,70000,,,,csv:synthetic_long.csv,synthetic_long.csv,T
"""

GOLDEN_COMTRADE = """\
reporter_code,reporter,partner_code,partner,flow,freq,period,classification,hs_code,hs_description,value_usd,net_weight_kg,qty,qty_unit,source,source_ref,retrieved_at
156,China,643,Russia,M,M,202203,H6,2709,Petroleum oils and oils obtained from bituminous minerals; crude,88000000,150000000,150000000,kg,csv:synthetic_comtrade.csv,synthetic_comtrade.csv,T
156,China,643,Russia,M,M,202203,H6,271111,"Petroleum gases and other gaseous hydrocarbons; liquefied, natural gas",,5000,5000,kg,csv:synthetic_comtrade.csv,synthetic_comtrade.csv,T
156,China,643,Russia,X,A,2022,H6,8542,Electronic integrated circuits,1500000,2000,,,csv:synthetic_comtrade.csv,synthetic_comtrade.csv,T
156,China,643,Russia,X,A,2022,H6,TOTAL,All commodities,76000000000,,,,csv:synthetic_comtrade.csv,synthetic_comtrade.csv,T
"""


@pytest.mark.parametrize(("fixture", "golden"), [("synthetic_long.csv", GOLDEN_LONG),
                                                  ("synthetic_comtrade.csv", GOLDEN_COMTRADE)])
def test_golden_export(settings: Settings, cli_env: dict[str, str], fixture: str, golden: str) -> None:
    init_db(settings)
    import_file(settings, FIXTURES / fixture)
    assert _strip_provenance(export(cli_env)) == golden


def test_filters_select_rows(settings: Settings, cli_env: dict[str, str]) -> None:
    init_db(settings)
    import_file(settings, FIXTURES / "synthetic_long.csv")
    frame = pd.read_csv(io.StringIO(export(cli_env, "--category", "integrated_circuits", "--reporter", "156",
                                           "--freq", "A", "--from", "2022")), dtype=str)
    assert list(frame.hs_code) == ["8542"] and list(frame.period) == ["2022"]
    chpl = pd.read_csv(io.StringIO(export(cli_env, "--category", "chpl_tier_1")), dtype=str)
    assert sorted(chpl.hs_code) == ["854231", "854232"]


def test_export_to_file_reports_count(settings: Settings, cli_env: dict[str, str], tmp_path: Path) -> None:
    init_db(settings)
    import_file(settings, FIXTURES / "synthetic_long.csv")
    out = tmp_path / "out.csv"
    done = subprocess.run([sys.executable, "-m", "etl", "export", "--out", str(out), "--flow", "M"], cwd=ROOT,
                          env=cli_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Wrote 2 rows" in done.stderr
    assert len(pd.read_csv(out)) == 2


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell
    text = to_csv(pd.DataFrame({"name": [cell], "value_usd": [1.5]}))
    assert text.splitlines()[1].lstrip('"').startswith("'")


def test_numbers_and_nulls_are_written_plainly() -> None:
    frame = pd.DataFrame({"value_usd": [151580564290.0, None, 0.0], "note": ["a", None, "b"]})
    assert to_csv(frame) == "value_usd,note\n151580564290,a\n,\n0,b\n"


@pytest.mark.parametrize(("bounds", "periods"), [
    (("--to", "2022"), ["2021", "2022", "2022", "2022", "2022", "202201"]),
    (("--to", "2021"), ["2021"]),
    (("--from", "202201"), ["202201"]),
    (("--from", "2022", "--to", "2022"), ["2022", "2022", "2022", "2022", "202201"]),
])
def test_period_bounds_compare_at_their_own_precision(settings: Settings, cli_env: dict[str, str],
                                                      bounds: tuple[str, ...], periods: list[str]) -> None:
    init_db(settings)
    import_file(settings, FIXTURES / "synthetic_long.csv")
    frame = pd.read_csv(io.StringIO(export(cli_env, *bounds)), dtype=str)
    assert sorted(frame.period) == periods
