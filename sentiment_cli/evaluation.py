"""Scoring a model directory on labelled data with the prediction runtime (no TensorFlow)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .bundle import Bundle
from .data import Dataset
from .metrics import binary_metrics
from .reviews import Review
from .runtime import Predictor

CHUNK = 1024


def default_split(dataset: Dataset) -> str:
    """``test`` when the data has one, else its only split."""
    return "test" if "test" in dataset.splits else next(iter(dataset.splits))


def evaluate(
    dataset: Dataset, bundle: Bundle, split: str | None = None, threshold: float | None = None
) -> dict[str, Any]:
    """Accuracy, precision, recall, F1, ROC-AUC, log loss, confusion matrix and throughput."""
    name = split or default_split(dataset)
    reviews = dataset.split(name)
    predictor = Predictor(bundle)
    chunks = (
        [Review(str(i), text) for i, text in enumerate(reviews.texts[start : start + CHUNK], start)]
        for start in range(0, len(reviews), CHUNK)
    )
    started = time.perf_counter()
    probabilities = np.array([p.probability for chunk in predictor.stream(chunks) for p in chunk])
    seconds = time.perf_counter() - started
    cut = bundle.threshold if threshold is None else threshold
    result = binary_metrics(reviews.labels, probabilities, cut)
    result.update(
        reviews_per_second=len(reviews) / seconds if seconds > 0 else float("inf"),
        seconds=seconds,
        threshold=cut,
        split=name,
        source=dataset.source,
        skipped=list(dataset.skipped),
    )
    return result
