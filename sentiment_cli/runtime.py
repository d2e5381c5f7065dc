"""Prediction with LiteRT: no TensorFlow import, same tokenizer as training.

Reviews are encoded, sorted by length and run in fixed-size batches padded only
to the longest review of each batch; the model masks padding, so the result
does not depend on how a review was batched.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._quiet import stderr_silenced
from .bundle import Bundle
from .errors import ModelError
from .metrics import sigmoid
from .text import Encoded

_DONE = object()


@dataclass(frozen=True)
class _Failure:
    error: BaseException


@dataclass(frozen=True)
class Prediction:
    source: str
    text: str
    probability: float
    label: str


class Predictor:
    """Classifies texts with a model directory's LiteRT flatbuffer."""

    def __init__(self, bundle: Bundle, threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.bundle = bundle
        self.encoder = bundle.encoder
        self.batch_size = bundle.litert_batch_size
        try:
            self._interpreter = Interpreter(model_path=str(bundle.litert_path), num_threads=threads)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{bundle.litert_path}: not a usable LiteRT model ({exc})") from None
        self._inputs = self._input_indices(self._interpreter.get_input_details())
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shapes: dict[str, tuple[int, int]] = {}
        if bundle.card["litert"].get("output") != "logit":
            raise ModelError(f"{bundle.path}: written by an older sentiment-cli (LiteRT output is not a logit)")

    def _input_indices(self, details: list[dict]) -> dict[str, int]:
        names = self.encoder.input_names
        if len(details) != len(names):
            raise ModelError(f"{self.bundle.litert_path}: has {len(details)} inputs, the tokenizer makes {len(names)}")
        if len(names) == 1:
            return {names[0]: details[0]["index"]}
        indices = {}
        for name in names:
            matches = [d["index"] for d in details if name in d["name"]]
            if len(matches) != 1:
                raise ModelError(f"{self.bundle.litert_path}: no input named {name}")
            indices[name] = matches[0]
        return indices

    def encode(self, texts: Sequence[str]) -> list[Encoded]:
        return [self.encoder.encode(text) for text in texts]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Probability that each text is positive, in input order."""
        return self.probabilities_of(self.encode(texts))

    def probabilities_of(self, items: Sequence[Encoded]) -> np.ndarray:
        """Probability that each encoded review is positive, in input order."""
        return sigmoid(self.logits_of(items)).astype(np.float32)

    def logits_of(self, items: Sequence[Encoded]) -> np.ndarray:
        """Log-odds that each encoded review is positive (float64), in input order.

        The flatbuffer outputs the final layer's logit; the sigmoid is applied here in float64.
        """
        result = np.empty(len(items), dtype=np.float64)
        order = sorted(range(len(items)), key=lambda i: len(items[i].token_ids))
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            arrays = self.encoder.batch([items[i] for i in index], rows=self.batch_size)
            result[index] = self._run(arrays)[: len(index)]
        return result

    def _run(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        shapes = {name: (int(a.shape[0]), int(a.shape[1])) for name, a in arrays.items()}
        if shapes != self._shapes:
            for name, shape in shapes.items():
                self._interpreter.resize_tensor_input(self._inputs[name], list(shape))
            with stderr_silenced():  # LiteRT announces its CPU delegate on stderr
                self._interpreter.allocate_tensors()
            self._shapes = shapes
        for name, array in arrays.items():
            self._interpreter.set_tensor(self._inputs[name], array)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).reshape(-1)

    def stream(self, chunks: Iterable[list[Any]], threshold: float | None = None) -> Iterator[list[Any]]:
        """Classify chunks of items as they come, each item read as ``(item.source, item.text)``.

        Items without a ``text`` (problems met while reading) pass through in place. Reading and
        tokenizing run in a background thread while LiteRT (which releases the GIL) classifies
        the chunk before, so both cores work; each chunk is yielded as soon as it is classified.
        """
        handoff: queue.Queue[Any] = queue.Queue(maxsize=2)
        stop = threading.Event()

        def put(item: Any) -> bool:
            while not stop.is_set():
                try:
                    handoff.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                for chunk in chunks:
                    reviews = [item for item in chunk if hasattr(item, "text")]
                    if not put((chunk, self.encode([review.text for review in reviews]))):
                        return
                put(_DONE)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                put(_Failure(exc))

        reader = threading.Thread(target=produce, name="sentiment-reader", daemon=True)
        reader.start()
        try:
            while (item := handoff.get()) is not _DONE:
                if isinstance(item, _Failure):
                    raise item.error
                chunk, encoded = item
                probabilities = iter(self._label(self.probabilities_of(encoded), threshold))
                yield [Prediction(x.source, x.text, *next(probabilities)) if hasattr(x, "text") else x for x in chunk]
        finally:
            stop.set()  # a reader between chunks stops now; one waiting on input is a daemon and dies at exit
            reader.join(timeout=0.5)

    def _label(self, probabilities: np.ndarray, threshold: float | None) -> list[tuple[float, str]]:
        cut = self.bundle.threshold if threshold is None else threshold
        negative, positive = self.bundle.labels
        return [(float(p), positive if p >= cut else negative) for p in probabilities]

    def classify(self, items: Sequence[tuple[str, str]], threshold: float | None = None) -> list[Prediction]:
        """``(source, text)`` pairs to predictions, in input order."""
        labelled = self._label(self.probabilities([text for _, text in items]), threshold)
        return [Prediction(source, text, *result) for (source, text), result in zip(items, labelled, strict=True)]
