"""What the training data looked like, computed at training time for the card (``data.summary``): review
lengths per split as a histogram, and the vocabulary's coverage. No matplotlib: the training report draws it."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..text import UNKNOWN_ID

LENGTH_BINS = 20


def data_summary(splits: dict[str, Any], encoded: dict[str, list[Any]], units: str) -> dict[str, Any]:
    """What the training data looked like, for the model card and the training report (no matplotlib):
    review lengths per split (words, or characters for a character model) as a histogram, and the share of
    the units the BiLSTM reads (its window of ``max_length``) that are in the vocabulary, per split."""
    unit = "words" if units == "words" else "characters"
    lengths = {
        name: np.asarray([len(t.split()) if unit == "words" else len(t) for t in split.texts], dtype=np.int64)
        for name, split in splits.items()
    }
    top = max((float(np.percentile(v, 99)) for v in lengths.values() if v.size), default=1.0)
    top = max(_nice(top), 1.0)
    edges = np.linspace(0.0, top, LENGTH_BINS + 1)
    coverage = {}
    for name, items in encoded.items():
        known = sum(sum(1 for i in item.token_ids if i > UNKNOWN_ID) for item in items)
        total = sum(len(item.token_ids) for item in items)
        coverage[name] = round(known / total, 6) if total else None
    return {
        "length_unit": unit,
        "length_edges": [round(float(e), 3) for e in edges],
        "length_counts": {name: np.histogram(v, bins=edges)[0].tolist() for name, v in lengths.items()},
        "length_longer": {name: int(np.sum(v > top)) for name, v in lengths.items()},
        "length_median": {name: float(np.median(v)) if v.size else None for name, v in lengths.items()},
        "vocabulary_coverage": coverage,
    }


def _nice(value: float) -> float:
    """``value`` rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 0.0
    power = 10 ** np.floor(np.log10(value))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= value))
