import numpy as np
import pytest

from sentiment_cli.text import PAD_ID, UNKNOWN_ID, UNKNOWN_TOKEN, Vocabulary, pad, tokenize, tokenize_with_offsets


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
    again = Vocabulary.from_json(vocab.to_json())
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
