"""The Python API's train (TensorFlow): it writes a model the API loads."""

from __future__ import annotations

import pytest

import sentiment_cli


@pytest.mark.slow
def test_train_writes_a_model_the_api_loads(tmp_path, imdb_like):
    result = sentiment_cli.train(
        imdb_like, out=tmp_path / "model", vocab_size=60, max_length=24, embedding_dim=8, lstm_units=4,
        dense_units=4, epochs=3, batch_size=16, ngram_vocab_size=500, seed=1,
    )  # fmt: skip
    assert result.out == tmp_path / "model" and 0.5 <= result.metrics["test"]["accuracy"] <= 1.0
    model = sentiment_cli.load(result.out)
    assert model.card.model.lstm_units == 4 and model.card.training
    assert model.predict(["great superb film"])[0].label in model.labels
    with pytest.raises(TypeError, match="unknown option lstm_unit"):
        sentiment_cli.train(imdb_like, out=tmp_path / "other", lstm_unit=4)
