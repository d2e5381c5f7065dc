import math

import numpy as np

from sentiment_cli.metrics import binary_metrics, roc_auc


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


def test_roc_auc_counts_ties_as_half():
    assert roc_auc(np.array([1, 0]), np.array([0.5, 0.5])) == 0.5
    assert math.isnan(roc_auc(np.array([1, 1]), np.array([0.2, 0.3])))
