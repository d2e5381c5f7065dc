import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentiment_cli.metrics import classification_metrics, roc_auc, softmax

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def binary_metrics(labels, probabilities, threshold=0.5):
    """Metrics of positive-class probabilities against 0/1 labels."""
    return classification_metrics(labels, np.asarray(probabilities, dtype=np.float64).ravel(), threshold=threshold)


def test_binary_metrics_by_hand():
    labels = np.array([1, 1, 1, 0, 0])
    probs = np.array([0.9, 0.6, 0.2, 0.7, 0.1])
    m = binary_metrics(labels, probs)
    # predicted positive: 0.9, 0.6, 0.7 -> tp=2, fp=1, fn=1, tn=1
    assert m["confusion_matrix"] == [[1, 1], [1, 2]]
    assert m["accuracy"] == 3 / 5
    assert m["precision"] == 2 / 3
    assert m["recall"] == 2 / 3
    assert math.isclose(m["f1"], 2 / 3)
    expected_loss = -np.mean(np.log([0.9, 0.6, 0.2, 0.3, 0.9]))
    assert math.isclose(m["log_loss"], expected_loss, rel_tol=1e-9)
    # pairs (pos, neg): 0.9>0.7,0.9>0.1,0.6<0.7,0.6>0.1,0.2<0.7,0.2>0.1 -> 4/6
    assert math.isclose(m["roc_auc"], 4 / 6)


def test_roc_auc_counts_ties_as_half_and_is_none_with_one_class():
    assert roc_auc(np.array([1, 0]), np.array([0.5, 0.5])) == 0.5
    assert roc_auc(np.array([1, 1]), np.array([0.2, 0.3])) is None
    m = binary_metrics(np.array([1, 1]), np.array([0.2, 0.9]))
    assert m["roc_auc"] is None
    assert m["undefined"] == {"roc_auc": "only one class is present in the labels"}


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda k: st.tuples(
            st.just(k),
            st.lists(
                st.tuples(
                    st.integers(0, k - 1), st.lists(st.sampled_from([-2.0, 0.0, 0.5, 3.0]), min_size=k, max_size=k)
                ),
                min_size=2,
                max_size=40,
            ),
        )
    )
)
def test_classification_metrics_agree_with_scikit_learn(case):
    """Random labels and logits drawn from a few values, so probabilities tie often."""
    k, rows = case
    y = np.array([label for label, _ in rows])
    proba = softmax(np.array([logits for _, logits in rows]))
    m = classification_metrics(y, proba if k > 2 else proba[:, 1], [f"c{i}" for i in range(k)])
    predicted = proba.argmax(axis=1) if k > 2 else (proba[:, 1] >= 0.5).astype(int)
    labels = list(range(k))
    assert m["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(y, predicted))
    assert m["confusion_matrix"] == sklearn_metrics.confusion_matrix(y, predicted, labels=labels).tolist()
    for average in ("macro", "weighted"):
        p, r, f, _ = sklearn_metrics.precision_recall_fscore_support(
            y, predicted, labels=labels, average=average, zero_division=0
        )
        assert m[f"{average}_precision"] == pytest.approx(p)
        assert m[f"{average}_recall"] == pytest.approx(r)
        assert m[f"{average}_f1"] == pytest.approx(f)
    p, r, f, support = sklearn_metrics.precision_recall_fscore_support(
        y, predicted, labels=labels, average=None, zero_division=0
    )
    for c in labels:
        assert m["per_class"][f"c{c}"] == pytest.approx(
            {"precision": p[c], "recall": r[c], "f1": f[c], "support": support[c]}
        )
    clipped = np.clip(proba, 1e-7, 1 - 1e-7)
    expected_loss = -np.mean(np.log(clipped[np.arange(len(y)), y]))
    assert m["log_loss"] == pytest.approx(expected_loss)
    present = set(y.tolist())
    if k == 2 and len(present) == 2:
        assert m["roc_auc"] == pytest.approx(sklearn_metrics.roc_auc_score(y, proba[:, 1]))
    elif k > 2 and present == set(labels):
        per_class = [sklearn_metrics.roc_auc_score(y == c, proba[:, c]) for c in labels]
        assert m["roc_auc"] == pytest.approx(np.mean(per_class))
    else:
        assert m["roc_auc"] is None and "roc_auc" in m["undefined"]


def test_three_classes_by_hand():
    y = np.array([0, 1, 2, 2])
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    m = classification_metrics(y, proba, ["negative", "neutral", "positive"])
    assert m["confusion_matrix"] == [[1, 0, 0], [0, 0, 1], [1, 0, 1]]
    assert m["per_class"]["positive"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert m["macro_recall"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert "precision" not in m  # the positive-class view is for two classes only


def test_expected_calibration_error_by_hand():
    from sentiment_cli.metrics import calibration_bins, expected_calibration_error

    # bin 0.9-1.0: confidences 0.95, 0.95, right once (gap 0.45); bin 0.6-0.7: 0.65, right (gap 0.35)
    confidence = np.array([0.95, 0.95, 0.65])
    correct = np.array([True, False, True])
    assert expected_calibration_error(confidence, correct) == pytest.approx((2 * 0.45 + 0.35) / 3)
    bins = calibration_bins(confidence, correct)
    assert [(b["low"], b["count"], b["accuracy"]) for b in bins] == [(0.6, 1, 1.0), (0.9, 2, 0.5)]
    # a confidence of exactly 1 falls in the last bin
    assert expected_calibration_error(np.array([1.0]), np.array([True])) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_ece_in_metrics_agrees_with_scikit_learn_calibration_curve(seed):
    calibration = pytest.importorskip("sklearn.calibration")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    p = np.clip(rng.random(300) * 0.6 + 0.4 * y - 0.1, 0, 1)  # continuous: the two differ only on bin edges
    m = classification_metrics(y, p)
    predicted = (p >= 0.5).astype(int)
    confidence = np.where(predicted == 1, p, 1 - p)
    # scikit-learn's curve with the predicted label's confidence against being right, 10 uniform bins
    accuracy, mean_confidence = calibration.calibration_curve(predicted == y, confidence, n_bins=10)
    counts = np.histogram(confidence, bins=np.linspace(0, 1, 11))[0]
    counts = counts[counts > 0]
    expected = float(np.sum(counts * np.abs(accuracy - mean_confidence)) / counts.sum())
    assert m["ece"] == pytest.approx(expected)


def test_one_decision_rule_and_the_probability_each_prediction_reports():
    from sentiment_cli.metrics import predicted_classes, reported_probabilities

    nan = float("nan")
    two = np.array([[0.5, 0.5], [0.7, 0.3], [nan, nan], [0.2, 0.8]])
    assert predicted_classes(two).tolist() == [1, 0, -1, 1]  # at the threshold: the second class
    assert predicted_classes(two, 0.9).tolist() == [0, 0, -1, 0]
    assert predicted_classes(two[:, 1], 0.3).tolist() == [1, 1, -1, 1]  # (n,) P(second class) reads the same
    reported = reported_probabilities(two, predicted_classes(two, 0.9))
    assert reported[[0, 1, 3]].tolist() == [0.5, 0.3, 0.8] and np.isnan(reported[2])  # always P(second class)
    three = np.array([[0.2, 0.5, 0.3], [nan, nan, nan], [0.4, 0.4, 0.2]])
    classes = predicted_classes(three)
    assert classes.tolist() == [1, -1, 0]  # a tie: the first of the most probable
    reported = reported_probabilities(three, classes)
    assert reported[[0, 2]].tolist() == [0.5, 0.4] and np.isnan(reported[1])
