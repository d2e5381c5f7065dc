"""Classification metrics in plain NumPy (used by training and evaluation alike).

Binary results keep the positive-class view (precision, recall, F1 and ROC-AUC of the second
class, a 2×2 confusion matrix ``[[tn, fp], [fn, tp]]``). Every result also has scikit-learn's
``classification_report`` view: per-class precision, recall, F1 and support, their macro and
support-weighted averages, and an N×N confusion matrix (rows: true class, columns: predicted).
A metric that is undefined on the data (ROC-AUC with one class present) is ``None``, with the
reason in ``undefined``, so JSON output stays valid JSON.

A result is a :class:`Metrics`: typed, read-only, and still readable by the JSON keys it is written under
(``m["accuracy"]``, ``m.to_dict()``). :meth:`Metrics.headline` is the one list of rows (which metrics, in what
order, under which names) that the terminal tables and the HTML reports show.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

PROBABILITY_FLOOR = 1e-7
"""Probabilities are clipped to [floor, 1 - floor] for log loss, as scikit-learn's older default did."""
ECE_BINS = 10
"""Equal-width bins of the expected calibration error and the reliability diagram."""


class JsonRecord(Mapping[str, Any]):
    """A typed record that reads as the JSON object it is written as (``record["key"]``, ``.get``, ``dict()``):
    code that knew the card's sections as dicts keeps working. Subclasses define ``to_dict``."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dict()!r})"


class Scores(NamedTuple):
    """Precision, recall and F1 of one class, or their average over the classes (``support``: its reviews)."""

    precision: float
    recall: float
    f1: float
    support: int | None = None

    def to_dict(self) -> dict[str, Any]:
        scores = {"precision": self.precision, "recall": self.recall, "f1": self.f1}
        return scores if self.support is None else scores | {"support": self.support}


class Row(NamedTuple):
    """One headline metric: ``key`` its JSON key, ``label`` its name in tables, ``of`` the class it is about
    (a two-class result's precision, recall and F1 are the second class's; empty otherwise)."""

    key: str
    label: str
    value: float | None
    of: str = ""


@dataclass(frozen=True, eq=False)
class Metrics(JsonRecord):
    """What :func:`classification_metrics` measured (one split of the card, or one evaluation).

    A read-only mapping of today's JSON keys (``accuracy``, ``macro_f1``, ``per_class``, ``confusion_matrix``...):
    :meth:`to_dict` is exactly what the card and ``evaluate --format json`` hold. A key an older card lacks is
    None here and left out of :meth:`to_dict` again."""

    classes: tuple[str, ...]
    n: int
    accuracy: float
    roc_auc: float | None
    log_loss: float | None = None
    ece: float | None = None
    per_class: dict[str, Scores] = field(default_factory=dict)
    macro: Scores | None = None
    weighted: Scores | None = None
    confusion: tuple[tuple[int, ...], ...] = ()
    positive: Scores | None = None
    """Two classes: the second class's precision, recall and F1 (the card's flat ``precision``/``recall``/``f1``)."""
    undefined: dict[str, str] = field(default_factory=dict)
    """Metrics that are None because the data cannot define them, with the reason."""

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2

    def headline(self) -> list[Row]:
        """THE metrics every table shows, in order: two classes, accuracy, the second class's precision, recall
        and F1, ROC-AUC; more, accuracy, macro precision, recall and F1, weighted F1, ROC-AUC (one vs rest);
        then log loss and the expected calibration error."""
        rows = [Row("accuracy", "accuracy", self.accuracy)]
        if self.binary:
            of, scores = self.classes[1], self.positive
            rows += [
                Row("precision", "precision", scores and scores.precision, of),
                Row("recall", "recall", scores and scores.recall, of),
                Row("f1", "F1", scores and scores.f1, of),
                Row("roc_auc", "ROC-AUC", self.roc_auc),
            ]
        else:
            macro, weighted = self.macro, self.weighted
            rows += [
                Row("macro_precision", "macro precision", macro and macro.precision),
                Row("macro_recall", "macro recall", macro and macro.recall),
                Row("macro_f1", "macro F1", macro and macro.f1),
                Row("weighted_f1", "weighted F1", weighted and weighted.f1),
                Row("roc_auc", "ROC-AUC (one vs rest, macro)", self.roc_auc),
            ]
        return [
            *rows,
            Row("log_loss", "log loss", self.log_loss),
            Row("ece", f"calibration error (ECE, {ECE_BINS} bins)", self.ece),
        ]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, keys in the order the card has always had them."""
        result: dict[str, Any] = {"accuracy": self.accuracy}
        if self.positive is not None:
            result |= {"precision": self.positive.precision, "recall": self.positive.recall, "f1": self.positive.f1}
        result["roc_auc"] = self.roc_auc
        for key in ("log_loss", "ece"):
            if getattr(self, key) is not None:
                result[key] = getattr(self, key)
        for name in ("macro", "weighted"):
            scores = getattr(self, name)
            if scores is not None:
                result |= {f"{name}_{key}": value for key, value in scores.to_dict().items() if key != "support"}
        if self.per_class:
            result["per_class"] = {name: scores.to_dict() for name, scores in self.per_class.items()}
        result |= {"classes": list(self.classes), "n": self.n}
        if self.confusion:
            result["confusion_matrix"] = [list(row) for row in self.confusion]
        if self.undefined:
            result["undefined"] = dict(self.undefined)
        return result

    @classmethod
    def from_dict(cls, data: Any, where: str = "metrics") -> Metrics:
        """A result as :meth:`to_dict` wrote it (older cards lack some keys); ``ValueError`` naming the field
        for a value of the wrong kind."""
        if not isinstance(data, dict):
            raise ValueError(f"{where} must be an object")
        classes = data.get("classes")
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes) or len(classes) < 2:
            raise ValueError(f"{where}.classes must be a list of at least 2 class names")
        per_class = data.get("per_class", {})
        if not isinstance(per_class, dict):
            raise ValueError(f"{where}.per_class must be an object")
        confusion = data.get("confusion_matrix", [])
        if not isinstance(confusion, list) or not all(
            isinstance(row, list) and all(_count(v) for v in row) for row in confusion
        ):
            raise ValueError(f"{where}.confusion_matrix must be a list of lists of counts")

        def number(key: str, source: dict[str, Any] = data, at: str = where) -> float | None:
            value = source.get(key)
            if value is not None and not _real(value):
                raise ValueError(f"{at}.{key} must be a number{got(value)}")
            return value

        def scores(prefix: str) -> Scores | None:
            keys = [f"{prefix}{k}" for k in ("precision", "recall", "f1")]
            if not any(k in data for k in keys):
                return None
            return Scores(*(number(k) for k in keys))  # type: ignore[arg-type]

        per: dict[str, Scores] = {}
        for name, values in per_class.items():
            at = f"{where}.per_class.{name}"
            if not isinstance(values, dict):
                raise ValueError(f"{at} must be an object")
            support = values.get("support")
            if support is not None and not _count(support):
                raise ValueError(f"{at}.support must be a count")
            per[name] = Scores(*(number(k, values, at) for k in ("precision", "recall", "f1")), support)  # type: ignore[arg-type]
        n, undefined = data.get("n"), data.get("undefined", {})
        if not _count(n):
            raise ValueError(f"{where}.n must be a count{got(n)}")
        if not isinstance(undefined, dict) or not all(isinstance(v, str) for v in undefined.values()):
            raise ValueError(f"{where}.undefined must map metric names to reasons")
        accuracy = number("accuracy")
        if accuracy is None:
            raise ValueError(f"{where}.accuracy must be a number")
        return cls(
            classes=tuple(classes), n=n, accuracy=accuracy, roc_auc=number("roc_auc"), log_loss=number("log_loss"),
            ece=number("ece"), per_class=per, macro=scores("macro_"), weighted=scores("weighted_"),
            confusion=tuple(tuple(row) for row in confusion), positive=scores(""), undefined=dict(undefined),
        )  # fmt: skip


