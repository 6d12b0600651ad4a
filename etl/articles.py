"""Articles the dashboard annotates: scraped text or HTML cleaned into plain paragraphs (only text is ever stored)."""
from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from etl import load
from etl.db import bump_data_version, make_engine, utc_now
from etl.errors import InputError, SourceError
from etl.settings import Settings

if TYPE_CHECKING:  # bs4 is imported when HTML is read, so `etl init` does not pay for it
    from bs4 import BeautifulSoup, Tag

BUNDLE_DIR = Path(__file__).resolve().parent / "reference" / "articles"
MAX_BYTES = 10 * 1024 * 1024
FETCH_TIMEOUT_S = (10.0, 30.0)  # connect, read
USER_AGENT = "Chokepoint article loader (+https://github.com/chokepoint)"

# Bidirectional overrides and isolates can make displayed text differ from stored text: never keep them.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BULLET = re.compile(r"^\s*[•·▪●◦‣∙*–-]\s+")
_CRUMB = re.compile(r"^\s*(\d{1,2})[.)]\s+(\S.*?)\s*$")
_CRUMB_TRAIL = re.compile(r"^\s*(home|homepage|front page)\s*(?:[/>›»|]\s*[^/>›»|]+){1,8}$", re.I)
_HOME = re.compile(r"^(home|homepage|front page|start page)$", re.I)
# Headings that start the list of links under an article: everything from them on is page furniture.
_TRAILER = re.compile(
    r"^(popular right now|most popular|most read|read next|related (?:stories|articles|coverage|content|posts)"
    r"|more from .{1,40}|recommended(?: for you| stories)?|trending(?: now)?|you (?:may|might) also like"
    r"|keep reading|latest (?:news|stories)|top stories|more stories|up next|editor'?s picks"
    r"|sign up for .{0,60}newsletter.*)$", re.I)
# Lines that are page chrome wherever they appear.
_NOISE = re.compile(
    r"^(advertisement|sponsored( content)?|share|share this article|save|save article|read in app"
    r"|listen to this article|story continues below( advertisement)?|subscribe|sign in|log in|copy link"
    r"|print|email|follow|close|menu)$", re.I)
_BYLINE = re.compile(r"^(?:by\s+)?[A-Z][\w'’.-]*(?:(?:\s+|\s*,\s*|\s+and\s+|\s*&\s*)[A-Z][\w'’.-]*){1,5}$")
_SENTENCE_END = re.compile(r"[.!?:;,][\"'”’)]*$")
_PUBLISHED = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")
_BINARY_MAGIC = {b"%PDF": "a PDF", b"\x89PNG": "a PNG image", b"PK\x03\x04": "a ZIP archive (e.g. .docx)",
                 b"\x1f\x8b": "a gzip archive", b"GIF8": "a GIF image", b"\xff\xd8\xff": "a JPEG image"}


@dataclass(frozen=True)
class Cleaned:
    """Plain paragraphs of an article, with the title and byline found in its text (if any)."""

    title: str | None
    byline: str | None
    paragraphs: list[str]

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


def article_id(body: str) -> str:
    """First 12 hex digits of the SHA-256 of the cleaned text: the same article always gets the same id."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _key(text: str) -> str:
    return _squash(text).casefold()  # compare headlines regardless of spacing and case


def normalise(text: str) -> str:
    """NFC, one kind of newline, no invisible or direction-changing characters, no NBSP."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", text).replace("\u00a0", " ")


def _strip_crumbs(lines: list[str]) -> list[str]:
    """Drop a breadcrumb trail at the top: 'Home / a / b', or a numbered list 1..n starting at Home or at the title."""
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if start < len(lines) and _CRUMB_TRAIL.match(lines[start]):
        return lines[start + 1:]
    items, end, expected = [], start, 1
    for i in range(start, len(lines)):
        match = _CRUMB.match(lines[i])
        if match and int(match.group(1)) == expected:
            items.append(match.group(2))
            expected, end = expected + 1, i + 1
        elif lines[i].strip():
            break
    following = next((line for line in lines[end:] if line.strip()), "")
    if len(items) >= 2 and (_HOME.match(items[0]) or _key(items[-1]) == _key(following)):
        return lines[end:]
    return lines


