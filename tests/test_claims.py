"""Claims: extraction from text, and verdicts computed from a real database after init (and after a CSV import)."""
from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import queries
from dashboard.article.check import check_all
from dashboard.article.evidence import Evidence, Verdict
from dashboard.article.extract import Claim, extract
from etl import articles
from etl.pipeline import import_file, init_db
from etl.settings import Settings
from tests.conftest import CASES, ROOT

SEED = ROOT / "etl" / "reference" / "articles" / "china-satellite-intelligence-russia.txt"
SYNTHETIC = CASES / "articles" / "synthetic_china_russia_goods.csv"


def seed_row() -> dict[str, object]:
    return articles.bundled_articles()[0]


def claims_of(body: str, published: object = "2024-04") -> list[Claim]:
    return [c for found in extract(body, published) for c in found]


def by_text(claims: list[Claim], text: str) -> Claim:
    matches = [c for c in claims if c.text == text]
    assert len(matches) == 1, [c.text for c in claims]
    return matches[0]


# --- extraction (pure) ------------------------------------------------------------------------------------------

def test_seed_money_claim() -> None:
    money = [c for c in claims_of(str(seed_row()["body"])) if c.kind == "money"]
    assert [c.text for c in money] == ["a high of $240 billion in 2023"]
    facts = money[0].facts
    assert (facts["amount_usd"], facts["tolerance_usd"], facts["year"], facts["series"], facts["qualifier"]) == (
        240e9, 0.5e9, 2023, "total", "high")


def test_seed_goods_countries_and_dated_events() -> None:
    claims = claims_of(str(seed_row()["body"]))
    goods = {c.text.lower() for c in claims if c.kind == "goods"}
    assert {"chips", "integrated circuits", "microelectronics", "machine tools", "optics", "oil", "coal",
            "satellite imagery"} <= goods
    assert {c.facts["code"] for c in claims if c.kind == "country"} >= {156, 643, 804, 842}
    events = {c.text: c.facts for c in claims if c.kind == "event"}
    assert events["In October 2022, Russia said"]["date_label"] == "October 2022"
    assert events["declaring a 'no limits' friendship in 2022"]["date_from"] == "2022-01-01"
    met = events["they met in California in November last year"]  # relative to publication in April 2024
    assert (met["date_from"], met["date_to"]) == ("2023-11-01", "2023-11-30")
    last_year = events["This time last year, China's Ambassador"]
    assert (last_year["date_from"], last_year["date_to"]) == ("2023-03-01", "2023-05-31")
    recent = [f for f in events.values() if f["expression"].lower() == "in recent months"]
    assert recent and all((f["date_from"], f["date_to"]) == ("2023-10-01", "2024-04-30") for f in recent)
    price = [c for c in claims if c.kind == "price"]
    assert [(c.text, c.facts["categories"]) for c in price] == [("at discounted prices", ["coal", "crude_oil"])]


def test_spans_are_exact_and_never_overlap() -> None:
    body = str(seed_row()["body"])
    paragraphs = body.split("\n\n")
    for found in extract(body, "2024-04"):
        for claim in found:
            assert paragraphs[claim.paragraph][claim.start:claim.end] == claim.text
        for left, right in zip(found, found[1:]):
            assert left.end <= right.start


def test_amount_precision_and_qualifiers() -> None:
    claims = claims_of("China's exports to Russia were more than $1.25 trillion in 2031, up from USD 90 bn.\n\n"
                       "A deal worth about $5 million.")
    over, plain, approx = [c.facts for c in claims if c.kind == "money"]
    assert (over["amount_usd"], over["tolerance_usd"], over["qualifier"], over["series"]) == (
        1.25e12, 0.005e12, "over", "cn_to_ru")
    assert (plain["amount_usd"], plain["year"]) == (90e9, None)
    assert (approx["amount_usd"], approx["qualifier"], approx["series"]) == (5e6, "approx", None)


def test_relative_dates_need_a_publication_date() -> None:
    claims = claims_of("They met in California in November last year.", published=None)
    (event,) = [c for c in claims if c.kind == "event"]
    assert event.facts["date_from"] is None


