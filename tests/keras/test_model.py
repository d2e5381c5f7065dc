"""The networks: the hybrid's length gate, and loading what was saved (safe mode)."""

import numpy as np
import pytest

from sentiment_cli._tensorflow import keras
from sentiment_cli.config import ModelConfig
from sentiment_cli.model import LengthGate, build_model, length_gate


def test_length_gate_puts_the_logits_and_the_gated_logits_side_by_side():
    logits = np.array([[2.0, -1.0], [0.5, 4.0]], dtype=np.float32)
    ids = np.array([[1, 5, 7, 0, 0], [1, 2, 3, 4, 9]], dtype=np.int32)  # 3 and 5 ids, padding excluded
    out = np.asarray(LengthGate(2)([logits, ids]))
    g = length_gate(np.array([3.0, 5.0]), 2)
    np.testing.assert_allclose(g, [1 / 2.5, 1 / 3.5])
    np.testing.assert_allclose(out, np.column_stack([logits, logits * g[:, None]]), rtol=1e-6)


def test_a_gated_hybrid_saves_and_loads_in_safe_mode(tmp_path):
    config = ModelConfig(vocab_size=20, max_length=8, embedding_dim=4, lstm_units=2, dense_units=2,
                         ngram_vocab_size=30, length_gate=10)  # fmt: skip
    model = build_model(config)
    assert model.get_layer("positive_probability").kernel.shape == (4, 1)  # z and z·g of two branches
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True, compile=False)
    inputs = {"token_ids": np.array([[3, 4, 0]], np.int32), "ngram_ids": np.array([[1, 6, 9]], np.int32)}
    np.testing.assert_allclose(again.predict(inputs, verbose=0), model.predict(inputs, verbose=0), rtol=1e-6)
    assert again.get_layer("length_gate").tau == 10


def test_cards_from_before_the_gate_and_negation_marking_read_as_without_them():
    old = ModelConfig.from_dict({"arch": "hybrid", "vocab_size": 10000, "max_length": 200})
    assert old.length_gate == 0 and old.negation_scope == 0 and old.head_length == 200  # the first 200 units
    assert ModelConfig().length_gate == 300 and ModelConfig().negation_scope == 3
    with pytest.raises(ValueError, match="length_gate"):
        ModelConfig(length_gate=-1)


@pytest.mark.parametrize(("scope", "tokenizer"), [(3, "words"), (0, "words"), (3, "chars")])
def test_training_builds_the_bilstms_vocabulary_from_the_words_it_will_read(scope, tokenizer):
    from sentiment_cli.data import Split
    from sentiment_cli.training import SilentListener, _prepare

    texts = ["not bad at all", "it was not bad", "bad and dull", "good fun"]
    splits = {"train": Split(texts, np.array([1, 1, 0, 1]))}
    config = ModelConfig(tokenizer=tokenizer, negation_scope=scope, char_ngrams="off", vocab_size=50)
    encoder, encoded = _prepare(splits, config, SilentListener())
    tokens = set(encoder.vocabulary.tokens)
    marked = scope and tokenizer == "words"  # characters are never marked
    assert ("¬bad" in tokens) == bool(marked) and ("bad" in tokens) == (tokenizer == "words")
    assert encoder.negation_scope == (scope if marked else 0)
    assert encoded["train"][0] == encoder.encode(texts[0])  # training and prediction read the same ids
