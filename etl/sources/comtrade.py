"""Extract from the UN Comtrade API (v1): plain records, one call at a time, politely and never silently truncated.

Keyless: the preview endpoint (one period and at most 500 records a call). With COMTRADE_API_KEY: the data
endpoint (up to 12 periods a call). The key travels only in a request header and is scrubbed from every message.
"""
from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator
from urllib.parse import urlencode

import requests

from etl.errors import SourceError
from etl.settings import Settings

log = logging.getLogger(__name__)

PREVIEW_PATH = "/public/v1/preview/C/{freq}/HS"
KEYED_PATH = "/data/v1/get/C/{freq}/HS"
PREVIEW_CAP = 500
KEYED_CAP = 100_000          # the free key's documented cap (some documents say 250,000: stay at the lower one)
KEYED_MAX_PERIODS = 12
MAX_REF_CHARS = 1000         # trade_flow.source_ref is VARCHAR(1000)
KEY_HEADER = "Ocp-Apim-Subscription-Key"
RETRY_AGAIN = "What was fetched so far is kept: run `python -m etl refresh` again later to fetch the rest."

Record = dict[str, object]


def _join(values: tuple[object, ...]) -> str:
    return ",".join(str(v) for v in values)


@dataclass(frozen=True)
class Query:
    """One API call: every reporter x partner x flow x period x HS code, for one frequency (A or M)."""

    freq: str
    reporters: tuple[int, ...]
    partners: tuple[int, ...]
    flows: tuple[str, ...]
    periods: tuple[str, ...]
    codes: tuple[str, ...]

    @property
    def size(self) -> int:
        """The records the query can return: one per cell of the product (breakdowns are filtered out)."""
        return len(self.reporters) * len(self.partners) * len(self.flows) * len(self.periods) * len(self.codes)

    def params(self, cap: int) -> dict[str, str]:
        # partner2 World, all customs procedures, all transport modes: the totals, not their breakdowns.
        return {"reporterCode": _join(self.reporters), "partnerCode": _join(self.partners), "partner2Code": "0",
                "period": _join(self.periods), "cmdCode": _join(self.codes), "flowCode": _join(self.flows),
                "customsCode": "C00", "motCode": "0", "breakdownMode": "classic", "maxRecords": str(cap),
                "format": "JSON"}

    def halves(self) -> tuple[Query, Query] | None:
        """Two smaller queries covering this one: fewer periods first, then fewer codes, reporters, flows."""
        for name in ("periods", "codes", "reporters", "flows", "partners"):
            values = getattr(self, name)
            if len(values) > 1:
                middle = (len(values) + 1) // 2
                return replace(self, **{name: values[:middle]}), replace(self, **{name: values[middle:]})
        return None

    def describe(self) -> str:
        periods = self.periods[0] if len(self.periods) == 1 else f"{self.periods[-1]}..{self.periods[0]}"
        return (f"{self.freq} {periods} {_join(self.reporters)}->{_join(self.partners)} {_join(self.flows)}, "
                f"{len(self.codes)} code{'s' if len(self.codes) != 1 else ''}")


class KeyRejected(SourceError):
    """HTTP 401: the subscription key is wrong or inactive."""


class QuotaExceeded(SourceError):
    """HTTP 403 quota: no more calls until the quota refills."""

    def __init__(self, message: str, refills_at: str | None) -> None:
        super().__init__(message)
        self.refills_at = refills_at


class _Retry(Exception):
    """A failure that may pass: wait (the server's figure, or the backoff when None) and ask again."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class _Fatal(Exception):
    """A failure that asking again will not fix."""


def _snippet(body: str, limit: int = 160) -> str:
    """The start of a response body as one readable line (tags and runs of whitespace removed)."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", body)).strip()
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _message(body: str) -> str:
    """The 'message' of a JSON error body, or the body itself."""
    try:
        payload = json.loads(body)
    except ValueError:
        return _snippet(body)
    if isinstance(payload, dict):
        return _snippet(str(payload.get("message") or payload.get("error") or body))
    return _snippet(body)


def _wait_seconds(response: requests.Response) -> float | None:
    """How long a 429 asks us to wait: 'Try again in N seconds' in the body, else Retry-After."""
    found = re.search(r"try again in (\d+(?:\.\d+)?) second", response.text, flags=re.I)
    if found:
        return float(found.group(1))
    header = response.headers.get("Retry-After", "")
    return float(header) if re.fullmatch(r"\d+(\.\d+)?", header.strip()) else None


