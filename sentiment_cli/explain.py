"""Per-word explanations on the LiteRT prediction path (no TensorFlow).

The explained quantity is the model's logit: the log-odds of the second class for two classes; for more,
the predicted class's logit minus the mean of all classes' (softmax ignores that mean, and it keeps the
sum linear). Weights are in that unit: positive pushed toward the second (or the predicted) class.

**Hybrid models: exact for the n-gram bag.** The bag is linear: its logit is the mean of the weights of
the review's ``m`` n-gram ids (one of them the document id every review has). So the full logit is

    logit = base + sum over the review's n-grams g of (logit with g and m - 1 document ids - base)

exactly (to float precision), where ``base`` is the logit with every n-gram replaced by the document id
(the same length, so a length gate sees the same review): the BiLSTM's part and the constants. Each of
those logits is one row of one batched LiteRT call (with a one-word BiLSTM input: the BiLSTM's part
cancels in the difference). An n-gram's contribution is shared evenly
among the words of its occurrences. A phrase is a span of two or more words with the n-grams that span
exactly those words added up (a word n-gram, and character n-grams across the space between them); the
strongest each way are kept ("not bad" as one span, listed once).

**The BiLSTM's part** is not additive; each word gets its occlusion: how much the logit drops when the
word is removed from the BiLSTM's input only (the bag keeps it). The occlusions do not add up to the BiLSTM's
part (the words interact); what they leave over is shared among the words in proportion to the size of their
own occlusion, so that the weights add up. A word's weight is its bag share plus its BiLSTM weight.

Models without a bag (``seed``) are explained by occlusion (the logit with the word, minus without), the
interactions shared out the same way.

**The weights add up**: ``base + sum of the tokens' weights + rest == logit``, where ``base`` is the logit of a
review the model knows nothing in (the BiLSTM reading one unknown word, the bag only the document id, as
many of them as the review has n-grams, so that a length gate sees the same length) and ``rest`` the bag's
share of the words past the first ``MAX_EXPLAINED_TOKENS`` that are not listed (0 for all but very long
reviews). A word inside a negation scope ("not bad": ¬bad) is marked ``negated``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .metrics import sigmoid, softmax
from .runtime import Predictor
from .text import DOCUMENT_ID, NEGATED, UNKNOWN_ID, Encoded, mark_negation, tokenize_with_offsets, without

MAX_EXPLAINED_TOKENS = 1000
"""Longer reviews are explained on their first tokens only (each token costs one more row), and on the last
ones the BiLSTM reads when it reads a long review's tail."""
PHRASES = 5
"""Phrases (spans of two or more words) kept, the strongest each way."""
METHODS = ("auto", "exact", "occlusion")