def _strip_trailer(lines: list[str]) -> list[str]:
    """Cut at a 'Popular Right Now'-style heading once some body text has been seen."""
    seen = 0
    for i, line in enumerate(lines):
        if seen >= 3 and _TRAILER.match(line.strip()):
            return lines[:i]
        seen += bool(line.strip())
    return lines


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank lines separate paragraphs; a bullet line starts its own paragraph; other lines are joined."""
    out: list[str] = []
    current: list[str] = []
    for line in lines + [""]:
        bullet = _BULLET.match(line)
        if (not line.strip() or bullet) and current:
            out.append(_squash(" ".join(current)))
            current = []
        if bullet:
            current = ["• " + line[bullet.end():]]
        elif line.strip():
            current.append(line)
    return [p for p in out if p and p != "•"]


def _is_title(paragraph: str) -> bool:
    return not paragraph.startswith("•") and len(paragraph) <= 200 and not _SENTENCE_END.search(paragraph)


def clean_text(raw: str, title_hint: str | None = None) -> Cleaned:
    """Strip page furniture (crumbs, trailers, chrome lines) and split into paragraphs; finds title and byline."""
    lines = _strip_trailer(_strip_crumbs(normalise(raw).split("\n")))
    paragraphs = [p for p in _paragraphs([ln.rstrip() for ln in lines]) if not _NOISE.match(p)]
    title = _squash(title_hint) if title_hint and title_hint.strip() else None
    if paragraphs and (title is None and _is_title(paragraphs[0]) or title and _key(paragraphs[0]) == _key(title)):
        title = paragraphs.pop(0)
    byline = None
    if paragraphs and len(paragraphs[0]) <= 80 and _BYLINE.match(paragraphs[0]):
        byline = re.sub(r"^by\s+", "", paragraphs.pop(0), flags=re.I)
    kept: list[str] = []
    for p in paragraphs:
        if (title and _key(p) == _key(title)) or (kept and _key(p) == _key(kept[-1])):
            continue  # a repeated headline (image caption, share box) or a doubled line
        kept.append(p)
    return Cleaned(title, byline, kept)


_DROP_TAGS = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe",
              "svg", "canvas", "button", "figure", "picture", "img", "video", "audio", "object", "embed", "select"]
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}
_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre"]


def _meta(soup: BeautifulSoup, *keys: str) -> str | None:
    for key in keys:
        tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
        if tag and str(tag.get("content") or "").strip():
            return _squash(normalise(str(tag["content"])))
    return None


def _text_of(soup: BeautifulSoup, selector: str) -> str | None:
    tag = soup.select_one(selector)
    text = _squash(normalise(tag.get_text(" "))) if tag else ""
    return text or None


def html_metadata(soup: BeautifulSoup) -> dict[str, str | None]:
    """Title, author, outlet, published date and canonical URL from the usual meta tags."""
    author = _meta(soup, "author", "article:author", "byl", "parsely-author") or _text_of(
        soup, "[rel~=author], [itemprop=author], .byline, .author")
    if author and re.match(r"https?://", author):
        author = None  # article:author is sometimes a profile URL, not a name
    canonical = soup.find("link", rel="canonical")
    return {
        "title": _meta(soup, "og:title", "twitter:title") or _text_of(soup, "h1") or _text_of(soup, "title"),
        "author": re.sub(r"^by\s+", "", author, flags=re.I) if author else None,
        "outlet": _meta(soup, "og:site_name", "application-name", "publisher"),
        "published": _meta(soup, "article:published_time", "datePublished", "date", "pubdate")
        or (str(soup.find("time")["datetime"]) if soup.find("time", datetime=True) else None),
        "url": (str(canonical["href"]) if canonical and canonical.get("href") else None) or _meta(soup, "og:url"),
    }


def _main_container(soup: BeautifulSoup) -> Tag:
    articles = soup.find_all("article")
    if articles:
        return max(articles, key=lambda a: len(a.get_text(" ", strip=True)))
    return soup.find("main") or soup.find(attrs={"role": "main"}) or soup.body or soup


def html_to_text(markup: str) -> tuple[str, dict[str, str | None]]:
    """The main text of an HTML page as paragraphs separated by blank lines, and its metadata."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    meta = html_metadata(soup)
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": True}):
        if not tag.decomposed and str(tag.get("role")).lower() in _DROP_ROLES:
            tag.decompose()
    container = _main_container(soup)
    blocks = []
    for element in container.find_all(_BLOCKS):
        if element.find(_BLOCKS):
            continue  # the inner blocks carry the text
        text = _squash(element.get_text(" "))
        if text:
            blocks.append(("• " if element.name == "li" else "") + text)
    text = "\n\n".join(blocks) if blocks else container.get_text("\n")
    return text, meta


