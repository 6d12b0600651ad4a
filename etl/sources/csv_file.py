"""Extract trade rows from a CSV file (plain or gzip): a Comtrade Plus download or Chokepoint's long format.

Every problem names the file, the line (as an editor counts them, quoted newlines included) and the column.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
import zlib
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import IO, Iterator

import numpy as np
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
# trade_flow.source is VARCHAR(200) and holds 'csv:' + the file name.
MAX_NAME = 196
# A field may be as long as a line can be; the csv module's default cap (128 KiB) would fail on long text.
FIELD_LIMIT = 2**31 - 1
MAGIC = {b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook is one)", b"%PDF": "a PDF document",
         b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook", b"SQLite format 3": "a SQLite database"}


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


@dataclass(frozen=True)
class BadRecord:
    """A record that cannot be read as a row: its position among the data rows, column, reason and text."""

    row: int
    column: str
    reason: str
    value: str = ""


@dataclass
class Rows:
    """The data rows as text columns, the file line each starts on, and the records of the wrong shape."""

    frame: pd.DataFrame
    lines: list[int]
    bad: list[BadRecord]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _head_bytes(path: Path, compression: str | None, size: int = 65536) -> bytes:
    """The first `size` bytes of the content; of a truncated gzip, whatever decompresses."""
    with path.open("rb") as handle:
        raw = handle.read(size if compression is None else 1 << 20)
    if compression is None:
        return raw
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, size)
    except zlib.error as exc:
        raise InputError(f"{path}: the gzip file is damaged ({exc}). Download it again.") from exc


def _describe_magic(head: bytes) -> str | None:
    for magic, kind in MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 text without a byte-order mark: a NUL in every other byte."""
    sample = head[:4000]
    return len(sample) >= 8 and (sample[1::2].count(0) > 0.9 * len(sample[1::2])
                                 or sample[0::2].count(0) > 0.9 * len(sample[0::2]))


def _encoding(path: Path, head: bytes, compression: str | None) -> str:
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    kind = _describe_magic(head)
    if kind:
        raise InputError(f"{path}: this is {kind}, not a CSV text file. Save or export the data as CSV (UTF-8).")
    if _looks_utf16(head):
        raise InputError(f"{path}: the file is UTF-16 text without a byte-order mark. Re-save it as UTF-8 "
                         "(e.g. in a spreadsheet: CSV UTF-8).")
    if b"\x00" in head:
        raise InputError(f"{path}: this is a binary file, not a CSV text file. Export the data as CSV (UTF-8).")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a multi-byte character cut by the head's end
            raise _not_utf8(path, compression) from exc
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


def _check_header(path: Path, header: list[str], header_line: str) -> None:
    if header_line.lstrip().lower().startswith(("<!doctype html", "<html", "<?xml", "{", "[")):
        raise InputError(f"{path}, line 1: this is an HTML, XML or JSON document, not CSV (a failed download "
                         "saved as a file?). Download the data again as CSV.")
    named = [h for h in header if h]
    twice = sorted({h for h in named if named.count(h) > 1})
    if twice:
        raise InputError(f"{path}, line 1, column {twice[0]}: the header names column {twice[0]!r} more than once; "
                         "each column must appear once.")


def _layout(path: Path, header: list[str], forced: str | None) -> str:
    names = set(header)
    comtrade_hits = names & set(COMTRADE_REQUIRED)
    long_hits = names & set(LONG_REQUIRED)
    layout = forced or ("comtrade" if len(comtrade_hits) >= len(long_hits) and comtrade_hits else
                        "long" if long_hits else None)
    if layout is None:
        shown = ", ".join(h[:40] for h in header[:8])
        raise InputError(f"{path}, line 1: unknown layout; the header is {shown}"
                         f"{' ...' if len(header) > 8 else ''}. Expected a UN Comtrade Plus download "
                         f"(columns such as {', '.join(COMTRADE_REQUIRED[:4])}, primaryValue) or "
                         f"Chokepoint's long format. {LONG_FORMAT_HELP}")
    required = COMTRADE_REQUIRED if layout == "comtrade" else LONG_REQUIRED
    missing = [c for c in required if c not in names]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise InputError(f"{path}, line 1, column {missing[0]}: missing required column{plural} "
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
    if len(path.name) > MAX_NAME:
        raise InputError(f"{path.name[:40]}...: the file name has {len(path.name)} characters; at most {MAX_NAME} "
                         "fit in the source column. Rename the file.")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes). Nothing to import.")
    with path.open("rb") as handle:
        magic = handle.read(2)
    compression = "gzip" if magic == b"\x1f\x8b" else None
    head = _head_bytes(path, compression)
    encoding = _encoding(path, head, compression)
    header_line = _first_line(head, encoding)
    if not header_line.strip():
        raise InputError(f"{path}, line 1: the file has no header line. Nothing to import.")
    delimiter = _delimiter(path, header_line)
    header = [h.strip().strip('"').strip() for h in next(csv.reader([header_line], delimiter=delimiter))]
    _check_header(path, header, header_line)
    layout = _layout(path, header, forced_format)
    return CsvFile(path, _sha256(path), encoding, compression, delimiter, layout, header)