@dataclass(frozen=True)
class TokenWeight:
    token: str
    start: int
    end: int
    """Character offsets into the original text: ``text[start:end]`` is the token as written."""
    weight: float
    """What the token adds to the logit (see the module docstring): its share of the bag's n-grams plus its
    BiLSTM weight for hybrid models; its occlusion weight for the others."""
    negated: bool = False
    """The token is inside a negation scope ("bad" in "not bad"): the model read it as ¬bad."""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Phrase:
    text: str
    """The n-gram as written (``text[start:end]`` of the review)."""
    start: int
    end: int
    weight: float
    """The n-gram's exact contribution to the logit (all its occurrences together)."""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Explanation:
    probability: float | None
    """Two classes: of positive; more: of the predicted class. None (and no tokens) when the model knows
    nothing in the text: it does not guess, as in prediction."""
    tokens: list[TokenWeight]
    logit: float = 0.0
    """The explained logit (see the module docstring)."""
    base: float = 0.0
    """The logit of a review the model knows nothing in: ``base + sum(t.weight for t in tokens) + rest ==
    logit``."""
    bag: float = 0.0
    """Hybrid models: the n-grams' contributions together (inside the tokens' weights)."""
    rest: float = 0.0
    """The weight of the words not listed (the middle of a review longer than ``MAX_EXPLAINED_TOKENS``)."""
    phrases: list[Phrase] = field(default_factory=list)
    """Hybrid models: the strongest n-grams of two or more words, toward and away."""
    method: str = "occlusion"
    """``exact`` (the bag's shares plus BiLSTM occlusion) or ``occlusion``."""
    text: str = ""
    """The text explained (the tokens' offsets index it)."""
    target: str | None = None
    """The class the logit is of: the second (positive) for two classes, the predicted one for more."""

    def _repr_html_(self) -> str:
        """The text with each token shaded by its weight (green toward :attr:`target`, red away), and the sum:
        how a notebook shows an explanation. Every piece of the text is escaped."""
        from html import escape

        if self.probability is None:
            return "<div><i>nothing in this text that the model knows: no prediction</i></div>"
        top = max((abs(t.weight) for t in self.tokens), default=0.0) or 1.0
        pieces, at = [], 0
        for t in sorted(self.tokens, key=lambda t: t.start):
            if t.start < at:
                continue
            alpha = min(1.0, abs(t.weight) / top) * 0.6
            colour = f"rgba(0,150,0,{alpha:.2f})" if t.weight > 0 else f"rgba(200,0,0,{alpha:.2f})"
            mark = "¬" if t.negated else ""
            tip = f"{mark}{t.token}: {t.weight:+.3f}" + (" (negated)" if t.negated else "")
            pieces.append(escape(self.text[at : t.start]))
            pieces.append(
                f'<span style="background:{colour};border-radius:3px" title="{escape(tip)}">'
                f"{escape(mark)}{escape(self.text[t.start : t.end])}</span>"
            )
            at = t.end
        pieces.append(escape(self.text[at:]))
        words = sum(t.weight for t in self.tokens) + self.rest
        what = f"P({escape(self.target)}) " if self.target else "probability "
        summary = (
            f"{what}{self.probability:.3f}: logit {self.logit:+.3f} = base {self.base:+.3f} "
            f"+ words {words:+.3f}"
        )
        return f'<div style="line-height:1.8">{"".join(pieces)}<br><small>{summary}</small></div>'

    def strongest(self, n: int = 5) -> tuple[list[TokenWeight], list[TokenWeight]]:
        """The ``n`` tokens that pushed most toward positive, and toward negative."""
        ranked = sorted(self.tokens, key=lambda t: t.weight)
        return [t for t in reversed(ranked) if t.weight > 0][:n], [t for t in ranked if t.weight < 0][:n]


def _explained_logit(logits: np.ndarray, target: int | None) -> np.ndarray:
    """Two classes: the log-odds as they are; more: the target class's logit minus the mean logit."""
    if logits.ndim == 1:
        return logits
    return logits[:, target] - logits.mean(axis=1)


