"""Per-token explanations by occlusion, on the LiteRT prediction path (no TensorFlow).

A token's weight is how much the log-odds of "positive" drop when that one token is removed
from the review: positive weights pushed the review toward positive, negative ones toward
negative. Log-odds rather than probability, because a confident review's probability barely
moves (0.99999 to 0.9999) while its log-odds still show which words mattered. Every variant of a
review is classified in one batched call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

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
    """Log-odds of "positive" with the token minus without it."""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Explanation:
    probability: float
    tokens: list[TokenWeight]

    def strongest(self, n: int = 5) -> tuple[list[TokenWeight], list[TokenWeight]]:
        """The ``n`` tokens that pushed most toward positive, and toward negative."""
        ranked = sorted(self.tokens, key=lambda t: t.weight)
        return [t for t in reversed(ranked) if t.weight > 0][:n], [t for t in ranked if t.weight < 0][:n]


def explain(predictor: Predictor, text: str) -> Explanation:
    """Weights of the first ``MAX_EXPLAINED_TOKENS`` tokens of ``text`` by leave-one-out occlusion."""
    encoder = predictor.encoder
    seen = tokenize_with_offsets(text, encoder.tokens_needed)  # the tokens the model reads
    tokens = seen[:MAX_EXPLAINED_TOKENS]
    words = [t.text for t in seen]
    variants = [encoder.encode_tokens(words)]
    variants += [encoder.encode_tokens(words[:i] + words[i + 1 :]) for i in range(len(tokens))]
    logits = predictor.logits_of(variants)
    weights = logits[0] - logits[1:]
    probability = float(sigmoid(logits[0]))
    return Explanation(
        probability, [TokenWeight(t.text, t.start, t.end, float(w)) for t, w in zip(tokens, weights, strict=True)]
    )