def _refill_time(message: str) -> tuple[str | None, str | None]:
    """('03:14:17', '2026-07-01T12:00:00Z') from 'Quota will be replenished in 03:14:17.'"""
    found = re.search(r"replenished in (\d+):(\d{2}):(\d{2})", message)
    if not found:
        return None, None
    hours, minutes, seconds = (int(g) for g in found.groups())
    at = datetime.now(timezone.utc) + timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return (f"{hours:02d}:{minutes:02d}:{seconds:02d}",
            at.replace(microsecond=0).isoformat().replace("+00:00", "Z"))


def _connection_reason(exc: Exception) -> str:
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    if found:
        return found.group(1).strip()
    if "Failed to resolve" in str(exc) or "NameResolution" in str(exc):
        return "the host name does not resolve"
    return type(exc).__name__


def _records(body: str) -> list[Record]:
    """The `data` list of an answer; HTML or broken JSON may be a passing proxy fault, so it is retried."""
    try:
        payload = json.loads(body)
    except ValueError:
        kind = "an HTML page" if body.lstrip().startswith("<") else "malformed JSON (cut short?)"
        raise _Retry(f"answered {kind} instead of JSON, starting {_snippet(body, 80)!r}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        detail = payload.get("error") if isinstance(payload, dict) else None
        raise _Retry(f"answered JSON without a data list ({_snippet(str(detail or body), 80)})")
    if payload.get("error") and not payload["data"]:
        raise _Fatal(f"answered with an error: {_snippet(str(payload['error']))}")
    if not all(isinstance(r, dict) for r in payload["data"]):
        raise _Retry("answered a data list that does not hold records")
    count = payload.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count != len(payload["data"]):
        # The envelope disagrees with its own list: an answer cut short is never stored as if complete.
        raise _Retry(f"answered count {count} but {len(payload['data'])} records (cut short?)")
    return payload["data"]


class ComtradeClient:
    """Calls the API for Query objects: minimum interval, retries with backoff, 429 waits, clear errors."""

    def __init__(self, settings: Settings, on_retry: Callable[[str, float], None] | None = None,
                 on_split: Callable[[Query, tuple[Query, Query]], None] | None = None,
                 session: requests.Session | None = None) -> None:
        self._base = settings.comtrade_api_base.rstrip("/")
        self._key = settings.comtrade_api_key.strip()
        self._timeout = settings.comtrade_timeout_s
        self._min_interval = settings.comtrade_min_interval_s
        self._max_retries = max(settings.comtrade_max_retries, 0)
        self._backoff = max(settings.comtrade_backoff_s, 0.0)
        self._on_retry = on_retry or (lambda reason, wait: None)
        self._on_split = on_split or (lambda query, parts: None)
        self._session = session or requests.Session()
        self._last_call = float("-inf")

    @property
    def keyed(self) -> bool:
        return bool(self._key)

    @property
    def cap(self) -> int:
        """Records one call may return; an answer of this size may be truncated."""
        return KEYED_CAP if self.keyed else PREVIEW_CAP

    @property
    def max_periods(self) -> int:
        # The preview answers HTTP 400 to more than one period, and silently gives the latest year for none.
        return KEYED_MAX_PERIODS if self.keyed else 1

    def source_ref(self, query: Query) -> str:
        """Path and parameters of the call: what a user can replay. The key is a header, so never part of it."""
        path = (KEYED_PATH if self.keyed else PREVIEW_PATH).format(freq=query.freq)
        return f"{path}?{urlencode(query.params(self.cap), safe=',')}"

    def fits(self, query: Query) -> bool:
        """Whether a query can be asked in one call without risking truncation."""
        return (query.size < self.cap and len(query.periods) <= self.max_periods
                and len(self.source_ref(query)) <= MAX_REF_CHARS)

    def fetch_all(self, query: Query) -> Iterator[tuple[Query, list[Record]]]:
        """Yield (query, records) for `query`, splitting it whenever an answer reaches the record cap."""
        pending = [query]
        while pending:
            current = pending.pop(0)
            records = self.fetch(current)
            if len(records) < self.cap:
                yield current, records
                continue
            parts = current.halves()
            if parts is None:
                raise SourceError(self._redact(
                    f"UN Comtrade returned {len(records)} records, its cap, for {self.source_ref(current)}, which "
                    "cannot be split further. Use a COMTRADE_API_KEY (higher cap) or narrow the watchlist."))
            log.info("%s reached the %d-record cap: asking again in two parts", current.describe(), self.cap)
            self._on_split(current, parts)
            pending[:0] = list(parts)

    def fetch(self, query: Query) -> list[Record]:
        """The records of one call, with retries; raises SourceError (naming the call) when it cannot be had."""
        ref = self.source_ref(query)
        url = self._base + ref.split("?", 1)[0]
        attempt = 0
        while True:
            self._pace()
            try:
                return self._attempt(url, query.params(self.cap))
            except _Fatal as exc:
                raise SourceError(self._redact(f"UN Comtrade {exc} for {ref}.")) from None
            except _Retry as retry:
                attempt += 1
                if attempt > self._max_retries:
                    raise SourceError(self._gave_up(ref, retry.reason, attempt)) from None
                wait = retry.wait if retry.wait is not None else self._backoff * 2 ** (attempt - 1)
                log.warning("%s: %s; retry %d of %d in %.1f s", query.describe(), self._redact(retry.reason),
                            attempt, self._max_retries, wait)
                self._on_retry(self._redact(retry.reason), wait)
                time.sleep(wait)

    def _gave_up(self, ref: str, reason: str, attempts: int) -> str:
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if reason.startswith("cannot connect"):
            return self._redact(f"Cannot reach UN Comtrade at {self._base}: {reason[len('cannot connect'):].strip(' ()')} "
                                f"({tries}). HS-level data needs a refresh: run `python -m etl refresh` again when "
                                "the network is available.")
        return self._redact(f"UN Comtrade {reason} for {ref} ({tries}). {RETRY_AGAIN}")

    def _pace(self) -> None:
        """Keep COMTRADE_MIN_INTERVAL_S between the starts of two calls."""
        wait = self._last_call + self._min_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_call = time.monotonic()

    def _attempt(self, url: str, params: dict[str, str]) -> list[Record]:
        headers = {"Accept": "application/json"}
        if self._key:
            headers[KEY_HEADER] = self._key
        try:
            response = self._session.get(url, params=params, headers=headers, timeout=self._timeout)
        except requests.Timeout:
            raise _Retry(f"gave no answer within {self._timeout:g} s (COMTRADE_TIMEOUT_S)") from None
        except requests.ConnectionError as exc:
            raise _Retry(f"cannot connect ({_connection_reason(exc)})") from None
        except requests.RequestException as exc:
            raise _Retry(f"broke off the answer ({type(exc).__name__})") from None
        return self._read(response)

    def _read(self, response: requests.Response) -> list[Record]:
        status = response.status_code
        if status == 429:
            raise _Retry("is rate limiting (HTTP 429)", _wait_seconds(response))
        if status == 401:
            raise self._key_rejected(response.text)
        if status == 403:
            raise self._forbidden(response.text)
        if status >= 500:
            raise _Retry(f"failed with HTTP {status} ({_message(response.text)})")
        if status != 200:
            raise _Fatal(f"rejected the call with HTTP {status} ({_message(response.text)})")
        return _records(response.text)

    def _key_rejected(self, body: str) -> SourceError:
        if self._key:
            return KeyRejected(self._redact(
                f"UN Comtrade refused the subscription key (HTTP 401: {_message(body)}). Check COMTRADE_API_KEY: it "
                "must be the primary or secondary key of an active comtrade-v1 subscription "
                "(comtradedeveloper.un.org), or leave it empty to use the keyless preview."))
        return KeyRejected(self._redact(
            f"UN Comtrade refused the keyless preview (HTTP 401: {_message(body)}). Set COMTRADE_API_KEY to a "
            "subscription key from comtradedeveloper.un.org."))

    def _forbidden(self, body: str) -> SourceError:
        message = _message(body)
        if "quota" not in message.lower():
            return SourceError(self._redact(f"UN Comtrade denied access (HTTP 403: {message}). {RETRY_AGAIN}"))
        refill_in, refill_at = _refill_time(message)
        when = (f"It refills in {refill_in} (about {refill_at})" if refill_in
                else "It refills within a day")
        return QuotaExceeded(self._redact(
            f"UN Comtrade's call quota is used up (HTTP 403: {message}). {when}: run `python -m etl refresh` again "
            "after that; what was fetched so far is kept."), refill_at)

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text
