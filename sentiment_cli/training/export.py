"""Writing what prediction runs: the LiteRT flatbuffer, from the Keras model."""

from __future__ import annotations

import functools
import platform
import tempfile
from pathlib import Path

import numpy as np

from .. import __version__
from .._tensorflow import keras, tf
from ..config import LITERT_SIGNATURES


def export_litert(model: keras.Model, path: Path, batch_size: int, inputs: tuple[str, ...], head: str) -> None:
    """Write a LiteRT flatbuffer with two signatures (:data:`~sentiment_cli.config.LITERT_SIGNATURES`), each
    a fixed batch (which keeps the LSTM's loop to builtin ops) and free sequence lengths: ``batch_size``
    rows for many reviews, one row for one review (which would otherwise run the LSTM over 31 rows of
    padding). The weights are stored once, shared by both.

    It outputs the final layer's logits, before the sigmoid or softmax: the runtime applies them in
    float64, so probabilities near 0 or 1 keep their log-odds (explanations need them).
    """
    logits = logits_model(model, head)
    archive = keras.export.ExportArchive()
    archive.track(logits)
    many, one = LITERT_SIGNATURES
    signatures = {many: batch_size, one: 1} if batch_size > 1 else {many: 1}
    for key, rows in signatures.items():
        specs = {name: tf.TensorSpec(shape=(rows, None), dtype=tf.int32, name=name) for name in inputs}
        signature = [specs] if len(inputs) > 1 else [specs[inputs[0]]]
        archive.add_endpoint(key, functools.partial(logits.__call__, training=False), input_signature=signature)
    with tempfile.TemporaryDirectory(prefix="sentiment-export-") as saved:
        archive.write_out(saved, verbose=False)
        # Not "serve": the converter keeps only that one of a Keras export's signatures (as "serving_default").
        converter = tf.lite.TFLiteConverter.from_saved_model(saved, signature_keys=list(signatures))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        converter.experimental_enable_resource_variables = True
        path.write_bytes(converter.convert())


def logits_model(model: keras.Model, head: str) -> keras.Model:
    """``model`` as the flatbuffer holds it: the final layer ``head`` without its sigmoid or softmax."""
    final = model.get_layer(head)
    linear = keras.layers.Dense(final.units, name="logits")
    logit = linear(final.input)
    linear.set_weights(final.get_weights())
    return keras.Model(model.inputs if len(model.inputs) > 1 else model.inputs[0], logit)


def versions() -> dict[str, str]:
    return {
        "sentiment_cli": __version__,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