def decode(raw: bytes, where: str, declared: str | None = None) -> str:
    """Bytes -> text; binary or empty input is an InputError that says what was found."""
    if not raw.strip():
        raise InputError(f"{where}: the document is empty. Nothing to add.")
    for magic, kind in _BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise InputError(f"{where}: this is {kind}, not text or HTML. Save the article as text or HTML.")
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in raw[:8192] and not utf16:
        raise InputError(f"{where}: this is a binary file, not text or HTML. Save the article as text or HTML.")
    for encoding in [e for e in (declared, "utf-16" if utf16 else "utf-8-sig") if e]:
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("cp1252", errors="replace")


def looks_like_html(text: str, name: str = "", content_type: str | None = None) -> bool:
    """Decide by content type, then file extension, then the document's first tag."""
    if content_type:
        kind = content_type.split(";")[0].strip().lower()
        if kind in ("text/html", "application/xhtml+xml"):
            return True
        if kind.startswith("text/"):
            return False
    if name.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    if name.lower().endswith((".txt", ".text", ".md")):
        return False
    return bool(re.match(r"\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", text[:4096], re.I | re.S))


def read_file(path: Path) -> bytes:
    if not path.exists():
        raise InputError(f"{path}: no such file. Check the path, or give an http(s) URL.")
    if not path.is_file():
        raise InputError(f"{path}: not a file.")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"{path}: larger than {MAX_BYTES // 1024 // 1024} MB; that is not a news article.")
    return path.read_bytes()


def fetch(url: str) -> tuple[bytes, str | None, str, str | None]:
    """GET a page: (body, content type, final URL, declared charset). Failures are SourceErrors."""
    import requests

    try:
        with requests.get(url, timeout=FETCH_TIMEOUT_S, headers={"User-Agent": USER_AGENT}, stream=True) as resp:
            if resp.status_code >= 400:
                raise SourceError(f"{url}: the server answered HTTP {resp.status_code} {resp.reason}. Check the "
                                  "address, or save the page and add the file instead.")
            body = resp.raw.read(MAX_BYTES + 1, decode_content=True)
            if len(body) > MAX_BYTES:
                raise InputError(f"{url}: larger than {MAX_BYTES // 1024 // 1024} MB; that is not a news article.")
            charset = resp.encoding if "charset" in resp.headers.get("Content-Type", "").lower() else None
            return body, resp.headers.get("Content-Type"), resp.url, charset
    except requests.Timeout as exc:
        raise SourceError(f"{url}: no answer within {FETCH_TIMEOUT_S[1]:.0f} s. Try again later, or save the page "
                          "and add the file instead.") from exc
    except requests.ConnectionError as exc:
        raise SourceError(f"{url}: cannot connect ({type(exc).__name__}). Check the address and the network, "
                          "or save the page and add the file instead.") from exc
    except requests.RequestException as exc:
        raise SourceError(f"{url}: the request failed ({exc}).") from exc


def is_url(source: str) -> bool:
    return urlparse(source).scheme.lower() in ("http", "https")


def _check_url(url: str | None) -> str | None:
    if url is None:
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        raise InputError(f"--url {url!r}: expected an http:// or https:// address.")
    return url.strip()


def check_published(value: str | None) -> str | None:
    """YYYY, YYYY-MM or YYYY-MM-DD (a longer timestamp is cut to its date); anything else is an InputError."""
    if value is None or not value.strip():
        return None
    match = _PUBLISHED.match(value.strip())
    if not match or (len(value.strip()) > 10 and value.strip()[10] not in "T "):
        raise InputError(f"published date {value!r}: expected YYYY, YYYY-MM or YYYY-MM-DD.")
    return match.group(0)


def _clip(value: str | None, size: int) -> str | None:
    return _squash(normalise(value))[:size] or None if value else None


