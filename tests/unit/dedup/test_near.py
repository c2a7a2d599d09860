"""The near-duplicate stage's pure functions: shingles, MinHash, band keys, verification, clusters, resolution.

Copies are made the way real syndication makes them (notes/real-world-findings.md): template lines leaking into
the body, datelines and wire footers, spelling and character variants, cut-down copies. False merges are the
expensive error, so the negatives are the ones real sites produce: two stories of one site sharing its template
lines, short pages, tables of scores and prices.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from tests.support.factories import article, existing
from tests.support.stories import META_OPEN_SOURCE, NVIDIA_CHIPS, STORIES, TARIFF_OIL
from scrapeline.transforms.dedup.exact import resolve_near
from scrapeline.transforms.core.keys import normalise_words
from scrapeline.transforms.dedup.near import (
    article_band_keys,
    band_keys,
    candidate_probability,
    clusters,
    Match,
    compare,
    lowest_jaccard,
    minhash,
    optimal_bands,
)
from scrapeline.transforms.core.keys import body_shingles, shingles
from scrapeline.transforms.core.records import ExistingStory
from scrapeline.pipeline.config import load_config

S = load_config().near
TEMPLATE = (
    "Sign up for our morning newsletter and get the day's top stories delivered to your inbox.\n"
    "Copyright 2025 The Daily Example. All rights reserved. This material may not be published or redistributed."
)


def paragraphs(text: str) -> list[str]:
    return text.split("\n")


def cmp(a: str, b: str):
    sa, wa = body_shingles(a, S.shingle_words)
    sb, wb = body_shingles(b, S.shingle_words)
    return compare(sa, wa, sb, wb, S)


def jaccard(a: str, b: str) -> float:
    sa, sb = set(body_shingles(a, 5)[0].tolist()), set(body_shingles(b, 5)[0].tolist())
    return len(sa & sb) / len(sa | sb)


# --- building blocks -------------------------------------------------------------------------------------------------

def test_shingles_are_the_distinct_windows_and_ignore_case_and_punctuation():
    a = shingles(normalise_words("The cat sat on the mat. The cat sat on the mat."), 5)
    b = shingles(normalise_words("the CAT sat on the mat, the cat sat on the mat"), 5)
    assert np.array_equal(a, b)
    assert len(a) == 6  # 12 words, 8 windows, 2 repeated
    d = shingles(normalise_words("one two three four five six seven eight nine ten"), 5)
    e = shingles(normalise_words("one two three four five SIX7 seven eight nine ten"), 5)
    assert len(d) == 6 and len(np.intersect1d(d, e)) == 1  # a changed word changes every window that holds it


def test_minhash_estimates_jaccard():
    a = body_shingles(NVIDIA_CHIPS, 5)[0]
    half = body_shingles(" ".join(NVIDIA_CHIPS.split()[:130]), 5)[0]
    true = len(np.intersect1d(a, half)) / len(np.union1d(a, half))
    sig_a, sig_h = minhash(a, 256), minhash(half, 256)
    assert abs(float(np.mean(sig_a == sig_h)) - true) < 0.08
    assert float(np.mean(minhash(a, 256) == minhash(body_shingles(TARIFF_OIL, 5)[0], 256))) < 0.03


def test_band_keys_are_stable_values():
    """Band keys are persisted in the output's index: a change of their values would make every later run miss the
    stored stories. These values were computed by this implementation; change them only with a migration."""
    keys = band_keys(minhash(shingles(normalise_words("one two three four five six seven"), 5), 4), 2, 2)
    assert keys == band_keys(minhash(shingles(normalise_words("One two, three four five six seven."), 5), 4), 2, 2)
    assert keys == [-8697740528207276791, 8345626689226565041]


def test_permutations_come_from_integer_arithmetic_not_a_numpy_generator():
    from scrapeline.transforms.dedup.near import _perms

    a, b = _perms(3)
    assert a.tolist() == [6738746759021200591, 13302756791972037309, 7907323450408677767]
    assert b.tolist() == [11727665345982166149, 125218179322878898, 18268478534481127043]
    assert all(x % 2 == 1 for x in _perms(64)[0].tolist())


def test_short_bodies_get_no_band_keys():
    keys, _, words = article_band_keys(" ".join(normalise_words(META_OPEN_SOURCE)[: S.min_words - 1]), S)
    assert keys == [] and words == S.min_words - 1
    keys, _, _ = article_band_keys(META_OPEN_SOURCE, S)
    assert len(keys) == S.bands and len(set(keys)) == S.bands


def test_the_banding_catches_the_lowest_jaccard_a_contained_copy_can_have():
    """A copy cut to a third of the story: Jaccard about 0.3. The configured banding must make it a candidate."""
    assert candidate_probability(0.30, S.bands, S.rows) > 0.95
    assert candidate_probability(0.05, S.bands, S.rows) < 0.1
    # the configured banding is the optimum (LSH Ensemble's criterion) for a copy cut to a third, containment 0.8,
    # a missed pair weighing 4x a false candidate (one costs a duplicate row, the other one verification)
    assert optimal_bands(lowest_jaccard(S.containment, 3.0), S.num_perm, fp_weight=0.2) == (S.bands, S.rows)


def test_clusters_do_not_depend_on_edge_order():
    edges = [("c", "d"), ("a", "b"), ("b", "c"), ("x", "y")]
    expect = clusters("abcdxyz", edges)
    for seed in range(5):
        shuffled = edges[:]
        random.Random(seed).shuffle(shuffled)
        assert clusters("zyxdcba", [(b, a) for a, b in shuffled]) == expect
    assert expect["d"] == "a" and expect["y"] == "x" and expect["z"] == "z"


# --- what real syndication does: these must match --------------------------------------------------------------------

def test_template_lines_leaking_into_a_copy_still_match():
    leaked = "WORLD > Business\n" + NVIDIA_CHIPS + "\nPlease support local business! Advertisement Links"
    m = cmp(NVIDIA_CHIPS, leaked)
    assert m is not None and m.kind == "near_duplicate" and m.jaccard >= S.jaccard


def test_dateline_wire_footer_spelling_and_characters_still_match():
    variant = (
        "LAS VEGAS --(Business Wire)-- "
        + NVIDIA_CHIPS.replace("licences", "licenses").replace("'", "?").replace("...", ". . .")
        + "\nReporting by Jane Doe; Editing by John Roe"
    )
    assert cmp(NVIDIA_CHIPS, variant) == Match("near_duplicate", 0.9127, 0.9127, 0.9787)


def test_a_byline_time_and_a_read_more_line_still_match():
    paras = paragraphs(TARIFF_OIL)
    a = "1 hour, 40 minutes ago\n" + TARIFF_OIL
    b = "\n".join(["42 minutes ago", *paras[:2], "READ MORE: US charges 2 Chinese nationals for sending chips", *paras[2:]])
    assert cmp(a, b) == Match("near_duplicate", 0.9483, 0.9483, 0.9885)


def test_a_cut_down_copy_is_contained_although_its_jaccard_is_low():
    words = NVIDIA_CHIPS.split()
    short = "WASHINGTON (AP) - " + " ".join(words[:80])
    assert jaccard(short, NVIDIA_CHIPS) < 0.5
    assert cmp(short, NVIDIA_CHIPS) == Match("contained", 0.9744, 0.3207, 0.9744)  # containment, not jaccard


def test_a_copy_with_a_paragraph_removed_or_added_matches():
    paras = paragraphs(META_OPEN_SOURCE)
    removed = "\n".join(paras[:1] + paras[2:])
    added = META_OPEN_SOURCE + "\n" + paragraphs(TARIFF_OIL)[0]
    assert cmp(META_OPEN_SOURCE, removed) == Match("contained", 0.9739, 0.6535, 0.9739)
    assert cmp(META_OPEN_SOURCE, added) == Match("contained", 1.0, 0.4638, 1.0)  # every shingle of the original is in it


# --- false merges: these must not match ------------------------------------------------------------------------------

@pytest.mark.parametrize("i,j", [(0, 1), (0, 2), (1, 2)])
def test_two_stories_of_one_site_sharing_its_template_lines_do_not_match(i, j):
    a = TEMPLATE + "\n" + STORIES[i] + "\n" + TEMPLATE
    b = TEMPLATE + "\n" + STORIES[j] + "\n" + TEMPLATE
    assert cmp(a, b) is None


def test_short_pages_sharing_template_lines_do_not_match():
    """Two short different stories (~60 words each) with the same two template lines (~30 words)."""
    a = " ".join(NVIDIA_CHIPS.split()[:35]) + "\n" + TEMPLATE
    b = " ".join(TARIFF_OIL.split()[:35]) + "\n" + TEMPLATE
    assert cmp(a, b) is None
    # below min_words nothing matches, not even a copy
    tiny = " ".join(NVIDIA_CHIPS.split()[:30])
    assert cmp(tiny, tiny) is None


def _table(rng: random.Random, names: list[str], kind: str) -> str:
    lines = ["Results from the weekend's matches in the league." if kind == "scores" else "Closing prices on Friday."]
    for i in range(0, len(names) - 1, 2 if kind == "scores" else 1):
        if kind == "scores":
            lines.append(f"{names[i]} {rng.randint(0, 4)} {names[i + 1]} {rng.randint(0, 4)}")
        else:
            lines.append(f"{names[i]} {rng.uniform(10, 500):.2f} {rng.choice('+-')}{rng.uniform(0, 9):.2f} "
                         f"({rng.uniform(0, 3):.2f}%)")
    return "\n".join(lines)


@pytest.mark.parametrize("kind", ["scores", "stocks"])
def test_tables_of_scores_or_prices_with_the_same_names_do_not_match(kind):
    names = (["Arsenal", "Chelsea", "Liverpool", "Everton", "Fulham", "Brentford", "Burnley", "Wolves", "Leeds",
              "Spurs", "Brighton", "Newcastle", "Villa", "Forest", "Bournemouth", "Palace"] * 3 if kind == "scores"
             else ["AAPL", "MSFT", "NVDA", "GOOG", "AMZN", "META", "TSLA", "NFLX", "INTC", "AMD", "ORCL", "IBM",
                   "CSCO", "ADBE", "CRM", "QCOM", "TXN", "AVGO", "PYPL", "SHOP"])
    a, b = _table(random.Random(1), names, kind), _table(random.Random(2), names, kind)
    assert len(normalise_words(a)) >= S.min_words
    assert cmp(a, b) is None


def test_a_copy_far_smaller_than_the_story_is_not_contained():
    """Two paragraphs quoted from a story are a quote, not a copy: the size ratio caps containment."""
    quote = " ".join(NVIDIA_CHIPS.split()[:60])
    longer = NVIDIA_CHIPS + "\n" + META_OPEN_SOURCE + "\n" + TARIFF_OIL
    assert len(normalise_words(longer)) / len(normalise_words(quote)) > S.max_size_ratio
    assert cmp(quote, longer) is None


# --- resolution -------------------------------------------------------------------------------------------------------

def test_resolve_near_keeps_the_most_complete_copy_and_explains_every_merge():
    full = article(NVIDIA_CHIPS, title="Full", input_uri="/in/full.html", position=0)
    cut = article("WASHINGTON (AP) - " + " ".join(NVIDIA_CHIPS.split()[:90]), title="Cut", input_uri="/in/cut.html",
                  position=0)
    leaked = article("WORLD > Business\n" + NVIDIA_CHIPS.replace("licences", "licenses"), title="Leaked",
                     input_uri="/in/leak.html", position=0, word_count=len(NVIDIA_CHIPS.split()) + 3)
    for order in ([full, cut, leaked], [leaked, cut, full], [cut, full, leaked]):
        res = resolve_near(order, [], S)
        assert len(res.kept) == 1 and res.duplicates_in_run == 2 and not res.late
        kept = res.kept[0]
        assert kept.title == "Leaked"  # most words
        assert kept.duplicate_count == 2
        assert set(kept.duplicate_locations) == {full.location, cut.location}
        by_loc = {m.location: m for m in kept.duplicate_matches}
        assert by_loc[full.location].match == "near_duplicate" and by_loc[full.location].similarity >= S.jaccard
        assert by_loc[cut.location].match == "contained"
        assert by_loc[cut.location].matched_to in {full.location, leaked.location}
        assert set(kept.duplicate_titles) == {"Full", "Cut", "Leaked"}


def test_resolve_near_with_a_stored_story_records_the_new_copies_on_its_row():
    stored_art = article(" ".join(NVIDIA_CHIPS.split()[:120]), input_uri="/old/a.html", position=0)
    stored = ExistingStory(stored_art.article_id, stored_art.story_key, stored_art.body, "/out/f.parquet",
                           stored_art.location, ())
    longer = article(NVIDIA_CHIPS, title="Longer later", input_uri="/new/b.html", position=0,
                     duplicate_locations=("/new/c.html#0/0",), duplicate_titles=("Longer later", "C"))
    res = resolve_near([longer], [stored], S)
    assert res.kept == () and res.duplicates_in_output == 1
    (late,) = res.late
    assert late.article_id == stored.article_id and late.path == "/out/f.parquet"
    assert set(late.locations) == {longer.location, "/new/c.html#0/0"}
    assert [m.match for m in late.matches if m.location == longer.location] == ["contained"]
    # the same copy already recorded on the stored row: nothing to record again
    again = ExistingStory(stored.article_id, stored.story_key, stored.body, stored.path, stored.location,
                          (longer.location,))
    assert resolve_near([longer], [again], S).late == ()


def test_resolve_near_without_stored_but_with_existing_factory_story_is_unchanged_for_singletons():
    a = article(TARIFF_OIL)
    res = resolve_near([a], [], S)
    assert res.kept[0].duplicate_count == 0 and res.kept[0].duplicate_matches == ()
    assert existing(a).article_id == a.article_id


def test_a_bucket_pairs_new_articles_only_with_compatible_sizes_and_skips_oversized_buckets():
    from scrapeline.transforms.core.records import BandEntry
    from scrapeline.transforms.dedup.exact import candidate_pairs

    entries = [BandEntry("b", 100), BandEntry("a", 120), BandEntry("s1", 110, True, "p"), BandEntry("s2", 90, True, "p"),
               BandEntry("tiny", 10), BandEntry("a", 120)]
    # stored-stored pairs are not compared again; 10 shingles against 100+ is beyond max_size_ratio
    assert candidate_pairs(entries, S, 10) == [("a", "b"), ("a", "s1"), ("a", "s2"), ("b", "s1"), ("b", "s2")]
    assert candidate_pairs([BandEntry("s1", 100, True), BandEntry("s2", 100, True)], S, 10) == []
    assert candidate_pairs(entries, S, 4) is None  # 5 distinct articles: oversized, skipped and counted
