"""Per-token explanations by occlusion, on the LiteRT prediction path (no TensorFlow).

A token's weight is how much the log-odds of "positive" drop when that one token is removed
from the review: positive weights pushed the review toward positive, negative ones toward
negative. Log-odds rather than probability, because a confident review's probability barely
moves (0.99999 to 0.9999) while its log-odds still show which words mattered. Every variant of a
review is classified in one batched call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .metrics import sigmoid
from .runtime import Predictor
from .text import tokenize_with_offsets

MAX_EXPLAINED_TOKENS = 1000
"""Longer reviews are explained on their first tokens only (each token costs one more row)."""


@dataclass(frozen=True)
class TokenWeight:
    token: str
    start: int
    end: int
    """Character offsets into the original text: ``text[start:end]`` is the token as written."""
    weight: float
    """Log-odds of "positive" (models of more classes: of the predicted class) with the token minus without it."""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Explanation:
    probability: float
    """Two classes: of positive; more: of the predicted class."""
    tokens: list[TokenWeight]

    def strongest(self, n: int = 5) -> tuple[list[TokenWeight], list[TokenWeight]]:
        """The ``n`` tokens that pushed most toward positive, and toward negative."""
        ranked = sorted(self.tokens, key=lambda t: t.weight)
        return [t for t in reversed(ranked) if t.weight > 0][:n], [t for t in ranked if t.weight < 0][:n]


def _logsumexp(z: np.ndarray) -> np.ndarray:
    top = z.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(z - top).sum(axis=1, keepdims=True)))[:, 0]


def explain(predictor: Predictor, text: str) -> Explanation:
    """Weights of the first ``MAX_EXPLAINED_TOKENS`` tokens of ``text`` by leave-one-out occlusion."""
    encoder = predictor.encoder
    seen = tokenize_with_offsets(text, encoder.tokens_needed, encoder.pattern)  # the tokens the model reads
    tokens = seen[:MAX_EXPLAINED_TOKENS]
    words = [t.text for t in seen]
    variants = [encoder.encode_tokens(words)]
    variants += [encoder.encode_tokens(words[:i] + words[i + 1 :]) for i in range(len(tokens))]
    logits = predictor.logits_of(variants)
    if logits.ndim == 1:  # two classes: the log-odds of the second (positive) class
        weights = logits[0] - logits[1:]
        probability = float(sigmoid(logits[0]))
    else:  # more: the log-odds of the class predicted for the whole review, log p - log(1 - p)
        target = int(np.argmax(logits[0]))
        log_p = logits[:, target] - _logsumexp(logits)
        others = np.delete(logits, target, axis=1)
        log_odds = logits[:, target] - _logsumexp(others)
        weights = log_odds[0] - log_odds[1:]
        probability = float(np.exp(log_p[0]))
    return Explanation(
        probability, [TokenWeight(t.text, t.start, t.end, float(w)) for t, w in zip(tokens, weights, strict=True)]
    )
