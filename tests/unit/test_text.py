import json

import numpy as np
import pytest

from sentiment_cli.text import (
    DOCUMENT_ID,
    PAD_ID,
    UNKNOWN_ID,
    UNKNOWN_TOKEN,
    WORDS_ONLY,
    Encoder,
    NgramTable,
    Scripts,
    Vocabulary,
    mark_negation,
    ngram_keys,
    pad,
    scripts_of,
    tokenize,
    tokenize_with_offsets,
)


def test_tokenize_lowercases_keeps_apostrophes_and_drops_html_breaks():
    assert tokenize("I didn't LOVE it.<br /><br />The director's cut: 10/10!") == [
        "i", "didn't", "love", "it", "the", "director's", "cut", "10", "10",
    ]  # fmt: skip


def test_tokenize_handles_non_latin_scripts_and_emoji():
    assert tokenize("영화 최고 👍 رائع جدا") == ["영화", "최고", "👍", "رائع", "جدا"]
    assert tokenize("영화 최고 👍 رائع جدا", WORDS_ONLY) == ["영화", "최고", "رائع", "جدا"]  # models before emoji


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("I love it :) <3 😍😍 👍🏽", ["i", "love", "it", ":)", "<3", "😍", "😍", "👍🏽"]),
        ("so bad :-( (: xD", ["so", "bad", ":-(", "(:", "xd"]),
        ("the movie 👎", ["the", "movie", "👎"]),
        ("http://t.co/x:) (a) [b] 3:1", ["<url>", "a", "b", "3", "1"]),  # no emoticons in links or ratios
        ("!!!", []),
        ("@Apple your https://t.co/a?b=1 app :(", ["@user", "your", "<url>", "app", ":("]),
    ],
)
def test_emoticons_and_emoji_are_tokens(text, tokens):
    assert tokenize(text) == tokens


def test_a_tokenizer_file_names_a_known_pattern_only():
    data = Vocabulary.from_tokens([tokenize("a :)")], 5).to_dict()
    assert Vocabulary.from_dict(data).tokens == ["[UNK]", ":)", "a"]
    assert Vocabulary.from_dict({**data, "pattern": WORDS_ONLY}).pattern == WORDS_ONLY
    with pytest.raises(ValueError, match="incompatible"):
        Vocabulary.from_dict({**data, "pattern": "(a+)+$"})


def test_offsets_slice_the_original_text():
    text = "Great<br />film, don't MISS it"
    tokens = tokenize_with_offsets(text)
    assert [t.text for t in tokens] == tokenize(text)
    assert [text[t.start : t.end] for t in tokens] == ["Great", "film", "don't", "MISS", "it"]


def test_vocabulary_ranks_by_frequency_then_alphabet_and_reserves_ids():
    vocab = Vocabulary.from_tokens([tokenize(t) for t in ("b a a", "c b a", "d")], size=4)
    assert vocab.tokens == [UNKNOWN_TOKEN, "a", "b", "c"]
    assert vocab.input_dim == 5
    assert vocab.ids(tokenize("a b c d zzz")) == [2, 3, 4, UNKNOWN_ID, UNKNOWN_ID]


def test_vocabulary_json_round_trip():
    vocab = Vocabulary.from_tokens([tokenize("ünïcode words here"), ["words"]], size=10)
    again = Vocabulary.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert again.tokens == vocab.tokens
    assert again.ids(["words", "here"]) == vocab.ids(["words", "here"]) == [2, 3]


def test_vocabulary_rejects_foreign_tokenizer_files():
    data = Vocabulary.from_tokens([["a"]], 5).to_dict()
    with pytest.raises(ValueError, match="incompatible"):
        Vocabulary.from_dict({**data, "format": 99})
    with pytest.raises(ValueError, match="first vocabulary entry"):
        Vocabulary(["a", UNKNOWN_TOKEN])


def test_pad_right_pads_truncates_and_adds_rows():
    matrix = pad([[5, 6, 7], [8]], length=2, rows=3)
    np.testing.assert_array_equal(matrix, [[5, 6], [8, PAD_ID], [PAD_ID, PAD_ID]])
    assert matrix.dtype == np.int32
    assert pad([[]]).shape == (1, 1)


