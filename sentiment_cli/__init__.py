"""sentiment-cli: train, run and explain the classic Keras IMDB BiLSTM sentiment model.

The Python API (see the README's "Python API")::

    import sentiment_cli

    model = sentiment_cli.load()            # or load("my-model")
    model.predict(["A wonderful film."])    # [Result(label='positive', probability=..., probabilities={...})]

``load``, ``Model``, ``Result``, ``train`` and ``evaluate`` come from :mod:`sentiment_cli.api`, and the
``arrow``, ``spark`` and ``errors`` submodules are reached as attributes; all are imported on first use, so
``import sentiment_cli`` imports nothing heavy (no TensorFlow, NumPy, pyarrow, pandas or Spark).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from . import arrow as arrow
    from . import errors as errors
    from . import spark as spark
    from .api import Model, Result, evaluate, load, train

_API = ("load", "Model", "Result", "train", "evaluate")
_SUBMODULES = ("api", "arrow", "spark", "errors")
__all__ = ["Model", "Result", "__version__", "evaluate", "load", "train"]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(".api", __name__), name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API, *_SUBMODULES})
