"""The numbers behind the evaluation report's charts, computed with NumPy and scikit-learn beside the metrics
they must agree with: ROC and precision-recall curves with their areas, the reliability bins, probability
histograms, the most confident errors. No drawing here (that is :mod:`sentiment_cli.reports.charts`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .metrics import ECE_BINS, calibration_bins, expected_calibration_error

if TYPE_CHECKING:
    from .evaluation import Evaluation

CALIBRATION_BINS = ECE_BINS
"""Equal-width probability bins of the reliability diagram and its expected calibration error (the metrics')."""
HISTOGRAM_BINS = 20
CONFIDENT_ERRORS = 20
"""How many of the most confident errors the evaluation report lists."""


def one_vs_rest(classes: Sequence[str], every: bool) -> list[int]:
    """The classes that get a curve: the positive (second) class for two (unless ``every``), every class for more."""
    return [1] if len(classes) == 2 and not every else list(range(len(classes)))


def roc_curves(
    labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str], every: bool = False
) -> list[dict[str, Any]]:
    """ROC curve and its area for each class one-vs-rest (two classes: the positive one, unless ``every``).
    ``auc`` is None (and no curve) for a class that is absent or alone in ``labels``."""
    from sklearn.metrics import auc, roc_curve

    curves = []
    for c in one_vs_rest(classes, every):
        truth = np.asarray(labels) == c
        if truth.all() or not truth.any():
            curves.append({"class": classes[c], "index": c, "auc": None})
            continue
        fpr, tpr, thresholds = roc_curve(truth, probabilities[:, c])
        curves.append(
            {
                "class": classes[c],
                "index": c,
                "fpr": fpr,
                "tpr": tpr,
                "thresholds": thresholds,
                "auc": float(auc(fpr, tpr)),
            }
        )
    return curves


def pr_curves(
    labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str], every: bool = False
) -> list[dict[str, Any]]:
    """Precision-recall curve and average precision for each class one-vs-rest (two classes: the positive one,
    unless ``every``)."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    curves = []
    for c in one_vs_rest(classes, every):
        truth = np.asarray(labels) == c
        if not truth.any():
            curves.append({"class": classes[c], "index": c, "ap": None, "prevalence": 0.0})
            continue
        precision, recall, _ = precision_recall_curve(truth, probabilities[:, c], drop_intermediate=True)
        curves.append(
            {
                "class": classes[c],
                "index": c,
                "precision": precision,
                "recall": recall,
                "ap": float(average_precision_score(truth, probabilities[:, c])),
                "prevalence": float(truth.mean()),
            }
        )
    return curves


def reliability(probabilities: np.ndarray, labels: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """Reliability diagram: :func:`sentiment_cli.metrics.calibration_bins` of the predicted label's probability
    (the confidence) against the share of predictions that are right, and the metrics' expected calibration
    error over the same bins."""
    confidence = probabilities[np.arange(labels.size), predicted]
    correct = predicted == labels
    return {
        "bins": calibration_bins(confidence, correct, CALIBRATION_BINS),
        "ece": expected_calibration_error(confidence, correct, CALIBRATION_BINS),
        "count": int(labels.size),
    }


def probability_histograms(
    labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str], bins: int = HISTOGRAM_BINS
) -> dict[str, Any]:
    """For each true class present, the share of its reviews in each probability bin: of P(positive) for two
    classes, of the probability given to the true class for more."""
    labels = np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    shares = {}
    for c, name in enumerate(classes):
        mine = labels == c
        if not mine.any():
            continue
        values = probabilities[mine, 1] if len(classes) == 2 else probabilities[mine, c]
        counts, _ = np.histogram(values, bins=edges)
        shares[name] = counts / mine.sum()
    return {"edges": edges, "shares": shares, "of": classes[1] if len(classes) == 2 else None}


def confident_errors(evaluation: Evaluation, limit: int = CONFIDENT_ERRORS) -> list[dict[str, Any]]:
    """The wrongly labelled reviews the model was surest of, surest first."""
    predicted = evaluation.predicted
    wrong = np.flatnonzero(evaluation.scored & (predicted != evaluation.labels))
    sure = evaluation.probabilities[wrong, predicted[wrong]]
    order = wrong[np.argsort(-sure, kind="stable")][:limit]
    return [
        {
            "source": evaluation.ids[i] if evaluation.ids and evaluation.ids[i] is not None else evaluation.sources[i],
            "true": evaluation.classes[evaluation.labels[i]],
            "predicted": evaluation.classes[predicted[i]],
            "probability": float(evaluation.probabilities[i, predicted[i]]),
            "text": evaluation.texts[i],
        }
        for i in order
    ]