def article_row(cleaned: Cleaned, meta: dict[str, str | None], source_ref: str, retrieved_at: str) -> dict[str, object]:
    """One row of the article table; given metadata wins over what the text says."""
    if not cleaned.paragraphs:
        raise InputError(f"{source_ref}: no article text left after removing page furniture. Nothing to add.")
    title = meta.get("title") or cleaned.title or _squash(cleaned.paragraphs[0])[:120]
    return {"id": article_id(cleaned.body), "title": _clip(title, 500), "author": _clip(meta.get("author") or
            cleaned.byline, 200), "outlet": _clip(meta.get("outlet"), 200), "url": _clip(meta.get("url"), 1000),
            "published": meta.get("published"), "body": cleaned.body, "source_ref": source_ref[:1000],
            "retrieved_at": retrieved_at}


def load_document(raw: bytes, where: str, name: str = "", content_type: str | None = None,
                  charset: str | None = None) -> tuple[Cleaned, dict[str, str | None]]:
    """Bytes of a text or HTML document -> cleaned paragraphs and the metadata the document carries."""
    text = decode(raw, where, charset)
    meta: dict[str, str | None] = {}
    hint = None
    if looks_like_html(text, name, content_type):
        text, meta = html_to_text(text)
        hint = meta.get("title")
    if not text.strip():
        raise InputError(f"{where}: the document has no text. Nothing to add.")
    return clean_text(text, hint), meta


def _given(args: argparse.Namespace, found: dict[str, str | None]) -> dict[str, str | None]:
    meta = {k: v for k, v in found.items() if v and (k != "url" or is_url(v))}
    try:
        meta["published"] = check_published(meta.get("published"))
    except InputError:
        meta["published"] = None  # a page's own odd date format is not the user's mistake
    given = {"title": args.title, "author": args.author, "outlet": args.outlet, "url": _check_url(args.url),
             "published": check_published(args.published)}
    meta.update({k: v for k, v in given.items() if v})
    return meta


def read_source(args: argparse.Namespace) -> dict[str, object]:
    """The article row for `args.source` (a file or an http(s) URL) and the command's flags."""
    source = str(args.source)
    if is_url(source):
        raw, content_type, final_url, charset = fetch(source)
        cleaned, found = load_document(raw, source, urlparse(final_url).path, content_type, charset)
        found["url"] = found.get("url") or final_url
        return article_row(cleaned, _given(args, found), source, utc_now())
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.I):
        raise InputError(f"{source}: only http:// and https:// URLs can be fetched.")
    path = Path(source)
    raw = read_file(path)
    cleaned, found = load_document(raw, str(path), path.name)
    ref = f"{path.name} sha256:{hashlib.sha256(raw).hexdigest()}"
    return article_row(cleaned, _given(args, found), ref, utc_now())


def cli_article_add(args: argparse.Namespace, settings: Settings) -> int:
    """`python -m etl article add FILE|URL`: store the article and print its id (stdout), a summary (stderr)."""
    row = read_source(args)
    engine = make_engine(settings.database_url, lock_timeout_s=settings.chokepoint_lock_timeout_s)
    started = utc_now()
    with engine.begin() as conn:
        changed = load.upsert_rows(conn, "article", [row])
        if changed:
            bump_data_version(conn)
        load.record_run(conn, "article", started, "ok", inserted=changed,
                        message=f"article {row['id']}: {row['title']}",
                        parameters={"source": str(args.source)[:500], "id": row["id"]})
    paragraphs = str(row["body"]).count("\n\n") + 1
    print(row["id"])
    print(f"{'Added' if changed else 'Already stored'}: {row['title']} ({paragraphs} paragraphs). "
          f"Open /article?id={row['id']} in the dashboard.", file=sys.stderr)
    return 0


def bundled_articles() -> list[dict[str, object]]:
    """The seed article(s) in etl/reference/articles/, with their metadata file; fixed dates keep init idempotent."""
    with (BUNDLE_DIR / "articles.csv").open(encoding="utf-8", newline="") as handle:
        entries = list(csv.DictReader(handle))
    rows = []
    for entry in entries:
        raw = (BUNDLE_DIR / entry["file"]).read_bytes()
        cleaned = clean_text(decode(raw, entry["file"]))
        meta = {k: entry[k].strip() or None for k in ("title", "author", "outlet", "url", "published")}
        rows.append(article_row(cleaned, meta, f"bundled:{entry['file']} sha256:{hashlib.sha256(raw).hexdigest()}",
                                entry["bundled_at"]))
    return rows
