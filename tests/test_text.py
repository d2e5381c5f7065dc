import json

import numpy as np
import pytest

from sentiment_cli.text import (
    DOCUMENT_ID,
    PAD_ID,
    UNKNOWN_ID,
    UNKNOWN_TOKEN,
    Encoder,
    NgramTable,
    Vocabulary,
    ngram_keys,
    pad,
    tokenize,
    tokenize_with_offsets,
)


def test_tokenize_lowercases_keeps_apostrophes_and_drops_html_breaks():
    assert tokenize("I didn't LOVE it.<br /><br />The director's cut: 10/10!") == [
        "i", "didn't", "love", "it", "the", "director's", "cut", "10", "10",
    ]  # fmt: skip


def test_tokenize_handles_non_latin_scripts_and_emoji():
    assert tokenize("영화 최고 👍 رائع جدا") == ["영화", "최고", "رائع", "جدا"]


def test_offsets_slice_the_original_text():
    text = "Great<br />film, don't MISS it"
    tokens = tokenize_with_offsets(text)
    assert [t.text for t in tokens] == tokenize(text)
    assert [text[t.start : t.end] for t in tokens] == ["Great", "film", "don't", "MISS", "it"]


def test_vocabulary_ranks_by_frequency_then_alphabet_and_reserves_ids():
    vocab = Vocabulary.build(["b a a", "c b a", "d"], size=4)
    assert vocab.tokens == [UNKNOWN_TOKEN, "a", "b", "c"]
    assert vocab.input_dim == 5
    assert vocab.encode("a b c d zzz") == [2, 3, 4, UNKNOWN_ID, UNKNOWN_ID]
    assert vocab.encode("a b c", max_length=2) == [2, 3]


def test_vocabulary_json_round_trip():
    vocab = Vocabulary.build(["ünïcode words here", "words"], size=10)
    again = Vocabulary.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert again.tokens == vocab.tokens
    assert again.encode("words here") == vocab.encode("words here")


def test_vocabulary_rejects_foreign_tokenizer_files():
    data = Vocabulary.build(["a"], 5).to_dict()
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
    again = Encoder.from_dict(json.loads(json.dumps(encoder.to_dict())), encoder.ngrams.keys)
    items = [encoder.encode(r) for r in reviews]
    assert [again.encode(r) for r in reviews] == items
    assert items[0].token_ids == encoder.vocabulary.encode("great film great")  # max_length 3
    arrays = encoder.batch(items, rows=4)
    assert set(arrays) == {"token_ids", "ngram_ids"}
    assert arrays["token_ids"].shape == (4, 3)
    assert arrays["ngram_ids"].shape[0] == 4 and (arrays["ngram_ids"][3] == 0).all()
    with pytest.raises(ValueError, match="n-gram table"):
        Encoder.from_dict(encoder.to_dict())