def _open_text(info: CsvFile) -> IO[str]:
    if info.compression == "gzip":
        return gzip.open(info.path, "rt", encoding=info.encoding, newline="")
    return info.path.open("r", encoding=info.encoding, newline="")


def _records(info: CsvFile, handle: IO[str]) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, fields) for each data record; blank lines are skipped."""
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    reader = csv.reader(handle, delimiter=info.delimiter, strict=True)
    start = 1
    try:
        next(reader, None)  # the header, already read by inspect()
        start = reader.line_num + 1
        for record in reader:
            if any(record) and any(field.strip() for field in record):  # the C-level any() first: fast
                yield start, record
            start = reader.line_num + 1
    except csv.Error as exc:
        reason = ("a quoted field opened on this line is never closed" if "end of data" in str(exc)
                  else f"the quoting is broken ({exc})")
        raise InputError(f"{info.path}, line {start}: {reason}. Check the quotes on that line.") from exc


def _shape(info: CsvFile, position: int, record: list[str], bad: list[BadRecord]) -> list[str]:
    """The record padded or cut to the header's width; a record of another width is a BadRecord."""
    width = len(info.header)
    if len(record) != width:
        # Even empty extra fields are refused: '1,000,000' unquoted shifts every later value one column right.
        column = info.header[len(record)] if len(record) < width else str(width + 1)
        reason = (f"the row has {len(record)} fields but the header has {width}"
                  + (": a value probably holds an unquoted comma (quote it, or drop thousands separators)"
                     if len(record) > width else ""))
        extra = info.delimiter.join(record[width:]) if len(record) > width else ""
        bad.append(BadRecord(position, column, reason, extra))
        record = (record + [""] * width)[:width]
    return record


def _wanted(info: CsvFile) -> list[str]:
    """The columns we read, in a fixed order."""
    wanted = (list(COMTRADE_COLUMNS) + list(COMTRADE_OPTIONAL_FILTERS) if info.layout == "comtrade"
              else list(LONG_REQUIRED) + list(LONG_OPTIONAL))
    return [c for c in wanted if c in info.header]


def read_rows(info: CsvFile) -> Rows:
    """All data rows as text columns (nothing coerced yet), in file order, with the line each starts on."""
    return read_rows_fast(info) or read_rows_strict(info)


def read_rows_strict(info: CsvFile) -> Rows:
    """read_rows, record by record with the csv module: every problem is found and named here."""
    names = _wanted(info)
    pick = itemgetter(*[info.header.index(c) for c in names])
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    bad: list[BadRecord] = []
    line = 1
    try:
        with _open_text(info) as handle:
            for line, record in _records(info, handle):
                fields = pick(_shape(info, len(rows), record, bad))
                rows.append(fields if isinstance(fields, tuple) else (fields,))
                lines.append(line)
    except UnicodeDecodeError as exc:
        raise _not_utf8(info.path, info.compression) from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"{info.path}, line {line}: the gzip file is damaged or truncated; its data stops here "
                         f"({exc}). Download it again.") from exc
    if not rows:
        raise InputError(f"{info.path}, line 2: the file has a header but no data rows. Nothing to import.")
    return Rows(_clean_frame(pd.DataFrame(rows, columns=names, dtype=object)), lines, bad)


def _plain_content(info: CsvFile) -> bytes | None:
    """The file's bytes when every record is one line: UTF-8, no NUL, no lone carriage return (CR LF becomes LF).
    None otherwise, and for a damaged gzip. Quotes are checked line by line (_plain_lines)."""
    if info.encoding not in ("utf-8", "utf-8-sig"):
        return None
    try:
        data = info.path.read_bytes()
        data = gzip.decompress(data) if info.compression == "gzip" else data
    except (OSError, EOFError, zlib.error):
        return None
    if b"\x00" in data:
        return None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:
            return None
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return data


# A whole quoted field ("" inside for a quote) on one line. Starting with the quote lets the regex engine jump
# from quote to quote; that the field sits between delimiters is checked after (_bare).
_QUOTED_FIELD = re.compile(rb'"(?:[^"\n]|"")*"')


def _bare(data: bytes, delimiter: bytes) -> bytes | None:
    """The data with each quoted field replaced by a NUL (the data has none), so that its delimiters and lines
    are the records' own; None when a quote is anywhere but around a whole field on one line."""
    if b'"' not in data:
        return data
    bare = _QUOTED_FIELD.sub(b"\x00", data)
    if b'"' in bare:
        return None
    glued = re.compile(rb"\x00[^" + re.escape(delimiter) + rb"\n]")  # a field that goes on after its quotes
    if glued.search(bare) or glued.search(bare[::-1]):
        return None
    return bare