def explain(predictor: Predictor, text: str, method: str = "auto") -> Explanation:
    """Weights of the first ``MAX_EXPLAINED_TOKENS`` tokens of ``text`` and of the tail the BiLSTM reads (see
    the module docstring).

    ``method``: ``exact`` needs a hybrid model; ``auto`` is ``exact`` when the model has a bag."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    encoder = predictor.encoder
    if method == "auto":
        method = "occlusion" if encoder.ngrams is None else "exact"
    if method == "exact" and encoder.ngrams is None:
        raise ValueError("exact explanations need a model with an n-gram bag (a hybrid model)")
    # the tokens the model reads
    seen = tokenize_with_offsets(text, encoder.tokens_needed, encoder.pattern, encoder.clauses)
    tail = max(len(seen) - encoder.tail_length, MAX_EXPLAINED_TOKENS)  # the BiLSTM's tail, at most its length
    positions = [*range(min(len(seen), MAX_EXPLAINED_TOKENS)), *range(tail, len(seen))]
    tokens = [seen[i] for i in positions]
    words = [t.text for t in seen]
    full = encoder.encode_tokens(words)
    if not full.readable:
        return Explanation(None, [], method=method, text=text)
    if method == "occlusion":
        variants = [full] + [encoder.encode_tokens(without(words, i)) for i in positions]
    else:  # the BiLSTM's input without word i, the bag's unchanged
        variants = [full] + [
            Encoded(encoder.encode_tokens(without(words, i)).token_ids, full.ngram_ids) for i in positions
        ]
    probe = [UNKNOWN_ID]  # a one-word BiLSTM input that knows nothing
    m = len(full.ngram_ids or [DOCUMENT_ID])  # the ids the bag averages (the document id included)
    nothing = Encoded(probe, None if full.ngram_ids is None else [DOCUMENT_ID] * m)
    logits = predictor.logits_of([nothing, *variants])
    target = None if logits.ndim == 1 else int(np.argmax(logits[1]))
    base, *explained = _explained_logit(logits, target)
    explained = np.asarray(explained)
    occlusion = explained[0] - explained[1:]
    probability = float(sigmoid(logits[1])) if logits.ndim == 1 else float(softmax(logits[1:2])[0, target])
    negated = _negated(words, encoder)
    labels = predictor.bundle.labels
    about = labels[1] if logits.ndim == 1 else labels[target]
    if method == "occlusion":
        spread = _add_up(occlusion, float(explained[0]) - base)
        weights = [
            TokenWeight(str(t.text), t.start, t.end, float(w), negated[i])
            for i, t, w in zip(positions, tokens, spread, strict=True)
        ]
        return Explanation(
            probability, weights, logit=float(explained[0]), base=float(base), text=text, target=about
        )

    occurrences = encoder.ngrams.occurrences(words)
    ids = sorted({i for i, _ in occurrences})
    # Each row keeps m ids (a length gate sees the same length): one n-gram and m - 1 document ids, against
    # m document ids (the base). The bag's mean differs by exactly that n-gram's weight minus the document's
    # over m; the BiLSTM's part (one unknown word) cancels in the difference.
    filler = [DOCUMENT_ID] * (m - 1)
    alone = _explained_logit(predictor.logits_of([Encoded(probe, [i, *filler]) for i in ids]), target)
    contribution = dict(zip(ids, alone - base, strict=True))
    bag_total = float(sum(contribution.values()))
    bilstm = _add_up(occlusion, float(explained[0]) - base - bag_total)

    shares = np.zeros(len(words))
    in_view = set(positions)
    places: dict[int, list[list[int]]] = {}
    for ngram_id, where in occurrences:
        places.setdefault(ngram_id, []).append(where)
    spanning: dict[tuple[int, int], float] = {}  # (first word, last word): the n-grams spanning exactly them
    for ngram_id, spans in places.items():
        value = contribution[ngram_id]
        covered = [p for span in spans if span for p in span]
        if covered:
            np.add.at(shares, covered, value / len(covered))
        first = spans[0]
        if len(first) >= 2 and {first[0], first[-1]} <= in_view:  # a word n-gram, or characters across a space
            key = (first[0], first[-1])
            spanning[key] = spanning.get(key, 0.0) + value
    phrases = [
        Phrase(text[seen[a].start : seen[b].end], seen[a].start, seen[b].end, float(value))
        for (a, b), value in spanning.items()
    ]
    phrases.sort(key=lambda p: p.weight)
    toward = [p for p in reversed(phrases) if p.weight > 0][:PHRASES]
    away = [p for p in phrases if p.weight < 0][:PHRASES]
    weights = [
        TokenWeight(str(t.text), t.start, t.end, float(shares[i] + bilstm[k]), negated[i])
        for k, (i, t) in enumerate(zip(positions, tokens, strict=True))
    ]
    shown = np.zeros(len(words), dtype=bool)
    shown[positions] = True
    return Explanation(
        probability,
        weights,
        logit=float(explained[0]),
        base=float(base),
        bag=bag_total,
        rest=float(shares[~shown].sum()),
        phrases=toward + away,
        method="exact",
        text=text,
        target=about,
    )


def _add_up(occlusion: np.ndarray, total: float) -> np.ndarray:
    """The occlusions, with what they leave of ``total`` (the words' interactions) shared in proportion to
    each one's size (evenly when all are 0), so that they add up to ``total``."""
    if not len(occlusion):
        return occlusion
    left = total - float(occlusion.sum())
    size = np.abs(occlusion)
    share = size / size.sum() if size.sum() > 0 else np.full(len(occlusion), 1.0 / len(occlusion))
    return occlusion + left * share


def _negated(words: list[str], encoder) -> list[bool]:
    """Which words the model reads inside a negation scope (marked ¬ in its bag or its BiLSTM's input)."""
    scope = max(encoder.negation_scope, encoder.ngrams.negation_scope if encoder.ngrams is not None else 0)
    return [w.startswith(NEGATED) for w in mark_negation(words, scope)]  # words: lower-cased tokens