def test_ngram_table_finds_known_ngrams_only():
    reviews = [tokenize("not good at all"), tokenize("not good, really"), tokenize("very good")]
    table = NgramTable.build(reviews, order=2, size=100)  # kept: seen in at least 2 reviews
    assert len(table) == 3  # "good" (3 reviews), "not" and "not good" (2 each)
    assert len(table.ids(tokenize("not good"))) == 1 + 3
    assert len(table.ids(tokenize("good not"))) == 1 + 2  # "good not" is unknown
    only_most_frequent = NgramTable.build(reviews, order=2, size=1)
    assert only_most_frequent.keys.tolist() == ngram_keys(["good"], 1).tolist()
    ids = table.ids(tokenize("not good"))
    assert ids[0] == DOCUMENT_ID and ids == sorted(ids)
    assert table.ids(tokenize("")) == [DOCUMENT_ID]
    assert table.ids(tokenize("unseen words entirely")) == [DOCUMENT_ID]
    keys = ngram_keys(["a", "b", "a"], 3)
    assert keys.dtype == np.uint32 and keys.tolist() == sorted(set(keys.tolist()))
    assert len(keys) == 2 + 2 + 1  # a, b; "a b", "b a"; "a b a"
    assert set(ngram_keys(["b", "a"], 2)) <= set(keys)  # "b a" inside "a b a" has the same key
    ab, ba = set(ngram_keys(["a", "b"], 2).tolist()), set(ngram_keys(["b", "a"], 2).tolist())
    assert len(ab) == len(ba) == 3 and len(ab ^ ba) == 2  # word order matters: "a b" differs from "b a"


def test_encoder_round_trip_and_batches():
    reviews = ["great film great cast", "awful film", "great fun"]
    tokens = [tokenize(r) for r in reviews]
    encoder = Encoder(Vocabulary.from_tokens(tokens, 10), 3, NgramTable.build(tokens, 2, 50, min_count=1))
    assert "max_length" not in encoder.to_dict()  # the card holds it, once
    again = Encoder.from_dict(json.loads(json.dumps(encoder.to_dict())), encoder.ngrams.keys, 3)
    older = Encoder.from_dict({**encoder.to_dict(), "max_length": 2}, encoder.ngrams.keys, 3)
    assert older.max_length == 2  # a tokenizer file from before 0.2 carries its own
    with pytest.raises(ValueError, match="max_length"):
        Encoder.from_dict(encoder.to_dict(), encoder.ngrams.keys)
    items = [encoder.encode(r) for r in reviews]
    assert [again.encode(r) for r in reviews] == items
    assert items[0].token_ids == encoder.vocabulary.ids(["great", "film", "great"])  # max_length 3
    arrays = encoder.batch(items, rows=4)
    assert set(arrays) == {"token_ids", "ngram_ids"}
    assert arrays["token_ids"].shape == (4, 3)
    assert arrays["ngram_ids"].shape[0] == 4 and (arrays["ngram_ids"][3] == 0).all()
    with pytest.raises(ValueError, match="n-gram table"):
        Encoder.from_dict(encoder.to_dict())


def _splitmix(x: int) -> int:
    mask = (1 << 64) - 1
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & mask
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & mask
    return x ^ (x >> 31)


def reference_keys(tokens: list[str], order: int) -> list[int]:
    """The on-disk n-gram hash, written out in plain Python integers: CRC-32 per token, chained with splitmix64."""
    import zlib

    mask = (1 << 64) - 1
    hashes = [zlib.crc32(t.encode("utf-8")) for t in tokens]
    keys = set()
    for start in range(len(tokens)):
        chained = _splitmix(hashes[start])
        keys.add(chained >> 32)
        for n in range(2, order + 1):
            if start + n > len(tokens):
                break
            chained = _splitmix((chained * 0x9E3779B97F4A7C15 + hashes[start + n - 1]) & mask)
            keys.add(chained >> 32)
    return sorted(keys)


def test_ngram_hash_is_the_on_disk_format():
    tokens = ["not", "bad", "at", "all", "영화", "👍"]
    assert ngram_keys(tokens, 3).tolist() == reference_keys(tokens, 3)
    # One literal value pins the format itself: changing it breaks every saved n-gram table.
    assert ngram_keys(["good"], 1).tolist() == [reference_keys(["good"], 1)[0]] == [568152665]


