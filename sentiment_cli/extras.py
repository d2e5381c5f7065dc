"""Optional dependencies: whether an extra is installed, checked without importing it (TensorFlow's import
alone takes seconds), and the one line that says how to add it."""

from __future__ import annotations

import importlib.util

from .errors import MissingExtra

TRAIN_HINT = "pip install 'sentiment-cli[train]', or from a clone: pip install '.[train]'"
TRAIN_MISSING = "training and Keras files need TensorFlow, which is not installed"


def require_tensorflow() -> None:
    """Raise :class:`MissingExtra` unless TensorFlow and Keras can be imported (the ``train`` extra)."""
    for module in ("tensorflow", "keras"):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a module set to None in sys.modules, or a broken package
            found = False
        if not found:
            raise MissingExtra(TRAIN_MISSING, TRAIN_HINT)