def _plain_lines(info: CsvFile, data: bytes) -> list[int] | None:
    """The line number of each data record, when the header and every non-empty line have the header's width.

    Quotes are allowed around whole fields on one line (they may hold delimiters): then every line is one record.
    A quote anywhere else (a field quoted over several lines, text after a closing quote) leaves the file to the
    strict reader."""
    bare = _bare(data, info.delimiter.encode())
    if bare is None:
        return None
    lines = bare.split(b"\n")
    del bare
    counts = np.fromiter(map(bytes.count, lines, repeat(info.delimiter.encode())), np.int64, len(lines))
    empty = np.fromiter(map(len, lines), np.int64, len(lines)) == 0
    del lines
    if counts[0] != len(info.header) - 1 or (counts[1:][~empty[1:]] != len(info.header) - 1).any():
        return None
    return (np.flatnonzero(~empty[1:]) + 2).tolist()


def read_rows_fast(info: CsvFile) -> Rows | None:
    """read_rows by pandas' C parser, for the common plain file; None when only read_rows_strict can tell.

    Plain: as _plain_content and _plain_lines say (one line per record, as wide as the header, quotes only around
    whole fields), and no record that is blank in the columns we read. Then both readers see the same records, fields and lines; anything else goes to the strict reader,
    which finds and names every problem."""
    data = _plain_content(info)
    lines = _plain_lines(info, data) if data is not None else None
    if data is None or not lines:
        return None
    names = _wanted(info)
    positions = [info.header.index(c) for c in names]
    try:
        frame = pd.read_csv(io.BytesIO(data), sep=info.delimiter, header=None, skiprows=1, usecols=positions,
                            dtype=object, na_filter=False, quoting=csv.QUOTE_MINIMAL, doublequote=True,
                            encoding="utf-8", engine="c")
    except ValueError:  # pandas' parser and decoding errors: the strict reader names the problem
        return None
    del data
    frame = frame[positions].set_axis(names, axis=1)
    if len(frame) != len(lines):
        return None
    frame = _clean_frame(frame)
    if len(blank_positions(frame)):  # the strict reader skips records whose every field is blank
        return None
    return Rows(frame, lines, [])


def blank_positions(frame: pd.DataFrame) -> np.ndarray:
    """Positions of the rows whose every cell is '' (of a clean frame): blank rows are rare, so after the first
    column only the candidates left are compared."""
    candidates = np.arange(len(frame))
    for column in frame.columns:
        candidates = candidates[frame[column].to_numpy()[candidates] == ""]
    return candidates


# frame.attrs flag: every cell is a stripped str and none is missing, so etl.transform can skip its own
# per-cell cleaning (a Python loop, and most of the cost of a large import).
CLEAN = "chokepoint_clean_text"
_EDGE_SPACE = re.compile(r"(?:^|\x00)\s|\s(?:\x00|$)")


def _clean_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip the cells of the columns that need it and mark the frame as clean text (see etl.transform.CLEAN).

    Whether a column has a cell with edge white space is found by one C-level regex over the joined column,
    so the per-cell strip (a Python loop) runs only for columns that need it."""
    for column in frame.columns:
        joined = "\x00".join(frame[column].to_list())
        # str.split() finds any white space at C speed; the regex runs only when a column holds some.
        if joined.split(maxsplit=1) != [joined] and _EDGE_SPACE.search(joined):
            frame[column] = frame[column].str.strip()
    frame.attrs[CLEAN] = True
    return frame


def _not_utf8(path: Path, compression: str | None) -> InputError:
    """Find the first byte that is not UTF-8 and name its line and column."""
    opener = gzip.open if compression == "gzip" else open
    header: list[str] = []
    delimiter = ","
    with opener(path, "rb") as handle:  # type: ignore[operator]
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                before = raw[:exc.start].decode("utf-8", errors="replace")
                index = len(next(csv.reader([before], delimiter=delimiter), [""])) - 1
                column = header[index] if index < len(header) else str(index + 1)
                return InputError(f"{path}, line {number}, column {column}: the file is not UTF-8 (byte "
                                  f"0x{raw[exc.start]:02x}; Latin-1 or Windows-1252 text?). Re-save it as UTF-8 "
                                  "(e.g. in a spreadsheet: CSV UTF-8).")
            if number == 1:
                delimiter = "\t" if text.count("\t") > text.count(",") else ","
                header = [h.strip() for h in next(csv.reader([text.lstrip("\ufeff")], delimiter=delimiter), [])]
    return InputError(f"{path}: the file is not UTF-8. Re-save it as UTF-8 (e.g. in a spreadsheet: CSV UTF-8).")
