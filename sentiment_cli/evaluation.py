"""Scoring a model directory on labelled data with the prediction runtime (no TensorFlow)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .bundle import Bundle
from .data import Dataset
from .metrics import classification_metrics
from .reviews import Review
from .runtime import Predictor

CHUNK = 1024


def default_split(dataset: Dataset) -> str:
    """``test`` when the data has one, else its only split."""
    return "test" if "test" in dataset.splits else next(iter(dataset.splits))


def evaluate(
    dataset: Dataset, bundle: Bundle, split: str | None = None, threshold: float | None = None
) -> dict[str, Any]:
    """Accuracy, per-class and averaged precision/recall/F1, ROC-AUC, log loss, the confusion matrix,
    throughput, and how many rows of the data were skipped and why.

    ``dataset`` must have been read with the model's classes (``load_dataset(..., classes=bundle.labels)``).
    """
    if tuple(dataset.classes) != tuple(bundle.labels):
        raise ValueError("read the data with classes=bundle.labels")
    name = split or default_split(dataset)
    reviews = dataset.split(name)
    predictor = Predictor(bundle)
    chunks = (
        [Review(str(i), text) for i, text in enumerate(reviews.texts[start : start + CHUNK], start)]
        for start in range(0, len(reviews), CHUNK)
    )
    started = time.perf_counter()
    rows = [p.probabilities for chunk in predictor.stream(chunks, threshold) for p in chunk]
    seconds = time.perf_counter() - started
    probabilities = np.asarray(rows, dtype=np.float64).reshape(len(reviews), len(bundle.labels))
    binary = len(bundle.labels) == 2
    cut = bundle.threshold if threshold is None else threshold
    result = classification_metrics(
        reviews.labels, probabilities[:, 1] if binary else probabilities, bundle.labels, threshold=cut
    )
    result.update(
        reviews_per_second=len(reviews) / seconds if seconds > 0 else None,
        seconds=seconds,
        threshold=cut if binary else None,
        split=name,
        source=dataset.source,
        skipped=list(dataset.skipped),
        rows_skipped={skip.reason: skip.count for skip in dataset.row_skips if skip.count},
    )
    return result
