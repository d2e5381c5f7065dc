"""The hybrid model's own pieces: the n-gram bag's naive Bayes start and the combiner of the two branches."""

from __future__ import annotations

import numpy as np

from ..config import COMBINER_L2, logit_width
from ..text import Encoded


def naive_bayes_weights(items: list[Encoded], labels: np.ndarray, buckets: int, num_classes: int) -> np.ndarray:
    """Start each n-gram weight at its naive Bayes log-count ratio (Wang and Manning, 2012).

    Two classes: one column, log P(n-gram | positive) - log P(n-gram | negative). More: one column
    per class, that class against all the others.
    """
    counts = np.ones((num_classes, buckets))
    for item, label in zip(items, labels, strict=True):
        counts[label, item.ngram_ids] += 1
    columns = [1] if num_classes == 2 else range(num_classes)
    ratios = []
    for c in columns:
        inside = counts[c]
        outside = counts.sum(axis=0) - counts[c] - (num_classes - 2)  # the others' +1 smoothing counted once
        ratios.append(np.log(inside / inside.sum()) - np.log(outside / outside.sum()))
    ratio = np.stack(ratios, axis=1)
    ratio[0] = 0.0
    return ratio.astype(np.float32)


def fit_combiner(
    logits: np.ndarray, labels: np.ndarray, num_classes: int, balanced: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression of the labels on the branches' logits, L2-penalised (scikit-learn, lbfgs).

    ``logits``: (n, 2·width), the BiLSTM's then the bag's (then, with a length gate, both times g: 4·width);
    ``balanced`` weighs classes equally.
    Returns the Dense kernel (features, width) and bias (width,), where width is 1 for two classes
    and N for more (multinomial).
    """
    from sklearn.linear_model import LogisticRegression

    present = np.unique(labels)
    if (len(present) < num_classes and num_classes > 2) or len(present) < 2:
        return average_combiner(num_classes, logits.shape[1])  # a class missing from validation
    model = LogisticRegression(
        C=1.0 / (COMBINER_L2 * len(labels)), tol=1e-10, max_iter=10_000, class_weight="balanced" if balanced else None
    )
    model.fit(logits, labels)
    return model.coef_.T.astype(np.float64), model.intercept_.astype(np.float64)


def average_combiner(num_classes: int, features: int) -> tuple[np.ndarray, np.ndarray]:
    """The combiner that averages the two branches' logits (and gives the gated logits, when the model has a
    length gate, no weight): used when there is nothing to fit it on."""
    width = logit_width(num_classes)
    kernel = np.vstack([np.eye(width), np.eye(width)]) / 2
    return np.vstack([kernel, np.zeros((features - kernel.shape[0], width))]), np.zeros(width)
