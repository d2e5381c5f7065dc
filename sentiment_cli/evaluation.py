"""Scoring a model directory on labelled data with the prediction runtime (no TensorFlow)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .bundle import Bundle
from .data import Dataset, split_name
from .errors import DataError
from .metrics import JsonRecord, Metrics, classification_metrics, predicted_classes
from .reviews import Review
from .runtime import Predictor

CHUNK = 1024


def default_split(dataset: Dataset) -> str:
    """``test`` when the data has one, else its only split."""
    return "test" if "test" in dataset.splits else next(iter(dataset.splits))


@dataclass(frozen=True)
class Run:
    """What was scored and how: the data, the split, the speed, and what was left out."""

    source: str = ""
    split: str = "test"
    evaluated: str = ""
    """What was scored, in words: ``test split``, or ``all N reviews (no test split in the data)``."""
    seconds: float = 0.0
    reviews_per_second: float | None = None
    skipped: tuple[str, ...] = ()
    """Files of the data that could not be read (each a one-line reason)."""
    rows_skipped: dict[str, int] = field(default_factory=dict)
    """Rows read but not used, by reason."""
    unreadable: int = 0
    """Reviews the model could not score (no word or n-gram it knows): not in the metrics."""


@dataclass(frozen=True, eq=False)
class EvaluationResult(JsonRecord):
    """What ``sentiment evaluate`` prints and :func:`sentiment_cli.evaluate` returns: the :class:`Metrics`, the
    threshold and the :class:`Run`. Readable as its JSON document (``result["accuracy"]``)."""

    metrics: Metrics
    threshold: float | None
    run: Run

    def to_dict(self) -> dict[str, Any]:
        """``evaluate --format json``'s document: every key always there (None when it does not apply)."""
        metrics, run = self.metrics.to_dict(), self.run
        keys = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "ece", "macro_precision",
                "macro_recall", "macro_f1", "weighted_precision", "weighted_recall", "weighted_f1", "per_class",
                "classes", "confusion_matrix", "n")  # fmt: skip
        return {key: metrics.get(key) for key in keys} | {
            "reviews_per_second": run.reviews_per_second,
            "threshold": self.threshold,
            "split": run.split,
            "evaluated": run.evaluated,
            "source": run.source,
            "skipped": list(run.skipped),
            "rows_skipped": dict(run.rows_skipped),
            "unreadable": run.unreadable,
            "undefined": metrics.get("undefined"),
        }


@dataclass
class Evaluation:
    """What :func:`score` found: the metrics, and every review of the split they were computed from (in data
    order), for reports and per-review prediction files."""

    metrics: Metrics
    classes: tuple[str, ...]
    sources: list[str]
    """Where each review came from: ``FILE:LINE`` or its file."""
    texts: list[str]
    labels: np.ndarray
    """True class ids."""
    probabilities: np.ndarray
    """(n, classes): every class's probability; a row of NaN for a review the model could not score."""
    threshold: float | None
    """Two classes: the probability of the second at or above which it is predicted; None for more."""
    ids: list[Any] = field(default_factory=list)
    """Each review's id (the table's id column), as ``predict`` writes it; empty without an id column."""
    run: Run = field(default_factory=Run)

    @property
    def result(self) -> EvaluationResult:
        """What :func:`evaluate` returns."""
        return EvaluationResult(self.metrics, self.threshold, self.run)

    @property
    def scored(self) -> np.ndarray:
        """Which reviews have a prediction (and count in the metrics)."""
        return ~np.isnan(self.probabilities).any(axis=1)

    @property
    def predicted(self) -> np.ndarray:
        """Predicted class ids, as the metrics count them; -1 for a review without a prediction."""
        return predicted_classes(self.probabilities, self.threshold)


def evaluate(
    dataset: Dataset, bundle: Bundle, split: str | None = None, threshold: float | None = None
) -> EvaluationResult:
    """Accuracy, per-class and averaged precision/recall/F1, ROC-AUC, log loss, the confusion matrix,
    throughput, and how many rows of the data were skipped and why.

    ``dataset`` must have been read with the model's classes (``load_dataset(..., classes=bundle.labels)``).
    """
    return score(dataset, bundle, split, threshold).result


def score(
    dataset: Dataset,
    bundle: Bundle,
    split: str | None = None,
    threshold: float | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """:func:`evaluate`'s metrics with the per-review probabilities behind them. ``progress`` is called with
    the number of reviews classified so far, after each chunk."""
    if tuple(dataset.classes) != tuple(bundle.labels):
        raise ValueError("read the data with classes=bundle.labels")
    name = split_name(split) if split else default_split(dataset)
    reviews = dataset.split(name)
    predictor = Predictor(bundle)
    chunks = (
        [Review(str(i), text) for i, text in enumerate(reviews.texts[start : start + CHUNK], start)]
        for start in range(0, len(reviews), CHUNK)
    )
    started = time.perf_counter()
    unknown = (float("nan"),) * len(bundle.labels)
    classified = _counted(predictor.stream(chunks, threshold), progress)
    rows = [p.probabilities or unknown for chunk in classified for p in chunk]
    seconds = time.perf_counter() - started
    binary = len(bundle.labels) == 2
    cut = bundle.threshold if threshold is None else threshold
    evaluation = Evaluation(
        metrics=None,  # type: ignore[arg-type]  # set below, from the reviews that were scored
        classes=tuple(bundle.labels),
        sources=list(reviews.sources) or [str(i) for i in range(len(reviews))],
        ids=list(reviews.ids),
        texts=list(reviews.texts),
        labels=np.asarray(reviews.labels, dtype=np.int64),
        probabilities=np.asarray(rows, dtype=np.float64).reshape(len(reviews), len(bundle.labels)),
        threshold=cut if binary else None,
    )
    # Reviews in which the model knows nothing get no prediction (NaN): counted, not scored.
    scored = evaluation.scored
    if not scored.any():
        raise DataError(f"{dataset.source}: the model knows no word or n-gram of any review in the {name} split")
    probabilities = evaluation.probabilities[scored]
    scores = probabilities[:, 1] if binary else probabilities
    evaluation.metrics = classification_metrics(evaluation.labels[scored], scores, bundle.labels, threshold=cut)
    evaluation.run = Run(
        source=dataset.source,
        split=name,
        evaluated=_evaluated(dataset, name, split),
        seconds=seconds,
        reviews_per_second=len(reviews) / seconds if seconds > 0 else None,
        skipped=tuple(dataset.skipped),
        rows_skipped={skip.reason: skip.count for skip in dataset.row_skips if skip.count},
        unreadable=int((~scored).sum()),
    )
    return evaluation


def _evaluated(dataset: Dataset, name: str, asked: str | None) -> str:
    """What was scored, in words: ``test split``, or, when the data has one split only and none was asked for
    (a table without a split column is all ``train``), ``all N reviews (no test split in the data)``: "train
    split" would read as "you evaluated on training data"."""
    if asked is None and len(dataset.splits) == 1:
        return f"all {len(dataset.split(name)):,} reviews (no test split in the data)"
    return f"{name} split"


def _counted(chunks: Iterable[list[Any]], progress: Callable[[int], None] | None) -> Iterator[list[Any]]:
    done = 0
    for chunk in chunks:
        yield chunk
        done += len(chunk)
        if progress is not None:
            progress(done)