# --- verdicts from the database --------------------------------------------------------------------------------

@pytest.fixture
def ready(settings: Settings) -> Settings:
    init_db(settings)
    queries.configure(settings)
    return settings


def verdicts(body: str, article: dict[str, object] | None = None) -> dict[str, Verdict]:
    claims = claims_of(body)
    found = check_all(claims, Evidence(article or {}))
    return {c.text: found[c.id] for c in claims}


@pytest.mark.both_backends
def test_seed_240bn_claim_is_supported_by_bundled_figures(ready: Settings) -> None:
    row = seed_row()
    result = verdicts(str(row["body"]), row)["a high of $240 billion in 2023"]
    assert result.verdict == "supported"
    assert result.hover.startswith("USD 240 bn in 2023 — China customs: USD 240.1 bn")
    assert "series high up to 2023" in result.hover
    assert result.chart["chart"] == "headline" and result.link == "/?from=2013&to=2024"


@pytest.mark.parametrize("sentence, verdict, phrase", [
    ("Trade between the two countries reached a high of $250 billion in 2023.", "contradicted", "USD 240.1 bn"),
    ("Trade between China and Russia was $240.1 billion in 2023.", "supported", "USD 240.11 bn"),
    ("Trade between China and Russia reached a high of $108 billion in 2020.", "contradicted",
     "not a high: USD 110.8 bn in 2019"),
    ("China's exports to Russia were $76 billion in 2022.", "supported", "USD 76.1 bn"),
    ("China's exports to Russia were $70 billion in 2021.", "unchecked", "not in the bundled figures"),
    ("Trade between China and Russia reached $30 billion in 2001.", "unchecked", "not in the bundled figures"),
    ("The deal was worth $240 billion in 2023.", "unchecked", "names no China–Russia trade series"),
])
def test_money_verdicts(ready: Settings, sentence: str, verdict: str, phrase: str) -> None:
    (result,) = [v for text, v in verdicts(sentence).items() if "$" in text]
    assert result.verdict == verdict, result.hover
    assert phrase in result.hover


@pytest.mark.both_backends
def test_goods_claims_unchecked_until_trade_rows_then_checked(ready: Settings) -> None:
    body = str(seed_row()["body"])
    before = verdicts(body, seed_row())
    for term in ("chips", "integrated circuits", "machine tools", "optics", "oil", "coal", "at discounted prices"):
        assert before[term].verdict == "unchecked", term
    assert "needs UN Comtrade HS 8542 China→Russia exports: run python -m etl refresh" in \
        before["integrated circuits"].hover
    assert "2709" in before["oil"].hover and "Russia→China" in before["oil"].hover
    assert "service, not goods" in before["Satellite imagery"].hover

    import_file(ready, SYNTHETIC)
    after = verdicts(body, seed_row())
    assert after["integrated circuits"].verdict == "supported"
    assert "2021 USD 1.0 mn; 2022 USD 2.0 mn, +100% vs 2021; 2023 USD 3.0 mn, +200% vs 2021" in \
        after["integrated circuits"].hover
    assert "csv:synthetic_china_russia_goods.csv" in after["chips"].hover
    assert after["chips"].verdict == "supported" and "HS 8542, 8541" in after["chips"].hover
    assert after["machine tools"].verdict == "supported"
    assert after["oil"].verdict == "supported" and "1.20 Mt" in after["oil"].hover  # 'large': >= 1 Mt a year
    assert after["coal"].verdict == "contradicted"  # 1,000 t and USD 0.1 mn are not large quantities
    assert after["at discounted prices"].verdict == "supported"
    assert "Russia USD 500/t vs other suppliers USD 778/t" in after["at discounted prices"].hover
    assert "csv:synthetic_china_russia_goods.csv" in after["at discounted prices"].hover
    assert after["optics"].verdict == "unchecked" and "9001" in after["optics"].hover
    assert after["Satellite imagery"].verdict == "unchecked"


