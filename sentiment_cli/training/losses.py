"""The loss and accuracy metric every fitting path uses (one device, mirrored, multi-worker)."""

from __future__ import annotations

from .._tensorflow import keras


def loss_and_metric(num_classes: int, logits: bool) -> tuple[keras.losses.Loss, keras.metrics.Metric]:
    """Binary cross-entropy on one output for two classes, sparse categorical cross-entropy for more."""
    if num_classes == 2:
        threshold = 0.0 if logits else 0.5
        return keras.losses.BinaryCrossentropy(from_logits=logits), keras.metrics.BinaryAccuracy(
            threshold=threshold, name="accuracy"
        )
    return keras.losses.SparseCategoricalCrossentropy(from_logits=logits), keras.metrics.SparseCategoricalAccuracy(
        name="accuracy"
    )
