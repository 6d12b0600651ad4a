"""Articles in: cleaning scraped text, HTML extraction, `python -m etl article add` for files and URLs, errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import text

from etl import articles, cli
from etl.db import make_engine
from etl.pipeline import init_db
from etl.settings import Settings
from tests.conftest import ROOT, free_port

SEED = ROOT / "etl" / "reference" / "articles" / "china-satellite-intelligence-russia.txt"
SEED_ID = "c06f46d3c8b4"

HOSTILE_PAGE = """<!doctype html>
<html><head>
<title>Ignored title | Example Times</title>
<meta property="og:title" content="Chip exports climb">
<meta name="author" content="Ada Lovelace">
<meta property="og:site_name" content="Example Times">
<meta property="article:published_time" content="2024-05-06T08:00:00Z">
<link rel="canonical" href="https://news.example.org/chips">
<style>.x { color: red }</style>
<script>window.stolen = document.cookie;</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<aside>Most read: something else entirely</aside>
<main><article>
<h1>Chip exports climb</h1>
<p class="byline">By Ada Lovelace</p>
<p>China exported more <a href="javascript:alert(1)">integrated circuits</a> to Russia in 2023.</p>
<ul><li>First point.</li><li>Second point.</li></ul>
<p>Trade between the two countries reached $240 billion in 2023.<script>alert('inline')</script></p>
<div role="complementary">Related: more stories</div>
</article></main>
<footer>Copyright Example Times</footer>
</body></html>"""


def stored(settings: Settings) -> pd.DataFrame:
    with make_engine(settings.database_url).connect() as conn:
        return pd.read_sql(text("SELECT * FROM article ORDER BY id"), conn)


def add(monkeypatch: pytest.MonkeyPatch, settings: Settings, *args: str) -> int:
    """`python -m etl article add ...` in this process, against the test database."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    return cli.main(["article", "add", *args])


# --- cleaning -----------------------------------------------------------------------------------------------

def test_seed_article_is_cleaned_of_page_furniture() -> None:
    cleaned = articles.clean_text(SEED.read_text(encoding="utf-8"))
    assert cleaned.title == ("China is providing satellite intelligence for military purposes to Russia, US warns, "
                             "says report")
    assert cleaned.byline == "Cameron Manley"
    body = cleaned.body
    assert "Home" not in body and "international" not in body.split("\n\n")[0]
    assert "Popular Right Now" not in body
    assert cleaned.paragraphs[0] == ("• The US has warned its allies that China is providing geospatial "
                                     "intelligence to Russia.")
    assert cleaned.paragraphs[-1].endswith('"to keep up more regular communications."')
    assert 'Beijing\'s "no limit" relationship with Moscow' in cleaned.paragraphs
    assert len(cleaned.paragraphs) == 25
    # the headline repeated as an image caption (with a doubled space) is not a paragraph
    assert not any(p.startswith("China is providing satellite intelligence") for p in cleaned.paragraphs)


def test_cleaner_handles_other_furniture_generally() -> None:
    raw = ("Home > World > Asia\n\nA plain headline without a full stop\n\nBy Jane Roe\n\nAdvertisement\n\n"
           "The first paragraph is wrapped\nover two lines.\n\nShare\n\n1. A numbered point in the body.\n\n"
           "Second paragraph with \u202eevil\u202c direction marks.\n\nRead next\n\nSome other story\n")
    cleaned = articles.clean_text(raw)
    assert cleaned.title == "A plain headline without a full stop"
    assert cleaned.byline == "Jane Roe"
    assert cleaned.paragraphs == ["The first paragraph is wrapped over two lines.", "1. A numbered point in the body.",
                                  "Second paragraph with evil direction marks."]


def test_leading_numbered_list_that_is_content_is_kept() -> None:
    raw = "Three lessons.\n\n1. Check the data.\n2. Check the source.\n3. Check again.\n"
    cleaned = articles.clean_text(raw)
    assert cleaned.title is None
    assert cleaned.paragraphs[0] == "Three lessons."
    assert "Check the source." in cleaned.body


def test_html_main_text_and_metadata() -> None:
    body, meta = articles.html_to_text(HOSTILE_PAGE)
    cleaned = articles.clean_text(body, meta["title"])
    assert meta == {"title": "Chip exports climb", "author": "Ada Lovelace", "outlet": "Example Times",
                    "published": "2024-05-06T08:00:00Z", "url": "https://news.example.org/chips"}
    assert cleaned.paragraphs == ["China exported more integrated circuits to Russia in 2023.", "• First point.",
                                  "• Second point.", "Trade between the two countries reached $240 billion in 2023."]
    for furniture in ("stolen", "alert", "Most read", "Copyright", "World", "Related", "color"):
        assert furniture not in cleaned.body


# --- article add ------------------------------------------------------------------------------------------------

def test_init_bundles_the_seed_article_idempotently(settings: Settings) -> None:
    assert init_db(settings).inserted > 0
    assert init_db(settings).inserted == 0  # a second init changes nothing
    row = stored(settings).iloc[0]
    assert (row.id, row.author, row.outlet, row.published) == (SEED_ID, "Cameron Manley", "Business Insider",
                                                               "2024-04")
    assert row.title.startswith("China is providing satellite intelligence")
    assert row.id == articles.article_id(row.body)


