"""Import Keras (and TensorFlow) once, without TensorFlow's C++ start-up chatter on stderr.

Only training, export and inspection import this module; prediction never does.
"""

from __future__ import annotations

import os

from ._quiet import stderr_silenced
from .errors import MissingExtra
from .extras import TRAIN_HINT, TRAIN_MISSING

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

try:
    with stderr_silenced():
        import keras
        import tensorflow as tf
except ImportError:  # the base install predicts only
    raise MissingExtra(TRAIN_MISSING, TRAIN_HINT) from None

tf.get_logger().setLevel("ERROR")  # no retracing or deprecation warnings among our own progress lines

__all__ = ["keras", "tf"]