def test_character_units_and_character_ngrams():
    reviews = ["영화가 최고", "영화는 최고", "영화를 싫어"]
    tokens = [tokenize(r) for r in reviews]
    vocabulary = Vocabulary.from_tokens(([*" ".join(t)] for t in tokens), 50)
    table = NgramTable.build(tokens, order=1, size=1000, min_count=1, char_order=2)
    encoder = Encoder(vocabulary, 4, table, "chars")
    item = encoder.encode("영화가 최고")
    assert item.token_ids == vocabulary.ids(["영", "화", "가", " "])  # the first 4 characters
    # 영화가 / 영화는 share the characters 영, 화 and the bigram 영화: one review's features, the other's
    shared = set(table.ids(tokenize("영화가"))) & set(table.ids(tokenize("영화는")))
    assert len(shared) == 1 + 3  # the every-review id, 영, 화, 영화
    again = Encoder.from_dict(json.loads(json.dumps(encoder.to_dict())), table.keys, encoder.max_length)
    assert again.units == "chars" and again.ngrams.char_order == 2
    assert again.encode("영화를 싫어") == encoder.encode("영화를 싫어")


def test_units_and_character_ngrams_are_chosen_by_script():
    korean = scripts_of(["영화가 정말 재밌다", "최고의 game"])
    assert (korean.units, korean.needs_char_ngrams) == ("words", True)  # spaced, but particles attach
    japanese = scripts_of(["この映画は最高", "面白い"])
    assert (japanese.units, japanese.needs_char_ngrams) == ("chars", True)
    assert scripts_of(["ภาพยนตร์เรื่องนี้ดีมาก"]).units == "chars"  # Thai
    latin = scripts_of(["A great film", "Harika bir film, çok beğendim"])
    assert (latin.units, latin.needs_char_ngrams) == ("words", False)
    assert scripts_of(["", "123 !!!"]) == Scripts(0.0, 0.0)


def test_negation_scope_marks_the_words_after_a_negator_until_a_contrast_word():
    from sentiment_cli.text import mark_negation

    assert mark_negation(tokenize("I didn't love it, but ok."), 3) == ["i", "didn't", "¬love", "¬it", "but", "ok"]
    assert mark_negation(tokenize("Not bad at all, really good"), 3) == ["not", "¬bad", "¬at", "¬all", "really", "good"]
    assert mark_negation(tokenize("never never good"), 2) == ["never", "never", "¬good"]
    assert mark_negation(tokenize("not bad"), 0) == ["not", "bad"]


def test_negation_changes_only_the_bags_one_grams():
    from sentiment_cli.text import NgramTable, ngram_keys

    tokens = tokenize("not bad at all")
    plain, marked = NgramTable(np.array([], np.uint32), 3), NgramTable(np.array([], np.uint32), 3, negation_scope=3)
    assert plain.features(tokens).tolist() == ngram_keys(tokens, 3).tolist()  # off: the format as before
    with_marks = set(marked.features(tokens).tolist())
    one_grams = set(ngram_keys(["not", "¬bad", "¬at", "¬all"], 1).tolist())
    longer = set(ngram_keys(tokens, 3).tolist()) - set(ngram_keys(tokens, 1).tolist())
    assert with_marks == one_grams | longer
    assert ngram_keys(["bad"], 1)[0] not in with_marks
    bigram = set(ngram_keys(["not", "bad"], 2).tolist()) - set(ngram_keys(["not", "bad"], 1).tolist())
    assert len(bigram) == 1 and bigram <= with_marks  # "not bad" itself is still a 2-gram
    # the setting travels with the table
    again = NgramTable.from_settings(marked.settings(), marked.keys)
    assert again.negation_scope == 3 and NgramTable.from_settings(plain.settings(), plain.keys).negation_scope == 0