def test_add_text_file_prints_id_and_same_text_gives_same_id(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    init_db(settings)
    copy = tmp_path / "saved.txt"
    copy.write_bytes(SEED.read_bytes())
    assert add(monkeypatch, settings, str(copy), "--outlet", "Business Insider", "--published", "2024-04") == 0
    assert capsys.readouterr().out.strip() == SEED_ID  # the bundled article, added again: same id, one row
    assert len(stored(settings)) == 1
    note = tmp_path / "note.txt"
    note.write_text("A title\n\nChina's exports to Russia reached $110 billion in 2023.\n", encoding="utf-8")
    assert add(monkeypatch, settings, str(note), "--author", "A. Writer", "--url", "https://example.org/a") == 0
    new_id = capsys.readouterr().out.strip()
    row = stored(settings).set_index("id").loc[new_id]
    assert (row.title, row.author, row.url) == ("A title", "A. Writer", "https://example.org/a")
    assert row.body == "China's exports to Russia reached $110 billion in 2023."
    assert row.source_ref.startswith("note.txt sha256:")


def test_add_html_file_stores_text_only(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(HOSTILE_PAGE, encoding="utf-8")
    assert add(monkeypatch, settings, str(page)) == 0
    row = stored(settings).set_index("id").loc[capsys.readouterr().out.strip()]
    assert (row.title, row.author, row.outlet, row.published, row.url) == (
        "Chip exports climb", "Ada Lovelace", "Example Times", "2024-05-06", "https://news.example.org/chips")
    assert "<" not in row.body and "alert" not in row.body and "javascript" not in row.body


def test_add_url_fetches_the_page(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str], httpserver: HTTPServer) -> None:
    httpserver.expect_request("/news/chips").respond_with_data(HOSTILE_PAGE, content_type="text/html; charset=utf-8")
    url = httpserver.url_for("/news/chips")
    assert add(monkeypatch, settings, url, "--outlet", "Given Outlet") == 0
    row = stored(settings).set_index("id").loc[capsys.readouterr().out.strip()]
    assert (row.title, row.outlet, row.source_ref) == ("Chip exports climb", "Given Outlet", url)
    assert row.body.startswith("China exported more integrated circuits")


def test_add_plain_text_url(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str], httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a.txt").respond_with_data(SEED.read_text(encoding="utf-8"),
                                                          content_type="text/plain; charset=utf-8")
    assert add(monkeypatch, settings, httpserver.url_for("/a.txt")) == 0
    assert capsys.readouterr().out.strip() == SEED_ID
    assert stored(settings).iloc[0].url == httpserver.url_for("/a.txt")


# --- errors: one clear message, non-zero exit --------------------------------------------------------------------

def error_of(monkeypatch: pytest.MonkeyPatch, settings: Settings, capsys: pytest.CaptureFixture[str],
             *args: str) -> tuple[int, str]:
    code = add(monkeypatch, settings, *args)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize("name, content, phrase", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\n \t\n", "empty"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
    ("blob.bin", b"abc\x00\x01\x02" * 100, "binary file"),
    ("scripts.html", b"<html><body><script>alert(1)</script><nav>Home</nav></body></html>", "no text"),
])
def test_bad_files_fail_clearly(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: bytes,
                                phrase: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, err = error_of(monkeypatch, settings, capsys, str(path))
    assert code == 2 and phrase in err


def test_missing_file_and_bad_flags(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert error_of(monkeypatch, settings, capsys, str(tmp_path / "nope.txt"))[0] == 2
    note = tmp_path / "note.txt"
    note.write_text("Some text.\n", encoding="utf-8")
    code, err = error_of(monkeypatch, settings, capsys, str(note), "--url", "javascript:alert(1)")
    assert code == 2 and "http" in err
    code, err = error_of(monkeypatch, settings, capsys, str(note), "--published", "last Tuesday")
    assert code == 2 and "YYYY" in err
    code, err = error_of(monkeypatch, settings, capsys, "ftp://example.org/a.txt")
    assert code == 2 and "only http" in err


def test_unreachable_and_failing_urls(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str], httpserver: HTTPServer) -> None:
    code, err = error_of(monkeypatch, settings, capsys, f"http://127.0.0.1:{free_port()}/gone")
    assert code == 3 and "cannot connect" in err
    httpserver.expect_request("/missing").respond_with_data("not here", status=404)
    code, err = error_of(monkeypatch, settings, capsys, httpserver.url_for("/missing"))
    assert code == 3 and "HTTP 404" in err
    httpserver.expect_request("/doc.pdf").respond_with_data(b"%PDF-1.7 ...", content_type="application/pdf")
    code, err = error_of(monkeypatch, settings, capsys, httpserver.url_for("/doc.pdf"))
    assert code == 2 and "PDF" in err


def test_cli_subprocess_prints_only_the_id(cli_env: dict[str, str], tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "etl", "article", "add", str(SEED)], cwd=ROOT, env=cli_env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{SEED_ID}\n"
    assert f"/article?id={SEED_ID}" in done.stderr
