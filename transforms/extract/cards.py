"""Card or article: a related block of an HTML page is an article only with an article's body.

A news page carries cards for other stories: a heading, a one- or two-sentence dek, an image caption, a link.
A related block (an `<article>` element other than the main one, or a further JSON-LD article) is an article only
when it has enough words, several paragraphs, and text that is not mostly links. The thresholds (`teasers:` in
configs/default.yaml, CardRules) were set on hand-labelled related blocks (benchmarks/teaser_quality.py).
Related blocks of text dumps (the aggregator layouts) are full articles and stay so.
"""

from __future__ import annotations

from scrapeline.transforms.extract.settings import CardRules

__all__ = ["block_role", "is_card", "link_density"]
def is_card(words: int, paragraphs: int, link_share: float, rules: CardRules) -> bool:
    """A related block is a card (teaser) unless it has an article's body."""
    return words < rules.article_min_words or paragraphs < rules.article_min_paragraphs or \
        link_share > rules.max_link_density


def block_role(words: int, paragraphs: int, link_share: float, heading_linked: bool, rules: CardRules) -> str | None:
    """What a related `<article>` block of an HTML page is: "teaser" (a card), "related" (an article of its own),
    or None: a long block under a heading that links nowhere ("Instructions", "Key Takeaways") is a section of
    the page (its link is one from its text), neither a story of its own nor a card."""
    if is_card(words, paragraphs, link_share, rules):
        return "teaser"
    return "related" if heading_linked else None


def link_density(element) -> float:
    """The share of an lxml element's text that is inside links."""
    total = len(" ".join(element.text_content().split()))
    if not total:
        return 0.0
    linked = sum(len(" ".join(a.text_content().split())) for a in element.xpath(".//a[not(ancestor::a)]"))
    return min(1.0, linked / total)
