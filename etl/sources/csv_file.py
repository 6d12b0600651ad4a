"""Extract trade rows from a CSV file (plain or gzip): a Comtrade Plus download or Chokepoint's long format."""
from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd

from etl.errors import InputError

# Comtrade Plus download columns we read (file name -> internal name). The other 47 columns are ignored.
COMTRADE_COLUMNS = {
    "reporterCode": "reporter_code", "partnerCode": "partner_code", "flowCode": "flow", "freqCode": "freq",
    "period": "period", "classificationCode": "classification", "cmdCode": "hs_code",
    "primaryValue": "value_usd", "netWgt": "net_weight_kg", "qty": "qty", "qtyUnitAbbr": "qty_unit",
}
COMTRADE_REQUIRED = ("reporterCode", "partnerCode", "flowCode", "freqCode", "period", "classificationCode",
                     "cmdCode", "primaryValue")
COMTRADE_OPTIONAL_FILTERS = ("partner2Code", "customsCode", "motCode", "qtyUnitCode")

LONG_REQUIRED = ("reporter_code", "partner_code", "flow", "freq", "period", "hs_code",
                 "value_usd", "net_weight_kg", "qty", "qty_unit")
LONG_OPTIONAL = ("classification",)
LONG_FORMAT_HELP = ("Chokepoint's long format has the header: " + ",".join(LONG_REQUIRED)
                    + " (optional: classification). See README, 'Importing CSV files'.")


@dataclass(frozen=True)
class CsvFile:
    """What we learned about a file before parsing its rows."""

    path: Path
    sha256: str
    encoding: str
    compression: str | None
    delimiter: str
    layout: str  # comtrade | long
    header: list[str]

    @property
    def source(self) -> str:
        return f"csv:{self.path.name}"

    @property
    def source_ref(self) -> str:
        return f"{self.path.name} sha256:{self.sha256}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _head_bytes(path: Path, compression: str | None, size: int = 65536) -> bytes:
    try:
        if compression == "gzip":
            with gzip.open(path, "rb") as handle:
                return handle.read(size)
        with path.open("rb") as handle:
            return handle.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: the gzip file is damaged or truncated ({exc}). Download it again.") from exc


def _check_gzip_complete(path: Path) -> None:
    """Read a gzip file to its end once: a truncated archive must fail here, not half way through a load."""
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(1 << 22):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: the gzip file is damaged or truncated ({exc}). Download it again.") from exc


def _encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" in head:
        raise InputError(f"{path}: this is a binary file, not a CSV text file. Export the data as CSV (UTF-8).")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a multi-byte character cut by the head's end
            line = head[:exc.start].count(b"\n") + 1
            raise InputError(f"{path}, line {line}: the file is not UTF-8 (byte 0x{head[exc.start]:02x} at offset "
                             f"{exc.start}). Re-save it as UTF-8 (e.g. in a spreadsheet: CSV UTF-8).") from exc
    return "utf-8"


def _first_line(head: bytes, encoding: str) -> str:
    text = head.decode(encoding, errors="replace")
    return text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""


def _delimiter(path: Path, header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    if best in (";", "|") and counts[best] > max(counts[","], counts["\t"]):
        raise InputError(f"{path}, line 1: the columns are separated by {best!r}. Chokepoint reads comma- or "
                         "tab-separated files: re-save the file as CSV with commas.")
    return "\t" if counts["\t"] > counts[","] else ","


def _layout(path: Path, header: list[str], forced: str | None) -> str:
    names = set(header)
    comtrade_hits = names & set(COMTRADE_REQUIRED)
    long_hits = names & set(LONG_REQUIRED)
    layout = forced or ("comtrade" if len(comtrade_hits) >= len(long_hits) and comtrade_hits else
                        "long" if long_hits else None)
    if layout is None:
        raise InputError(f"{path}, line 1: unknown layout; the header is {', '.join(header[:8])}"
                         f"{' ...' if len(header) > 8 else ''}. Expected a UN Comtrade Plus download "
                         f"(columns such as {', '.join(COMTRADE_REQUIRED[:4])}, primaryValue) or "
                         f"Chokepoint's long format. {LONG_FORMAT_HELP}")
    required = COMTRADE_REQUIRED if layout == "comtrade" else LONG_REQUIRED
    missing = [c for c in required if c not in names]
    if missing:
        raise InputError(f"{path}, line 1: missing required column{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)} for the {layout} layout. "
                         + (LONG_FORMAT_HELP if layout == "long" else
                            "Download the data again from Comtrade Plus with all columns."))
    return layout


def inspect(path: Path, forced_format: str | None = None) -> CsvFile:
    """Check that `path` is a readable CSV of a known layout, without reading its rows yet."""
    if not path.exists():
        raise InputError(f"{path}: no such file. Check the path.")
    if not path.is_file():
        raise InputError(f"{path}: not a file.")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes). Nothing to import.")
    with path.open("rb") as handle:
        magic = handle.read(2)
    compression = "gzip" if magic == b"\x1f\x8b" else None
    if compression:
        _check_gzip_complete(path)
    head = _head_bytes(path, compression)
    encoding = _encoding(path, head)
    header_line = _first_line(head, encoding)
    if not header_line.strip():
        raise InputError(f"{path}: the file has no header line. Nothing to import.")
    delimiter = _delimiter(path, header_line)
    header = [h.strip().strip('"') for h in next(csv.reader([header_line], delimiter=delimiter))]
    layout = _layout(path, header, forced_format)
    return CsvFile(path, _sha256(path), encoding, compression, delimiter, layout, header)


def read_rows(info: CsvFile) -> pd.DataFrame:
    """All data rows as text columns (nothing coerced yet), in file order; blank lines stay as empty rows."""
    wanted = (list(COMTRADE_COLUMNS) + list(COMTRADE_OPTIONAL_FILTERS) if info.layout == "comtrade"
              else list(LONG_REQUIRED) + list(LONG_OPTIONAL))
    usecols = [c for c in wanted if c in info.header]
    try:
        frame = pd.read_csv(info.path, sep=info.delimiter, dtype=str, keep_default_na=False, na_filter=False,
                            usecols=usecols, encoding=info.encoding, compression=info.compression,
                            skip_blank_lines=False, engine="c")
    except UnicodeDecodeError as exc:
        raise InputError(f"{info.path}: the file is not UTF-8 ({exc.reason} at byte offset {exc.start} of a "
                         "block). Re-save it as UTF-8 (e.g. in a spreadsheet: CSV UTF-8).") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"{info.path}: the CSV cannot be parsed: {exc}. Check the quoting and the number of "
                         "fields on that line.") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{info.path}: the file cannot be read ({exc}).") from exc
    return frame.fillna("")


def physical_lines(info: CsvFile, rows: Iterable[int]) -> dict[int, int]:
    """Map data-row positions (0-based) to the file's line numbers, counting quoted newlines correctly."""
    wanted = set(rows)
    found: dict[int, int] = {}
    if not wanted:
        return found
    opener = gzip.open if info.compression == "gzip" else open
    with opener(info.path, "rt", encoding=info.encoding, newline="") as handle:  # type: ignore[operator]
        reader = csv.reader(handle, delimiter=info.delimiter)
        start = 1
        for position, _ in enumerate(reader, start=-1):
            if position in wanted:
                found[position] = start
                if len(found) == len(wanted):
                    break
            start = reader.line_num + 1
    return found


