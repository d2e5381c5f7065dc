"""Writing what prediction runs: the LiteRT flatbuffer, from the Keras model."""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np

from .. import __version__
from .._tensorflow import keras, tf


def export_litert(model: keras.Model, path: Path, batch_size: int, inputs: tuple[str, ...], head: str) -> None:
    """Write a LiteRT flatbuffer with a fixed batch and free sequence lengths (builtin ops only).

    It outputs the final layer's logits, before the sigmoid or softmax: the runtime applies them in
    float64, so probabilities near 0 or 1 keep their log-odds (explanations need them).
    """
    final = model.get_layer(head)
    linear = keras.layers.Dense(final.units, name="logits")
    logit = linear(final.input)
    linear.set_weights(final.get_weights())
    logits = keras.Model(model.inputs if len(inputs) > 1 else model.inputs[0], logit)
    specs = {name: keras.InputSpec(shape=(batch_size, None), dtype="int32", name=name) for name in inputs}
    signature = [specs] if len(inputs) > 1 else [specs[inputs[0]]]
    logits.export(str(path), format="litert", input_signature=signature, verbose=False)


def versions() -> dict[str, str]:
    return {
        "sentiment_cli": __version__,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