def test_the_bilstm_reads_negation_marked_words_when_its_tokenizer_says_so():
    from sentiment_cli.text import TOKENIZER_FORMAT

    tokens = [tokenize(r) for r in ["not bad at all", "bad film", "good film"]]
    marked = [mark_negation(t, 3) for t in tokens]
    vocabulary = Vocabulary.from_tokens(marked, 20)
    encoder = Encoder(vocabulary, 4, None, "words", negation_scope=3)
    assert encoder.encode("not bad at all").token_ids == vocabulary.ids(["not", "¬bad", "¬at", "¬all"])
    assert encoder.encode("bad").token_ids == vocabulary.ids(["bad"]) != vocabulary.ids(["¬bad"])
    saved = json.loads(json.dumps(encoder.to_dict()))
    assert saved["format"] == 2 and saved["negation_scope"] == 3  # a version that knows only format 1 refuses it
    again = Encoder.from_dict(saved, max_length=4)
    assert again.negation_scope == 3 and again.encode("not bad at all") == encoder.encode("not bad at all")
    unmarked = Encoder(vocabulary, 4, None, "words")  # models from before: the words as they are
    assert unmarked.to_dict()["format"] == TOKENIZER_FORMAT and "negation_scope" not in unmarked.to_dict()
    assert Encoder.from_dict(unmarked.to_dict(), max_length=4).encode("not bad").token_ids == vocabulary.ids(
        ["not", "bad"]
    )
    with pytest.raises(ValueError, match="format 2"):
        Encoder.from_dict({**saved, "format": TOKENIZER_FORMAT}, max_length=4)
    with pytest.raises(ValueError, match="integer"):
        Encoder.from_dict({**saved, "negation_scope": "3"}, max_length=4)
    with pytest.raises(ValueError, match="word units"):
        Encoder(vocabulary, 4, None, "chars", negation_scope=3)


def test_a_negations_scope_ends_at_punctuation_when_the_tokens_are_split_into_clauses():
    from sentiment_cli.text import ClauseStart, without

    text = "It's not terrible, it's wonderful. Not bad!"
    plain, split = tokenize(text), tokenize(text, clauses=True)
    assert split == plain  # the same strings; the ones after punctuation say so
    assert [i for i, t in enumerate(split) if isinstance(t, ClauseStart)] == [3, 5]
    assert mark_negation(plain, 3) == ["it's", "not", "¬terrible", "¬it's", "¬wonderful", "not", "¬bad"]
    assert mark_negation(split, 3) == ["it's", "not", "¬terrible", "it's", "wonderful", "not", "¬bad"]
    # inside a token, or with no token between, punctuation is not a break: emoticons, "didn't", "10.5"
    assert not any(isinstance(t, ClauseStart) for t in tokenize("not :) didn't 10.5 great", clauses=True))
    offsets = tokenize_with_offsets(text, clauses=True)
    assert [type(t.text) for t in offsets] == [type(t) for t in split]
    assert offsets[3].start == text.index("it's wonderful")
    # taking a token out keeps the clause break it started (explanations leave words out one at a time)
    rest = without(split, 3)
    assert rest == ["it's", "not", "terrible", "wonderful", "not", "bad"] and isinstance(rest[3], ClauseStart)
    assert mark_negation(rest, 3)[3] == "wonderful"


def test_the_bags_ngrams_of_every_length_can_be_made_of_negation_marked_words():
    tokens = tokenize("not a waste of money")
    one_grams = NgramTable(np.array([], np.uint32), 3, negation_scope=3)
    every = NgramTable(np.array([], np.uint32), 3, negation_scope=3, negated_ngrams=True)
    marked = ["not", "¬a", "¬waste", "¬of", "money"]
    assert every.features(tokens).tolist() == ngram_keys(marked, 3).tolist()
    a_waste = set(ngram_keys(["a", "waste"], 2).tolist()) - set(ngram_keys(["a", "waste"], 1).tolist())
    assert a_waste <= set(one_grams.features(tokens).tolist())  # read in "not a waste" with 1-gram marks
    assert not a_waste & set(every.features(tokens).tolist())  # not with marks in every n-gram
    assert every.settings()["negated"] == "ngrams" and "negated" not in one_grams.settings()
    again = NgramTable.from_settings(every.settings(), every.keys)
    assert again.negated_ngrams and not NgramTable.from_settings(one_grams.settings(), one_grams.keys).negated_ngrams
    with pytest.raises(ValueError, match="'negated'"):
        NgramTable.from_settings({**every.settings(), "negated": "all"}, every.keys)
    # where each known n-gram occurs (explanations) follows the same n-grams
    table = NgramTable.build([tokens], 3, 100, min_count=1, negation_scope=3, negated_ngrams=True)
    assert len(table.occurrences(tokens)) == len(ngram_keys(marked, 3)) == len(table)


