"""The networks.

``seed`` is the notebook model: Embedding -> Bidirectional(LSTM) -> Dense(relu) -> Dense(1, sigmoid).
``hybrid`` keeps that stack (its last Dense emits a logit) and adds a bag of n-grams, a linear
model with one weight per n-gram (ids 0 padding and 1 "every review" included), averaged over
the review's distinct n-grams; a final Dense(1, sigmoid) combines the two logits.
"""

from __future__ import annotations

from ._tensorflow import keras
from .config import ModelConfig, logit_width

layers = keras.layers


BINARY_HEAD = "positive_probability"
MULTICLASS_HEAD = "class_probabilities"


def head_name(num_classes: int) -> str:
    """The final layer's name: Dense(1, sigmoid) for two classes, Dense(N, softmax) for more."""
    return BINARY_HEAD if num_classes == 2 else MULTICLASS_HEAD


def build_model(config: ModelConfig, num_classes: int = 2) -> keras.Model:
    """Input: token ids (batch, time), 0 for padding, any length; for ``hybrid`` also n-gram ids.

    Output: two classes, the probability of the second (positive) class, shape (batch, 1), from a
    Dense(1, sigmoid); N classes, every class's probability, shape (batch, N), from a Dense(N, softmax).
    """
    if num_classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes, got {num_classes}")
    width = logit_width(num_classes)
    activation = "sigmoid" if num_classes == 2 else "softmax"
    if config.arch == "seed":
        return keras.Sequential(
            [
                keras.Input(shape=(None,), dtype="int32", name="token_ids"),
                *_bilstm_stack(config),
                layers.Dense(width, activation=activation, name=head_name(num_classes)),
            ],
            name="sentiment_bilstm",
        )
    tokens = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    ngrams = keras.Input(shape=(None,), dtype="int32", name="ngram_ids")
    x = tokens
    for layer in _bilstm_stack(config):
        x = layer(x)
    bilstm_logit = layers.Dense(width, name="bilstm_logit")(x)
    bag = layers.Embedding(config.ngram_vocab_size + 2, width, mask_zero=True, name="ngram_weights")(ngrams)
    bag = layers.GlobalAveragePooling1D(name="ngram_mean")(bag)
    # Starts as the identity, so the bag starts from the naive Bayes weights training puts in it.
    ngram_logit = layers.Dense(width, kernel_initializer="identity", name="ngram_logit")(bag)
    both = layers.Concatenate(name="branch_logits")([bilstm_logit, ngram_logit])
    if config.length_gate:
        both = LengthGate(config.length_gate, name="length_gate")([both, ngrams])
    probability = layers.Dense(width, activation=activation, name=head_name(num_classes))(both)
    return keras.Model({"token_ids": tokens, "ngram_ids": ngrams}, probability, name="sentiment_hybrid")


@keras.saving.register_keras_serializable(package="sentiment_cli")
class LengthGate(layers.Layer):
    """The branch logits z and z·g side by side, g = 1 / (1 + n / tau), n the review's n-gram ids (padding
    excluded): the combiner after it can weigh the branches differently for short and long reviews. No
    weights; registered, so ``safe_mode=True`` loads it."""

    def __init__(self, tau: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tau = int(tau)

    def call(self, inputs):
        logits, ids = inputs
        ops = keras.ops
        n = ops.sum(ops.cast(ops.not_equal(ids, 0), logits.dtype), axis=1, keepdims=True)
        gate = 1.0 / (1.0 + n / float(self.tau))
        return ops.concatenate([logits, logits * gate], axis=1)

    def compute_output_shape(self, input_shape):
        logits_shape = input_shape[0]
        return (logits_shape[0], None if logits_shape[1] is None else 2 * logits_shape[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "tau": self.tau}


def length_gate(ngram_counts, tau: int):
    """g = 1 / (1 + n / tau) for NumPy arrays of n-gram id counts, as :class:`LengthGate` computes it."""
    return 1.0 / (1.0 + ngram_counts / float(tau))


def _bilstm_stack(config: ModelConfig) -> list[keras.layers.Layer]:
    return [
        layers.Embedding(config.vocab_size + 1, config.embedding_dim, mask_zero=True, name="embedding"),
        layers.Bidirectional(layers.LSTM(config.lstm_units), name="bidirectional_lstm"),
        layers.Dense(config.dense_units, activation="relu", name="dense"),
    ]


def branch(model: keras.Model, name: str) -> keras.Model:
    """A hybrid model's branch as a model of its own, sharing its layers: ``bilstm`` or ``ngram``.

    Its output is the branch's logit (no sigmoid), for training with ``from_logits=True``.
    """
    inputs = {"bilstm": "token_ids", "ngram": "ngram_ids"}[name]
    source = model.input[inputs] if isinstance(model.input, dict) else model.input
    return keras.Model(source, model.get_layer(f"{name}_logit").output, name=f"{name}_branch")
