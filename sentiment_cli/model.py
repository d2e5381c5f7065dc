"""The network: Embedding -> Bidirectional(LSTM) -> Dense(relu) -> Dense(1, sigmoid)."""

from __future__ import annotations

from ._tensorflow import keras
from .config import ModelConfig

layers = keras.layers


def build_model(config: ModelConfig) -> keras.Model:
    """The seed notebook's model, with padding masked so review length does not matter.

    Input: token ids of shape (batch, time), 0 for padding; any length.
    Output: probability that the review is positive, shape (batch, 1).
    """
    return keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32", name="token_ids"),
            layers.Embedding(config.vocab_size + 1, config.embedding_dim, mask_zero=True, name="embedding"),
            layers.Bidirectional(layers.LSTM(config.lstm_units), name="bidirectional_lstm"),
            layers.Dense(config.dense_units, activation="relu", name="dense"),
            layers.Dense(1, activation="sigmoid", name="positive_probability"),
        ],
        name="sentiment_bilstm",
    )