def test_tokenizer_format_3_carries_clause_breaks_and_negated_ngrams_and_older_formats_cannot_claim_them():
    from sentiment_cli.text import CLAUSES_FORMAT, SEQUENCE_FORMAT

    texts = ["not terrible, it's wonderful", "not a waste of money", "terrible waste"]
    vocabulary = Vocabulary.from_tokens([tokenize(t) for t in texts], 20)
    table = NgramTable.build(
        [tokenize(t, clauses=True) for t in texts], 3, 100, min_count=1, negation_scope=3, negated_ngrams=True
    )
    encoder = Encoder(vocabulary, 8, table, "words", clauses=True)
    saved = json.loads(json.dumps(encoder.to_dict()))
    assert saved["format"] == CLAUSES_FORMAT and saved["negation_ends"] == "punctuation"
    again = Encoder.from_dict(saved, table.keys, max_length=8)
    assert again.clauses and again.encode(texts[0]) == encoder.encode(texts[0])
    # "wonderful" after the comma is read plain, as the table was built
    wonderful = set(ngram_keys(["wonderful"], 1).tolist())
    assert wonderful <= set(table.keys.tolist())
    assert encoder.encode(texts[0]).ngram_ids != Encoder(vocabulary, 8, table, "words").encode(texts[0]).ngram_ids
    for older in (SEQUENCE_FORMAT, 1):
        with pytest.raises(ValueError, match="format 3"):
            Encoder.from_dict({**saved, "format": older}, table.keys, max_length=8)
    with pytest.raises(ValueError, match="negation_ends"):
        Encoder.from_dict({**saved, "negation_ends": "commas"}, table.keys, max_length=8)
    with pytest.raises(ValueError, match="word units"):
        Encoder(vocabulary, 8, None, "chars", clauses=True)


def test_a_long_review_is_read_by_its_head_and_tail_marked_as_in_the_whole_review():
    words = [f"w{i}" for i in range(20)]
    words[13] = "not"  # its scope reaches into the tail, which starts at 15
    vocabulary = Vocabulary.from_tokens([mark_negation(words, 3)], 50)
    encoder = Encoder(vocabulary, 8, None, "words", negation_scope=3, head_length=3)
    expected = ["w0", "w1", "w2", "¬w15", "¬w16", "w17", "w18", "w19"]  # first 3, last 5; the scope of 13 goes on
    assert encoder.encode(" ".join(words)).token_ids == vocabulary.ids(expected)
    assert encoder.tokens_needed > 8  # the tail has to be read
    bag = NgramTable.build([mark_negation(words, 3)], 2, 100, min_count=1, negation_scope=3)
    with_bag = Encoder(vocabulary, 8, bag, "words", negation_scope=3, head_length=3)  # marks once for both
    both = with_bag.encode(" ".join(words))
    assert both.token_ids == vocabulary.ids(expected) and both.ngram_ids == bag.ids(words)
    short = " ".join(words[:8])
    assert encoder.encode(short).token_ids == vocabulary.ids(words[:8])  # no longer than max_length: all of it
    saved = json.loads(json.dumps(encoder.to_dict()))
    assert saved["format"] == 2 and saved["head_length"] == 3
    assert Encoder.from_dict(saved, max_length=8).encode(" ".join(words)) == encoder.encode(" ".join(words))
    first_only = Encoder(vocabulary, 8, None, "words", head_length=8)  # max_length or more: the first ones
    assert first_only.head_length is None and "head_length" not in first_only.to_dict()
    assert first_only.tokens_needed == 8
    chars = Encoder(Vocabulary.from_tokens([list("abcdefgh xyz")], 50), 6, None, "chars", head_length=2)
    assert chars.encode("abcdefgh xyz").token_ids == chars.vocabulary.ids(list("ab xyz"))
    with pytest.raises(ValueError, match="format 2"):
        Encoder.from_dict({**saved, "format": 1, "negation_scope": 0}, max_length=8)
    with pytest.raises(ValueError, match="0 or more"):
        Encoder(vocabulary, 8, head_length=-1)


def test_a_character_model_knows_a_review_only_by_what_it_reads():
    vocabulary = Vocabulary.from_tokens([[*"영화 최고"]], 50)  # the space is a known character too
    encoder = Encoder(vocabulary, 4, None, "chars")  # no bag: only the first 4 characters count
    assert encoder.encode("영화").readable
    assert not encoder.encode("zz zz").readable  # only the space between unknown words is known
    assert not encoder.encode("zzzz 영화").readable  # the known characters come after the 4 read
