"""Classification metrics in plain NumPy (used by training and evaluation alike).

Binary results keep the positive-class view (precision, recall, F1 and ROC-AUC of the second
class, a 2×2 confusion matrix ``[[tn, fp], [fn, tp]]``). Every result also has scikit-learn's
``classification_report`` view: per-class precision, recall, F1 and support, their macro and
support-weighted averages, and an N×N confusion matrix (rows: true class, columns: predicted).
A metric that is undefined on the data (ROC-AUC with one class present) is ``None``, with the
reason in ``undefined``, so JSON output stays valid JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

PROBABILITY_FLOOR = 1e-7
"""Probabilities are clipped to [floor, 1 - floor] for log loss, as scikit-learn's older default did."""
ECE_BINS = 10
"""Equal-width bins of the expected calibration error and the reliability diagram."""


def sigmoid(logits: np.ndarray | float) -> np.ndarray:
    """Probability from log-odds, in float64."""
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise probabilities from logits, in float64 (shifted by the row maximum, so never overflows)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def class_probabilities(outputs: np.ndarray) -> np.ndarray:
    """(n, N) class probabilities from a model's outputs: (n,) P(second class) for binary models, else (n, N)."""
    p = np.asarray(outputs, dtype=np.float64)
    if p.ndim == 1:
        return np.stack([1.0 - p, p], axis=1)
    return p


def predicted_classes(outputs: np.ndarray, threshold: float | None = 0.5) -> np.ndarray:
    """Class ids by the decision rule of every result: two classes, the second when its probability reaches
    ``threshold`` (None: 0.5); more, the most probable. ``outputs`` as :func:`class_probabilities` reads them.
    -1 for a row with a NaN (a review the model could not read)."""
    proba = class_probabilities(outputs)
    filled = np.nan_to_num(proba, nan=-1.0)
    if proba.shape[1] == 2:
        classes = (filled[:, 1] >= (0.5 if threshold is None else threshold)).astype(np.int64)
    else:
        classes = filled.argmax(axis=1)
    classes[np.isnan(proba).any(axis=1)] = -1
    return classes


def reported_probabilities(probabilities: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The probability each prediction reports: two classes, the second's (positive's); more, the predicted
    class's. NaN where no class is predicted (``classes`` -1)."""
    proba = class_probabilities(probabilities)
    chosen = proba[:, 1] if proba.shape[1] == 2 else proba[np.arange(len(proba)), np.maximum(classes, 0)]
    return np.where(classes < 0, np.nan, chosen)


def classification_metrics(
    labels: np.ndarray,
    probabilities: np.ndarray,
    classes: Sequence[str] | None = None,
    threshold: float = 0.5,
) -> dict[str, Any]:
    """Accuracy, per-class and averaged precision/recall/F1, log loss, confusion matrix (and binary extras).

    ``probabilities``: (n,) probabilities of class 1 for a binary model (labelled at ``threshold``), or
    (n, N) class probabilities (labelled by the most probable class). ``labels``: class ids.
    """
    y = np.asarray(labels, dtype=np.int64).ravel()
    p = np.asarray(probabilities, dtype=np.float64)
    binary = p.ndim == 1
    proba = class_probabilities(p)
    if y.shape[0] != proba.shape[0]:
        raise ValueError(f"{y.size} labels but {proba.shape[0]} probability rows")
    if y.size == 0:
        raise ValueError("no examples to score")
    k = proba.shape[1]
    names = list(classes) if classes is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise ValueError(f"{len(names)} class names for {k} probability columns")
    if y.min() < 0 or y.max() >= k:
        raise ValueError(f"labels must be class ids in 0..{k - 1}")
    predicted = predicted_classes(proba, threshold)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y, predicted), 1)
    support = confusion.sum(axis=1)
    predicted_count = confusion.sum(axis=0)
    hits = np.diag(confusion)
    precision = np.divide(hits, predicted_count, out=np.zeros(k), where=predicted_count > 0)
    recall = np.divide(hits, support, out=np.zeros(k), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k), where=(precision + recall) > 0)
    weights = support / support.sum()
    clipped = np.clip(proba[np.arange(y.size), y], PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    undefined: dict[str, str] = {}
    result: dict[str, Any] = {"accuracy": float(hits.sum() / y.size)}
    if binary:
        auc = roc_auc(y, p)
        if auc is None:
            undefined["roc_auc"] = "only one class is present in the labels"
        result |= {
            "precision": float(precision[1]),
            "recall": float(recall[1]),
            "f1": float(f1[1]),
            "roc_auc": auc,
        }
    else:
        per_class_auc = [roc_auc(y == c, proba[:, c]) for c in range(k)]
        defined = [a for a in per_class_auc if a is not None]
        result["roc_auc"] = float(np.mean(defined)) if len(defined) == k else None
        if result["roc_auc"] is None:
            undefined["roc_auc"] = "not every class is present in the labels"
    confidence = proba[np.arange(y.size), predicted]
    result |= {
        "log_loss": float(-np.mean(np.log(clipped))),
        "ece": expected_calibration_error(confidence, predicted == y),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "weighted_precision": float(weights @ precision),
        "weighted_recall": float(weights @ recall),
        "weighted_f1": float(weights @ f1),
        "per_class": {
            name: {
                "precision": float(precision[c]),
                "recall": float(recall[c]),
                "f1": float(f1[c]),
                "support": int(support[c]),
            }
            for c, name in enumerate(names)
        },
        "classes": names,
        "n": int(y.size),
        "confusion_matrix": confusion.tolist(),
    }
    if undefined:
        result["undefined"] = undefined
    return result


def calibration_bins(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> list[dict[str, float]]:
    """Reliability-diagram bins: equal-width bins of the predicted label's probability, each with its
    count, mean confidence and accuracy (empty bins are left out)."""
    confidence = np.asarray(confidence, dtype=np.float64).ravel()
    correct = np.asarray(correct, dtype=np.float64).ravel()
    which = np.minimum((confidence * bins).astype(np.int64), bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            rows.append(
                {
                    "low": b / bins,
                    "high": (b + 1) / bins,
                    "count": int(inside.sum()),
                    "confidence": float(confidence[inside].mean()),
                    "accuracy": float(correct[inside].mean()),
                }
            )
    return rows


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error (Guo et al., 2017): over equal-width bins of the predicted label's
    probability, the count-weighted mean gap between confidence and accuracy."""
    rows = calibration_bins(confidence, correct, bins)
    total = sum(row["count"] for row in rows)
    return float(sum(row["count"] * abs(row["confidence"] - row["accuracy"]) for row in rows) / total)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve via the rank-sum statistic (ties get their average rank); None with one class."""
    y = np.asarray(labels).ravel().astype(bool)
    s = np.asarray(scores, dtype=np.float64).ravel()
    positives = int(np.sum(y))
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    sorted_scores = s[order]
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [s.size]))
    average_rank = (starts + ends + 1) / 2.0  # average 1-based rank over each run of equal scores
    ranks = np.empty(s.size, dtype=np.float64)
    ranks[order] = np.repeat(average_rank, ends - starts)
    return float((ranks[y].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))
