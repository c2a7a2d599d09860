from hypothesis import given
from hypothesis import strategies as st

from scrapeline.transforms.core.keys import article_id, content_keys, is_truncation_of, normalise_words, story_key

words = st.lists(st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True), min_size=0, max_size=120)


def test_normalisation_ignores_case_punctuation_quotes_and_whitespace():
    a = "U.S. chips’ sales — “up”\n\n  10%…"
    b = "u s  CHIPS' sales - \"UP\" 10 %"
    assert normalise_words(a) == normalise_words(b) == ["u", "s", "chips", "sales", "up", "10"]


def test_nfkc_folds_compatibility_forms():
    assert normalise_words("ﬁnance Ｈ100") == normalise_words("finance H100")


def test_different_words_give_different_ids():
    assert content_keys("a b c", 40)[0] != content_keys("a b d", 40)[0]


@given(words)
def test_ids_are_stable_hex_and_invariant_under_formatting(ws):
    text = " ".join(ws)
    messy = "\n  ".join(w.upper() + "," for w in ws)
    assert content_keys(text, 8) == content_keys(messy, 8)
    aid, skey = content_keys(text, 8)
    assert len(aid) == 32 and int(aid, 16) >= 0 and len(skey) == 32


@given(words, st.integers(min_value=8, max_value=40))
def test_story_key_is_shared_by_every_copy_with_the_same_lead(ws, lead):
    full = ws + ["tail", "words"]
    if len(ws) >= lead:
        assert story_key(ws, lead) == story_key(full, lead)
        assert is_truncation_of(ws, full, lead)
    else:
        assert not is_truncation_of(ws, full, lead)


@given(words, st.integers(min_value=8, max_value=40))
def test_truncation_relation(ws, lead):
    assert is_truncation_of(ws, ws, lead)  # equal bodies are always one story
    assert not is_truncation_of(ws + ["x"], ws, lead)  # the longer is never a truncation of the shorter


def test_cut_mid_word_counts_as_truncation():
    long = [f"w{i}" for i in range(60)] + ["dominance", "today"]
    short = long[:60] + ["domin"]
    assert is_truncation_of(short, long, 40)
    assert not is_truncation_of(long[:60] + ["other"], long, 40)


def test_divergent_bodies_with_a_shared_lead_are_not_truncations():
    lead = [f"w{i}" for i in range(50)]
    assert not is_truncation_of(lead + ["a", "b"], lead + ["c", "d", "e"], 40)


def test_article_id_is_a_pure_function_of_the_words():
    assert article_id(["a", "b"]) == article_id(["a", "b"]) != article_id(["b", "a"])


def test_copy_cut_inside_its_last_word_is_a_truncation_of_equal_word_count():
    long = [f"w{i}" for i in range(45)] + ["shelves"]
    assert is_truncation_of(long[:45] + ["shel"], long, 40)
    assert not is_truncation_of(long[:45] + ["shelter"], long, 40)
