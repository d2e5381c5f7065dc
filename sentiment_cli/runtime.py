"""Prediction with LiteRT: no TensorFlow import, same tokenizer as training.

Reviews are encoded, sorted by length and run in fixed-size batches padded only
to the longest review of each batch; the model masks padding, so the result
does not depend on how a review was batched.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._quiet import stderr_silenced
from .bundle import Bundle
from .errors import ModelError
from .text import pad


@dataclass(frozen=True)
class Prediction:
    source: str
    text: str
    probability: float
    label: str


class Predictor:
    """Classifies texts with a model directory's LiteRT flatbuffer."""

    def __init__(self, bundle: Bundle, threads: int | None = None) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.bundle = bundle
        self.vocabulary = bundle.vocabulary
        self.max_length = bundle.config.max_length
        self.batch_size = bundle.litert_batch_size
        try:
            self._interpreter = Interpreter(
                model_path=str(bundle.litert_path), num_threads=threads or min(2, os.cpu_count() or 1)
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{bundle.litert_path}: not a usable LiteRT model ({exc})") from None
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shape: tuple[int, int] | None = None

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.vocabulary.encode(text, self.max_length) for text in texts]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Probability that each text is positive, in input order."""
        return self.probabilities_from_ids(self.encode(texts))

    def probabilities_from_ids(self, sequences: Sequence[list[int]]) -> np.ndarray:
        result = np.empty(len(sequences), dtype=np.float32)
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            batch = pad([sequences[i] for i in index], rows=self.batch_size)
            result[index] = self._run(batch)[: len(index)]
        return result

    def _run(self, batch: np.ndarray) -> np.ndarray:
        shape = (int(batch.shape[0]), int(batch.shape[1]))
        if shape != self._shape:
            self._interpreter.resize_tensor_input(self._input, list(shape))
            with stderr_silenced():  # LiteRT announces its CPU delegate on stderr
                self._interpreter.allocate_tensors()
            self._shape = shape
        self._interpreter.set_tensor(self._input, batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).reshape(-1)

    def classify(self, items: Sequence[tuple[str, str]], threshold: float | None = None) -> list[Prediction]:
        """``(source, text)`` pairs to predictions, in input order."""
        cut = self.bundle.threshold if threshold is None else threshold
        negative, positive = self.bundle.labels
        probabilities = self.probabilities([text for _, text in items])
        return [
            Prediction(source, text, float(p), positive if p >= cut else negative)
            for (source, text), p in zip(items, probabilities, strict=True)
        ]
