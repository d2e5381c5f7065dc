"""Prediction with LiteRT: no TensorFlow import, same tokenizer as training.

Reviews are encoded, sorted by length and run in fixed-size batches padded only
to the longest review of each batch (a single review in the flatbuffer's one-row
signature); the model masks padding, so the result does not depend on how a
review was batched.
"""

from __future__ import annotations

import contextlib
import numbers
import queue
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from ._quiet import stderr_silenced
from .bundle import Bundle
from .config import LITERT_SIGNATURES, logit_width
from .errors import ModelError
from .metrics import predicted_classes, reported_probabilities, sigmoid, softmax
from .text import Encoded

_DONE = object()
_TABLES = {layer: re.compile(rf"(^|/){layer}(_\d+)?/") for layer in ("embedding", "ngram_weights")}
"""A lookup table's tensor in the flatbuffer, by the Keras layer it comes from (``functional_1/embedding_1/...``)."""


def _shape(shape: Sequence[Any]) -> str:
    """A tensor shape as plain numbers, ``(32, 1)`` (NumPy's integers print as ``np.int32(32)``)."""
    return "(" + ", ".join(str(int(d)) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class _Failure(NamedTuple):
    error: BaseException


class Prediction(NamedTuple):
    """One text's answer (a ``NamedTuple``, like the other records on the prediction path: cheaper to define
    at every start than a frozen dataclass)."""

    source: str
    text: str
    probability: float | None
    """Two classes: the probability of the second (positive) class. More: the probability of ``label``.
    ``None`` when the model knows nothing in the text (no word of its vocabulary, no n-gram)."""
    label: str | None
    """``None`` when the model knows nothing in the text: it does not guess."""
    probabilities: tuple[float, ...] = ()
    """Every class's probability, in the model's class order (empty when ``label`` is ``None``)."""
    id: Any = None
    """The row's id (tables read with an id column)."""
    extra: dict[str, Any] | None = None
    """Input columns carried through to the output (``--keep-columns``)."""


def check_threshold(threshold: Any, labels: Sequence[str]) -> float | None:
    """A threshold is a two-class model's, a number from 0 to 1 (any real: float, NumPy, ``Fraction``,
    ``Decimal``): returned as a float; ``ValueError`` otherwise."""
    if threshold is None:
        return None
    if len(labels) != 2:
        raise ValueError(f"threshold applies to two-class models; this one has {len(labels)} classes")
    # numbers.Real, or a Number that is not Complex: Decimal (registered as a Number only)
    real = isinstance(threshold, numbers.Real) or (
        isinstance(threshold, numbers.Number) and not isinstance(threshold, numbers.Complex)
    )
    real = real and not isinstance(threshold, bool)
    if not real or not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must be a number from 0 to 1, got {threshold!r}")
    return float(threshold)


class Predictor:
    """Classifies texts with a model directory's LiteRT flatbuffer."""

    def __init__(self, bundle: Bundle, threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.bundle = bundle
        self.encoder = bundle.encoder
        self.labels = bundle.labels
        self.batch_size = bundle.litert_batch_size
        self.width = logit_width(len(self.labels))
        try:
            self._interpreter = Interpreter(model_content=bundle.litert_model, num_threads=threads)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{bundle.litert_path}: not a usable LiteRT model ({exc})") from None
        if set(LITERT_SIGNATURES) <= self._interpreter.get_signature_list().keys() and self.batch_size > 1:
            batch = self._interpreter.get_signature_runner(LITERT_SIGNATURES[0])
            named = batch.get_input_details()
            if sorted(named) != sorted(self.encoder.input_names):
                raise ModelError(
                    f"{bundle.litert_path}: its signature takes {', '.join(sorted(named))}, "
                    f"the tokenizer makes {', '.join(self.encoder.input_names)}"
                )
            inputs, outputs = list(named.values()), list(batch.get_output_details().values())
        else:  # a flatbuffer of one signature (exported before the one-review signature), or none
            batch = None
            inputs, outputs = self._interpreter.get_input_details(), self._interpreter.get_output_details()
        self._inputs = self._input_indices(inputs)
        try:
            details = self._interpreter.get_tensor_details()
        except (ValueError, RuntimeError):  # a tensor LiteRT cannot describe: the other checks still apply
            details = []
        self._check_tables(details)
        shape = tuple(int(d) for d in outputs[0]["shape"]) if len(outputs) == 1 else ()
        if shape != (self.batch_size, self.width) or outputs[0]["dtype"] != np.float32:
            raise ModelError(
                f"{bundle.litert_path}: its output is {_shape(shape) if shape else len(outputs)} "
                f"({outputs[0]['dtype'].__name__}), "
                f"the card describes ({self.batch_size}, {self.width}) float32 for {len(self.labels)} labels"
            )
        self._output = outputs[0]["index"]
        self._shapes: dict[str, tuple[int, int]] = {}
        # By rows: the signatures' runners (a runner holds the interpreter, which then refuses direct calls).
        self._runners = {} if batch is None else {self.batch_size: batch, 1: self._one_row_signature()}
        self._ready: set[int] = set()

    def _one_row_signature(self) -> Any:
        """The flatbuffer's one-row signature, for a single review: the batch signature would run the LSTM
        over a batch of padding. Checked as the batch signature is, and taking the tokenizer's inputs too."""
        runner = self._interpreter.get_signature_runner(LITERT_SIGNATURES[1])
        inputs, outputs = runner.get_input_details(), runner.get_output_details()
        fits = sorted(inputs) == sorted(self.encoder.input_names) and all(
            d["dtype"] == np.int32 and [int(n) for n in d["shape_signature"]] == [1, -1] for d in inputs.values()
        )
        shapes = [tuple(int(n) for n in d["shape"]) for d in outputs.values()]
        if not fits or shapes != [(1, self.width)] or next(iter(outputs.values()))["dtype"] != np.float32:
            raise ModelError(
                f"{self.bundle.litert_path}: its one-review signature does not take the tokenizer's "
                f"{', '.join(self.encoder.input_names)} as (1, length) int32 or give (1, {self.width}) float32"
            )
        return runner

    def _input_indices(self, details: list[dict]) -> dict[str, int]:
        names = self.encoder.input_names
        if len(details) != len(names):
            raise ModelError(f"{self.bundle.litert_path}: has {len(details)} inputs, the tokenizer makes {len(names)}")
        for detail in details:
            if detail["dtype"] != np.int32 or len(detail["shape"]) != 2 or detail["shape"][0] != self.batch_size:
                raise ModelError(
                    f"{self.bundle.litert_path}: input {detail['name']} is {_shape(detail['shape'])} "
                    f"{detail['dtype'].__name__}, expected ({self.batch_size}, length) int32"
                )
        if len(names) == 1:
            return {names[0]: details[0]["index"]}
        indices = {}
        for name in names:
            matches = [d["index"] for d in details if name in d["name"]]
            if len(matches) != 1:
                raise ModelError(f"{self.bundle.litert_path}: no input named {name}")
            indices[name] = matches[0]
        return indices

    def _check_tables(self, details: list[dict]) -> None:
        """The flatbuffer's lookup tables have the rows the tokenizer's ids need: the word embedding one per
        vocabulary entry and padding, the n-gram weights one per ``ngrams.npy`` key and the reserved ids. A
        ``model.tflite`` of another model (its hash put in the card) would otherwise read these ids as its own
        words and answer wrongly. The tables are the constant 2-D float tensors named after their layer."""
        ngrams = self.encoder.ngrams
        expected = {"embedding": (self.encoder.vocabulary.input_dim, "words in tokenizer.json")}
        if ngrams is not None:
            expected["ngram_weights"] = (ngrams.input_dim, "n-grams in ngrams.npy")
        tables = [d for d in details if len(d["shape"]) == 2 and d["dtype"] == np.float32]
        for layer, (rows, what) in expected.items():
            for detail in tables:
                shape = detail["shape"]
                if _TABLES[layer].search(detail["name"]) and int(shape[0]) != rows:
                    raise ModelError(
                        f"{self.bundle.litert_path}: its {layer} table has {int(shape[0]):,} rows, the model "
                        f"directory's {what} need {rows:,} (files of different models?)"
                    )

    def encode(self, texts: Sequence[str]) -> list[Encoded]:
        return [self.encoder.encode(text) for text in texts]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Every class's probability for each text, (n, classes) float64, in input order."""
        return self.probabilities_of(self.encode(texts))

    def probabilities_of(self, items: Sequence[Encoded]) -> np.ndarray:
        """Every class's probability for each encoded review, (n, classes) float64, in input order.

        A review in which the model knows nothing (no word of its vocabulary, no n-gram of its table)
        gets a row of NaN: the model has no evidence, and its answer would be the padding's."""
        logits = self.logits_of(items)
        if self.width == 1:
            p = sigmoid(logits)
            result = np.stack([1.0 - p, p], axis=1)
        else:
            result = softmax(logits)
        unreadable = [i for i, item in enumerate(items) if not item.readable]
        result[unreadable] = np.nan
        return result

    def logits_of(self, items: Sequence[Encoded]) -> np.ndarray:
        """The model's logits (float64), in input order: (n,) log-odds of the second class for a
        two-class model, (n, classes) for more. The sigmoid or softmax is applied in float64."""
        result = np.empty((len(items), self.width), dtype=np.float64)
        order = sorted(range(len(items)), key=lambda i: len(items[i].token_ids))
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            rows = 1 if len(index) == 1 and self._runners else self.batch_size
            arrays = self.encoder.batch([items[i] for i in index], rows=rows)
            result[index] = self._run(arrays)[: len(index)]
        if not np.all(np.isfinite(result)):
            raise ModelError(f"{self.bundle.litert_path}: the model computed non-finite outputs (damaged weights?)")
        return result[:, 0] if self.width == 1 else result

    def _run(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        if self._runners:
            return self._run_signature(arrays)
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
        return self._interpreter.get_tensor(self._output)

    def _run_signature(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        rows = len(next(iter(arrays.values())))
        # a signature's first call allocates, and LiteRT may announce its CPU delegate on stderr
        with contextlib.nullcontext() if rows in self._ready else stderr_silenced():
            self._ready.add(rows)
            return next(iter(self._runners[rows](**arrays).values()))

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
                results = iter(self.predictions(chunk, self.probabilities_of(encoded), threshold))
                yield [next(results) if hasattr(x, "text") else x for x in chunk]
        finally:
            stop.set()  # a reader between chunks stops now; one waiting on input is a daemon and dies at exit
            reader.join(timeout=0.5)

    def predicted_classes(self, probabilities: np.ndarray, threshold: float | None = None) -> np.ndarray:
        """Class ids (:func:`metrics.predicted_classes`) at ``threshold``, else the card's; -1 for a row of NaN
        (a review the model cannot read)."""
        check_threshold(threshold, self.labels)
        return predicted_classes(probabilities, self.bundle.threshold if threshold is None else threshold)

    def predictions(self, items: Sequence[Any], probabilities: np.ndarray, threshold: float | None = None) -> list:
        """Predictions for the items that have a ``text`` (their ``source``, ``text`` and ``extra`` kept)."""
        reviews = [x for x in items if hasattr(x, "text")]
        classes = self.predicted_classes(probabilities, threshold)
        reported = reported_probabilities(probabilities, classes)
        return [
            Prediction(
                review.source,
                review.text,
                None if c < 0 else float(p),
                None if c < 0 else self.labels[c],
                () if c < 0 else tuple(float(v) for v in row),
                getattr(review, "id", None),
                getattr(review, "extra", None),
            )
            for review, row, c, p in zip(reviews, probabilities, classes, reported, strict=True)
        ]