def test_growth_claim_contradicted_when_exports_fell(ready: Settings, tmp_path: Path) -> None:
    csv = tmp_path / "synthetic_fell.csv"
    csv.write_text("reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"
                   "156,643,X,A,2021,9001,2000000,,,\n156,643,X,A,2023,9001,1000000,,,\n", encoding="utf-8")
    import_file(ready, csv)
    result = verdicts("China's exports of optics to Russia have grown since the invasion.")["optics"]
    assert result.verdict == "contradicted" and "-50% vs 2021" in result.hover


@pytest.mark.both_backends
def test_dated_events_against_the_timeline(ready: Settings) -> None:
    row = seed_row()
    seed = verdicts(str(row["body"]), row)
    assert seed["declaring a 'no limits' friendship in 2022"].verdict == "supported"
    assert "2022-02-04" in seed["declaring a 'no limits' friendship in 2022"].hover
    assert seed["the country's 2022 invasion of Ukraine"].verdict == "supported"
    # the timeline's source for these two events is the seed article itself: no independent confirmation
    for text in ("In October 2022, Russia said", "they met in California in November last year"):
        assert seed[text].verdict == "unchecked" and "this article itself" in seed[text].hover
    assert seed["This time last year, China's Ambassador"].verdict == "unchecked"
    assert "no matching event" in seed["This time last year, China's Ambassador"].hover

    other = verdicts("In October 2022, Russia said commercial satellites helping Ukraine were legitimate targets.\n\n"
                     "In March 2023, Xi and Putin declared a friendship with no limits.")
    assert other["In October 2022, Russia said"].verdict == "supported"
    wrong = other["In March 2023, Xi and"]
    assert wrong.verdict == "contradicted" and "dates this 2022-02-04" in wrong.hover


def write_long(path: Path, rows: list[str]) -> Path:
    path.write_text("reporter_code,partner_code,flow,freq,period,hs_code,value_usd,net_weight_kg,qty,qty_unit\n"
                    + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_monthly_data_counts_from_march_2022(ready: Settings, tmp_path: Path) -> None:
    months = [f"156,643,X,M,2021{m:02d},8542,100000,,," for m in range(1, 13)]
    months += [f"156,643,X,M,2022{m:02d},8542,200000,,," for m in range(1, 13)]
    import_file(ready, write_long(tmp_path / "synthetic_monthly.csv", months))
    result = verdicts("China supplied integrated circuits to Russia.")["integrated circuits"]
    assert result.verdict == "supported"
    assert "2021 USD 1.2 mn; 2022 (10 months, from March) USD 2.0 mn" in result.hover


def test_sources_are_never_added_together(ready: Settings, tmp_path: Path) -> None:
    import_file(ready, write_long(tmp_path / "synthetic_a.csv", ["156,643,X,A,2023,8542,1000000,,,"]))
    import_file(ready, write_long(tmp_path / "synthetic_b.csv", ["156,643,X,A,2023,8542,3000000,,,"]))
    series = Evidence().series("integrated_circuits", 156, 643, "X", "A")
    assert list(series["period"]) == ["2023"]
    assert float(series["value_usd"].iloc[0]) in (1e6, 3e6)  # one source's figure, never 4e6


def test_every_claim_chart_is_a_valid_plotly_figure_of_its_numbers(ready: Settings) -> None:
    import plotly.graph_objects as go

    from dashboard.article.charts import chart_frame, figure_for

    import_file(ready, SYNTHETIC)
    body = str(seed_row()["body"])
    ev = Evidence(seed_row())
    claims = claims_of(body)
    found = check_all(claims, ev)
    kinds = set()
    for claim in claims:
        verdict = found[claim.id]
        figure, caption = figure_for(dict(verdict.chart), ev)
        if figure is None:
            continue
        plain = figure.to_plotly_json()
        go.Figure(plain)  # raises on any attribute plotly does not know
        kinds.add(verdict.chart["chart"])
        plotted = [y for trace in plain["data"] for y in trace["y"] if y is not None]
        assert plotted, claim.text
        assert caption.startswith("Source:")
        if verdict.chart["chart"] == "headline":
            frame = chart_frame(dict(verdict.chart), ev)
            assert sorted(plain["data"][0]["y"]) == sorted(frame["value_usd"].dropna() / 1e9)
    assert kinds == {"headline", "events", "goods", "price"}
