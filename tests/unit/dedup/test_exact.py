import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.factories import T0, article, existing, words
from scrapeline.transforms.dedup.exact import resolve_group

FULL = words(80) + " final sentence here."
CUT = words(80)


def test_exact_copies_collapse_to_one_row_with_all_titles():
    a, b = article(FULL, "Title A", url="u1"), article(FULL.upper(), "Title B", url="u2", position=2)
    r = resolve_group([a, b], [], 40)
    assert len(r.kept) == 1 and r.duplicates_in_run == 1
    kept = r.kept[0]
    assert kept.duplicate_count == 1
    assert kept.duplicate_titles == ("Title A", "Title B")
    assert kept.duplicate_urls == ("u1", "u2")
    assert kept.duplicate_locations == ("/in/a.txt#0/2",)


def test_truncated_copy_merges_into_the_complete_one():
    full, cut = article(FULL, "for sending"), article(CUT, "with sending", position=2)
    r = resolve_group([cut, full], [], 40)
    assert len(r.kept) == 1
    assert r.kept[0].body == FULL  # the most complete copy is kept
    assert set(r.kept[0].duplicate_titles) == {"for sending", "with sending"}


def test_short_prefix_below_the_minimum_is_its_own_story():
    short = article(words(30), "short")
    long = article(words(30) + " " + words(30, "x"), "long")
    assert short.story_key != long.story_key  # never even grouped
    r = resolve_group([short, long], [], 40)  # and not merged if they were
    assert len(r.kept) == 2


def test_same_lead_different_endings_stay_two_stories():
    a = article(words(50) + " " + words(10, "a"))
    b = article(words(50) + " " + words(12, "b"))
    assert a.story_key == b.story_key
    r = resolve_group([a, b], [], 40)
    assert len(r.kept) == 2 and r.duplicates_in_run == 0


def test_story_already_in_output_writes_nothing():
    old = article(FULL)
    r = resolve_group([article(CUT), article(FULL)], [existing(old)], 40)
    assert r.kept == () and r.duplicates_in_output == 2


def test_longer_copy_of_a_stored_truncation_is_not_written_again():
    r = resolve_group([article(FULL)], [existing(article(CUT))], 40)
    assert r.kept == () and r.duplicates_in_output == 1


def test_ties_break_by_published_then_fetched_then_url():
    early = article(FULL, "early", published_at=T0 - dt.timedelta(hours=1))
    late = article(FULL, "late", published_at=T0)
    unknown = article(FULL, "unknown")
    assert resolve_group([late, unknown, early], [], 40).kept[0].title == "early"
    f1 = article(FULL, "f1", fetched_at=T0)
    f2 = article(FULL, "f2", fetched_at=T0 + dt.timedelta(seconds=1))
    assert resolve_group([f2, f1], [], 40).kept[0].title == "f1"
    u_b, u_a, u_none = article(FULL, "b", url="b"), article(FULL, "a", url="a"), article(FULL, "none")
    assert resolve_group([u_none, u_b, u_a], [], 40).kept[0].title == "a"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(40, 90), st.integers(0, 3)), min_size=1, max_size=5))
def test_result_does_not_depend_on_input_order(specs):
    arts = [
        article(words(n, f"s{story}"), f"t{i}", position=i, published_at=T0 + dt.timedelta(minutes=m))
        for i, (story, n, m) in enumerate(specs)
    ]
    by_key = {}
    for a in arts:
        by_key.setdefault(a.story_key, []).append(a)
    results = []
    for perm in itertools.permutations(range(len(arts))):  # all of them (at most 5! = 120): the first items move too
        ordered = [arts[i] for i in perm]
        groups = {}
        for a in ordered:
            groups.setdefault(a.story_key, []).append(a)
        kept = sorted((k for g in groups.values() for k in resolve_group(g, [], 40).kept), key=lambda a: a.article_id)
        results.append(kept)
    assert all(r == results[0] for r in results)
    # accounting: every input is kept or counted as a duplicate
    total = sum(len(g) for g in by_key.values())
    res = [resolve_group(g, [], 40) for g in by_key.values()]
    assert sum(len(r.kept) + r.duplicates_in_run for r in res) == total


def test_copy_cut_mid_word_keeps_the_complete_one():
    full = article(words(50) + " avoid empty shelves.", "complete")
    cut = article(words(50) + " avoid empty shel", "cut", published_at=T0 - dt.timedelta(days=1))
    r = resolve_group([cut, full], [], 40)
    assert [k.title for k in r.kept] == ["complete"] and r.kept[0].duplicate_count == 1


def _naive_clusters(items, lead):
    """Reference, written from the rule and sharing no code with the product: every copy joins the most complete
    copy whose text it is (equal, or cut short after at least `lead` words, its last word possibly cut), comparing
    all pairs. Most complete: more words, then more characters; then earliest published, fetched, url, lineage."""
    import re
    import unicodedata

    def norm(text):
        return re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())

    def cut_from(short, long):
        if len(short) > len(long):
            return False
        if short == long:
            return True
        n = len(short)
        return n >= lead and short[:-1] == long[:n - 1] and long[n - 1].startswith(short[-1])

    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    ws = {id(a): norm(a.body) for a in items}
    order = sorted(items, key=lambda a: (-len(ws[id(a)]), -sum(len(w) for w in ws[id(a)]), a.published_at or far,
                                         a.fetched_at, a.url is None, a.url or "", a.input_uri, a.record_index,
                                         a.position, a.article_id))
    reps = []
    for a in order:
        for rep in reps:
            if cut_from(ws[id(a)], ws[id(rep[0])]):
                rep.append(a)
                break
        else:
            reps.append([a])
    return sorted((r[0].article_id, r[0].title, len(r) - 1) for r in reps)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(35, 60), st.sampled_from(["", " tail", " tai", " other"])),
                min_size=1, max_size=12))
def test_fast_clustering_agrees_with_the_all_pairs_reference(specs):
    arts = [article(words(n, f"s{story}") + suffix, f"t{i}", position=i) for i, (story, n, suffix) in enumerate(specs)]
    got = sorted((k.article_id, k.title, k.duplicate_count) for k in resolve_group(arts, [], 40).kept)
    assert got == _naive_clusters(arts, 40)
