"""Find the checkable statements in an article's text: money amounts with their years, trade goods, countries and
dated events. Pure functions over text (regexes and vocabularies); no database, no Dash.

Each claim is a span of one paragraph. Spans never overlap: money first, then prices, goods, dated events and
country mentions, each skipping text an earlier kind already claimed.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from dashboard.article import events
from dashboard.article.text import Published, clause_at, sentence_at

KINDS = ("money", "price", "goods", "event", "country")

_MONEY = re.compile(r"(?:US\$|\$|USD\s?)(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*"
                    r"(?P<unit>trillion|billion|million|tn|bn|mn)?\b", re.I)
_SCALE = {"trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "million": 1e6, "mn": 1e6, None: 1.0}
_QUALIFIERS = (
    ("high", r"(?:a |an |the )?(?:(?:record|all-time) )?(?:high|peak|record)(?: level)? of"),
    ("over", r"(?:more than|over|above|exceeding|in excess of)"),
    ("under", r"(?:less than|under|below)"),
    ("approx", r"(?:about|around|roughly|approximately|some|nearly|almost|close to|an estimated)"),
)
_YEAR_AFTER = re.compile(r"\s*(?:in|for|during|by the end of)\s+(?P<year>(?:19|20)\d\d)\b")
_TRADE = re.compile(r"\btrade\b|\bturnover\b", re.I)
_BOTH = re.compile(r"two countries|bilateral|sino-russian|russo-chinese|china[-–]russia|russia[-–]china", re.I)
_CN = re.compile(r"\b(?:China|Chinese|Beijing)\b")
_RU = re.compile(r"\b(?:Russia|Russian|Moscow)\b")
_CN_EXPORTS = re.compile(r"China'?s? exports? to Russia|exports? from China to Russia|Russia'?s? imports? from China")
_RU_EXPORTS = re.compile(r"Russia'?s? exports? to China|exports? from Russia to China|China'?s? imports? from Russia")

# Trade goods the article may name -> Chokepoint categories (see etl/reference/dual_use_categories.csv).
# An empty tuple marks a service: customs trade data cannot check it.
GOODS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("geospatial satellite imagery", ()), ("satellite imagery", ()), ("satellite intelligence", ()),
    ("geospatial intelligence", ()),
    ("integrated circuits", ("integrated_circuits",)), ("microelectronics", ("integrated_circuits", "semiconductors")),
    ("semiconductors", ("integrated_circuits", "semiconductors")), ("microchips", ("integrated_circuits",)),
    ("chips", ("integrated_circuits", "semiconductors")), ("machine tools", ("machine_tools",)),
    ("optics", ("optics",)), ("optical equipment", ("optics",)), ("crude oil", ("crude_oil",)), ("oil", ("crude_oil",)),
    ("coal", ("coal",)), ("liquefied natural gas", ("natural_gas",)), ("natural gas", ("natural_gas",)),
    ("LNG", ("natural_gas",)), ("gas", ("natural_gas",)),
)
ENERGY = {"crude_oil", "coal", "natural_gas", "refined_oil"}
_GOODS = re.compile(r"\b(?:" + "|".join(re.escape(term) for term, _ in GOODS) + r")\b", re.I)
_GROWTH = re.compile(r"\b(?:grow|grew|grown|increas\w*|rose|risen|rising|surg\w*|jump\w*|soar\w*|doubl\w*|more)\b",
                     re.I)
_LARGE = re.compile(r"\b(?:large|huge|massive|vast|big) (?:quantities|amounts|volumes)\b", re.I)
_DISCOUNT = re.compile(r"\b(?:at|with|on)\s+(?:a\s+|steep\s+|deep\s+|heavily\s+)?(?:discount(?:ed)?|cut-price|"
                       r"below-market|cheap(?:er)?)(?:\s+(?:prices?|rates?))?", re.I)

# Country names and capitals used as metonyms -> (UN Comtrade code, display name). "US" is matched case-sensitively.
COUNTRIES: tuple[tuple[str, int, str], ...] = (
    (r"China|Beijing|PRC", 156, "China"), (r"Russia|Moscow|Kremlin", 643, "Russia"),
    (r"Ukraine|Kyiv|Kiev", 804, "Ukraine"), (r"United States|U\.S\.|US|USA|Washington", 842, "United States"),
    (r"Hong Kong", 344, "Hong Kong"), (r"Kazakhstan", 398, "Kazakhstan"), (r"Kyrgyzstan", 417, "Kyrgyzstan"),
    (r"Armenia", 51, "Armenia"), (r"Türkiye|Turkey", 792, "Türkiye"),
    (r"United Arab Emirates|UAE", 784, "United Arab Emirates"), (r"India", 699, "India"),
    (r"European Union|EU", 97, "European Union"),
)


@dataclass(frozen=True)
class Claim:
    """One checkable statement: where it is (paragraph, [start, end)), its kind, and what it asserts (facts)."""

    id: str
    kind: str
    paragraph: int
    start: int
    end: int
    text: str
    facts: dict[str, object] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(s < span[1] and span[0] < e for s, e in taken)


def _qualifier(paragraph: str, start: int) -> tuple[str | None, int]:
    """A word before an amount that changes what it claims ('a high of', 'more than'): its kind and start."""
    before = paragraph[max(0, start - 40):start]
    for kind, pattern in _QUALIFIERS:
        match = re.search(r"\b" + pattern + r"\s*$", before, re.I)
        if match:
            return kind, start - (len(before) - match.start())
    return None, start


def money_series(sentence: str) -> str | None:
    """Which headline series a sentence about money talks about: total trade or one direction, or None."""
    if _CN_EXPORTS.search(sentence):
        return "cn_to_ru"
    if _RU_EXPORTS.search(sentence):
        return "ru_to_cn"
    if _TRADE.search(sentence) and (_BOTH.search(sentence) or (_CN.search(sentence) and _RU.search(sentence))):
        return "total"
    return None


def _money(paragraph: str) -> list[tuple[int, int, dict[str, object]]]:
    found = []
    for match in _MONEY.finditer(paragraph):
        number = match.group("num").replace(",", "")
        unit = (match.group("unit") or "").lower() or None
        decimals = len(number.split(".")[1]) if "." in number else 0
        scale = _SCALE[unit]
        qualifier, start = _qualifier(paragraph, match.start())
        year_match = _YEAR_AFTER.match(paragraph, match.end())
        end = year_match.end() if year_match else match.end()
        s_start, s_end = sentence_at(paragraph, match.start())
        found.append((start, end, {
            "amount_usd": float(number) * scale, "tolerance_usd": 0.5 * 10 ** -decimals * scale,
            "scale": scale, "decimals": decimals,
            "stated": f"USD {number} {'bn' if scale == 1e9 else unit or ''}".strip(), "qualifier": qualifier,
            "year": int(year_match.group("year")) if year_match else None,
            "series": money_series(paragraph[s_start:s_end])}))
    return found


def _terms_in(sentence: str) -> list[str]:
    return [m.group(0) for m in _GOODS.finditer(sentence)]


def _categories(term: str) -> tuple[str, ...]:
    return next(cats for t, cats in GOODS if t.lower() == term.lower())


def _goods(paragraph: str) -> list[tuple[int, int, dict[str, object]]]:
    found = []
    for match in _GOODS.finditer(paragraph):
        categories = _categories(match.group(0))
        s_start, s_end = sentence_at(paragraph, match.start())
        c_start, c_end = clause_at(paragraph, match.start(), match.end())
        sentence, clause = paragraph[s_start:s_end], paragraph[c_start:c_end]
        assertion = ("large" if _LARGE.search(sentence) else "grown" if _GROWTH.search(clause) else "supplied")
        energy = bool(categories) and set(categories) <= ENERGY
        found.append((match.start(), match.end(), {
            "term": match.group(0), "categories": list(categories), "service": not categories,
            "direction": "ru_to_cn" if energy else "cn_to_ru", "assertion": assertion}))
    return found


def _prices(paragraph: str) -> list[tuple[int, int, dict[str, object]]]:
    found = []
    for match in _DISCOUNT.finditer(paragraph):
        s_start, s_end = sentence_at(paragraph, match.start())
        categories = sorted({c for t in _terms_in(paragraph[s_start:s_end]) for c in _categories(t) if c in ENERGY})
        if categories:
            found.append((match.start(), match.end(), {"categories": categories, "direction": "ru_to_cn",
                                                       "assertion": "discount"}))
    return found


def _events(paragraph: str, published: Published | None,
            taken: list[tuple[int, int]]) -> list[tuple[int, int, dict[str, object]]]:
    found = []
    for ref in events.find_dates(paragraph, published, taken):
        start, end = events.event_span(paragraph, ref, taken + [s[:2] for s in found])
        sentence, clause = events.context(paragraph, ref)
        found.append((start, end, {"date_label": ref.label, "date_from": ref.date_from, "date_to": ref.date_to,
                                   "precision": ref.precision, "expression": paragraph[ref.start:ref.end],
                                   "sentence": sentence, "clause": clause}))
    return found


def _countries(paragraph: str, taken: list[tuple[int, int]]) -> list[tuple[int, int, dict[str, object]]]:
    """The first free mention of each country in a paragraph (names are case-sensitive: 'US' is not 'us')."""
    found = []
    for pattern, code, name in COUNTRIES:
        for match in re.finditer(r"(?<![\w.])(?:" + pattern + r")(?:'s|’s)?(?![\w-])", paragraph):
            if not _overlaps(match.span(), taken):
                found.append((match.start(), match.end(), {"country": name, "code": code}))
                break
    return found


def extract_paragraph(index: int, paragraph: str, published: Published | None) -> list[Claim]:
    """All claims in one paragraph, as non-overlapping spans."""
    taken: list[tuple[int, int]] = []
    claims: list[Claim] = []

    def keep(kind: str, spans: list[tuple[int, int, dict[str, object]]]) -> None:
        for start, end, facts in spans:
            if not _overlaps((start, end), taken):
                taken.append((start, end))
                claims.append(Claim(f"p{index}-{start}", kind, index, start, end, paragraph[start:end], facts))

    keep("money", _money(paragraph))
    keep("price", _prices(paragraph))
    keep("goods", _goods(paragraph))
    keep("event", _events(paragraph, published, taken))
    keep("country", _countries(paragraph, taken))
    return sorted(claims, key=lambda c: c.start)


def extract(body: str, published: object = None) -> list[list[Claim]]:
    """Claims per paragraph of an article body (paragraphs separated by blank lines)."""
    when = Published.parse(published)
    return [extract_paragraph(i, p, when) for i, p in enumerate(paragraphs(body))]


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