def got(value: Any, limit: int = 60) -> str:
    """``, got VALUE`` for an error message, or nothing when the value is too long to be worth a line."""
    shown = repr(value)
    return f", got {shown}" if len(shown) <= limit else ""


def _real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


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
) -> Metrics:
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
    if binary:
        auc = roc_auc(y, p)
        if auc is None:
            undefined["roc_auc"] = "only one class is present in the labels"
    else:
        per_class_auc = [roc_auc(y == c, proba[:, c]) for c in range(k)]
        defined = [a for a in per_class_auc if a is not None]
        auc = float(np.mean(defined)) if len(defined) == k else None
        if auc is None:
            undefined["roc_auc"] = "not every class is present in the labels"
    confidence = proba[np.arange(y.size), predicted]
    return Metrics(
        classes=tuple(names),
        n=int(y.size),
        accuracy=float(hits.sum() / y.size),
        roc_auc=auc,
        log_loss=float(-np.mean(np.log(clipped))),
        ece=expected_calibration_error(confidence, predicted == y),
        per_class={
            name: Scores(float(precision[c]), float(recall[c]), float(f1[c]), int(support[c]))
            for c, name in enumerate(names)
        },
        macro=Scores(float(precision.mean()), float(recall.mean()), float(f1.mean())),
        weighted=Scores(float(weights @ precision), float(weights @ recall), float(weights @ f1)),
        confusion=tuple(tuple(int(v) for v in row) for row in confusion),
        positive=Scores(float(precision[1]), float(recall[1]), float(f1[1])) if binary else None,
        undefined=undefined,
    )


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
