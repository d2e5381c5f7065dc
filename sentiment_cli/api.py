"""The Python API: load a model, classify texts, explain one, train and evaluate.

::

    import sentiment_cli

    model = sentiment_cli.load()                       # the shipped model; load("my-model") for yours
    model.predict(["A wonderful film.", "Dull."])      # [Result(label='positive', probability=0.99..., ...), ...]
    model.predict_proba(texts)                         # NumPy array (n, classes), in model.labels order
    model.explain("The acting was wooden.")            # per-token weights

Nothing here imports TensorFlow (only :func:`train` does, when called), pandas, pyarrow or Spark.
"""

from __future__ import annotations

import itertools
import numbers
import os
import threading
from collections.abc import Iterable, Iterator, KeysView, Mapping, Sequence, Set, Sized
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .bundle import LITERT_FILE, read_bundle
from .errors import DataError, ModelError
from .metrics import reported_probabilities
from .runtime import check_threshold

if TYPE_CHECKING:
    from .bundle import Bundle, Card
    from .data import Dataset
    from .evaluation import EvaluationResult
    from .explain import Explanation
    from .runtime import Predictor
    from .training import TrainResult

CHUNK = 256
"""Texts classified per LiteRT call when predicting from an iterable (results stream a chunk at a time)."""
TRACE_LOADS_ENV = "SENTIMENT_CLI_TRACE_LOADS"
"""When set to a file path, every :class:`Model` construction appends its process id there (one line): a way
to check that a cluster builds one model per worker process, not one per task."""


class Result(dict[str, Any]):
    """One text's prediction: ``label``, ``probability``, ``probabilities`` as attributes, and a flat, read-only
    record as a dict (``label``, ``probability``, ``p_<class>`` per class, as ``sentiment predict`` writes JSON
    lines), so ``pandas.DataFrame(model.predict(texts))`` has one column per class, in that order (a dict, not
    another mapping: pandas sorts the keys of those).

    - ``probability``: two classes, the probability of the second (positive) class, whatever the label (as the
      ``probability`` of ``sentiment predict``'s output); more, the probability of ``label``.
      :attr:`label_probability` is always the label's.
    - ``probabilities``: every class's probability, in the model's class order (empty when ``label`` is None).

    ``label`` and ``probability`` are ``None`` when the text holds nothing the model knows (no word of its
    vocabulary, no n-gram), or is missing (``None``/NaN in a pandas Series): the model does not guess.
    """

    __slots__ = ("label", "probabilities", "probability")

    def __init__(
        self,
        label: str | None,
        probability: float | None,
        probabilities: dict[str, float],
        classes: Sequence[str] = (),
    ) -> None:
        """``classes``: the model's, so that a result without a label still has every ``p_CLASS`` key (None), and
        a DataFrame of results has the same columns whatever the rows."""
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "probability", probability)
        object.__setattr__(self, "probabilities", dict(probabilities))
        names = list(probabilities) or list(classes)
        record = {"label": label, "probability": probability} | {f"p_{n}": probabilities.get(n) for n in names}
        dict.__init__(self, record)

    @property
    def label_probability(self) -> float | None:
        """The probability of the predicted label (for two classes too: 0.9 for a negative at P(positive) 0.1)."""
        return None if self.label is None else self.probabilities[self.label]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Result is read-only (cannot set {name!r})")

    def _read_only(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("Result is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _read_only  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Result):
            return (self.label, self.probability, self.probabilities) == (
                other.label, other.probability, other.probabilities
            )  # fmt: skip
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:  # type: ignore[override]
        return hash((self.label, self.probability, tuple(self.probabilities.items())))

    def __repr__(self) -> str:
        return f"Result(label={self.label!r}, probability={self.probability!r}, probabilities={self.probabilities!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        classes = [key[2:] for key in self if key.startswith("p_")]
        return Result, (self.label, self.probability, self.probabilities, classes)


def _trace_load() -> None:
    path = os.environ.get(TRACE_LOADS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")


class Model:
    """A verified model directory, ready to classify. Made by :func:`load`.

    - **Inputs**: a list, tuple, NumPy array or pandas Series of strings, or any iterable of strings
      (a generator, a file object...). A bare string is refused (wrap it in a list), and so are a
      DataFrame or dict (pass its text column) and a set (it has no order). ``None``, NaN, ``pandas.NA``
      or ``NaT`` (a missing value in a Series) is a text without content: label ``None``, probabilities NaN.
    - **Threads**: every thread gets its own LiteRT interpreter (an interpreter is not thread-safe),
      so ``predict``, ``predict_proba`` and ``explain`` may be called from several threads at once;
      LiteRT releases the GIL, so threads run in parallel.
    - **Processes**: a ``Model`` pickles as its directory reference (and the model file's sha256), and
      is opened and verified again where it is unpickled: send it to ``multiprocessing`` or
      ``concurrent.futures`` workers as any argument.
    """

    def __init__(self, bundle: Bundle, reference: Path | None) -> None:
        self.bundle = bundle
        self._reference = reference
        self._local = threading.local()
        _trace_load()

    # -- what the model is -----------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The model directory."""
        return self.bundle.path

    @property
    def labels(self) -> tuple[str, ...]:
        """The class names, in the order of :meth:`predict_proba`'s columns."""
        return self.bundle.labels

    @property
    def card(self) -> Card:
        """The model card: configuration, labels, threshold, metrics, training history, data and versions."""
        return self.bundle.card

    @property
    def threshold(self) -> float:
        """Two classes: the probability of the second class at or above which it is predicted (the card's)."""
        return self.bundle.threshold

    @property
    def predictor(self) -> Predictor:
        """The calling thread's LiteRT :class:`~sentiment_cli.runtime.Predictor` (made on first use)."""
        predictor = getattr(self._local, "predictor", None)
        if predictor is None:
            from .runtime import Predictor

            predictor = self._local.predictor = Predictor(self.bundle)
        return predictor

    def __repr__(self) -> str:
        return f"Model({str(self.path)!r}, labels={list(self.labels)!r})"

    # -- pickling: the directory reference, opened and verified again --------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        digest = self.card.files[LITERT_FILE].sha256 if LITERT_FILE in self.card.files else None
        return reopen, (None if self._reference is None else str(self._reference), digest)

    # -- classifying -----------------------------------------------------------------------------

    def __call__(self, texts: str | Iterable[str | None], threshold: float | None = None) -> Any:
        """``model("text")``: one :class:`Result`; ``model(texts)``: as :meth:`predict` (a list, or an iterator for
        an iterable that is not a collection), as Hugging Face's ``pipeline`` and spaCy's ``nlp`` are called."""
        if isinstance(texts, str):
            return self.predict([texts], threshold)[0]
        return self.predict(texts, threshold)

    def predict_proba(self, texts: Iterable[str | None]) -> np.ndarray:
        """Every class's probability for each text: a float64 array of shape (n, classes), columns in
        :attr:`labels` order. A text the model cannot read (or a missing one) gets a row of NaN."""
        _check(texts)
        parts = [self._probabilities(chunk) for chunk in _chunks(texts, CHUNK * 16)]
        if not parts:
            return np.empty((0, len(self.labels)), dtype=np.float64)
        return np.concatenate(parts)

    def predict(self, texts: Iterable[str | None], threshold: float | None = None) -> list[Result] | Iterator[Result]:
        """One :class:`Result` per text, in input order.

        A sized collection (list, tuple, array, pandas Series) gives a list; any other iterable (a
        generator, a file) gives an iterator that reads and classifies ``CHUNK`` texts at a time, so
        an endless or huge input streams in bounded memory. ``threshold``: two-class models only,
        the probability of the second class at or above which it is predicted (default: the card's).
        """
        threshold = check_threshold(threshold, self.labels)  # now, not at the first chunk of a stream
        _check(texts)
        results = (r for chunk in _chunks(texts, CHUNK) for r in self._results(chunk, threshold))
        if isinstance(texts, Sized):
            return list(results)
        return results

    def explain(self, text: str) -> Explanation:
        """How much each token pushed the prediction, in log-odds (of the second class; of the predicted class
        for more): for hybrid models each n-gram's exact share of the logit split among its words, plus the
        BiLSTM's change when the word is left out (see :mod:`sentiment_cli.explain`). ``text[t.start:t.end]``
        is each token as written. A text in which the model knows nothing gets probability None and no
        tokens, as :meth:`predict` gives it no label."""
        if not isinstance(text, str):
            raise TypeError(f"explain takes one text (a str), got {type(text).__name__}")
        from .explain import explain

        return explain(self.predictor, text)

    def _probabilities(self, texts: list[str | None]) -> np.ndarray:
        predictor = self.predictor
        present = [i for i, text in enumerate(texts) if text is not None]
        result = np.full((len(texts), len(self.labels)), np.nan, dtype=np.float64)
        if present:
            result[present] = predictor.probabilities([texts[i] for i in present])
        return result

    def _results(self, texts: list[str | None], threshold: float | None) -> list[Result]:
        probabilities = self._probabilities(texts)
        classes = self.predictor.predicted_classes(probabilities, threshold)
        reported = reported_probabilities(probabilities, classes)
        return [
            Result(None, None, {}, self.labels)
            if c < 0
            else Result(self.labels[c], float(p), dict(zip(self.labels, map(float, row), strict=True)))
            for row, c, p in zip(probabilities, classes, reported, strict=True)
        ]


def _check(texts: Any) -> None:
    """A collection of texts, not one text (whose characters would be read as texts) or a non-iterable."""
    if isinstance(texts, str | bytes):
        raise TypeError(
            f"texts must be a collection of strings, got a single {type(texts).__name__}: "
            "wrap one text in a list, model.predict([text])"
        )
    if not isinstance(texts, Iterable):
        raise TypeError(f"texts must be an iterable of strings, got {type(texts).__name__}")
    if isinstance(texts, Mapping) or hasattr(texts, "columns"):  # a dict or a DataFrame iterates over its keys
        raise TypeError(
            f"texts must be a collection of strings, got a {type(texts).__name__}, which iterates over its keys: "
            "pass its text column, model.predict(df['text'])"
        )
    if isinstance(texts, Set) and not isinstance(texts, KeysView):  # a dict's keys keep their order
        raise TypeError("texts must be an ordered collection (results come in input order), got a set: pass a list")
    if getattr(texts, "ndim", 1) != 1:
        raise TypeError(f"texts must be one-dimensional, got an array of {texts.ndim} dimensions")


def _missing(value: Any) -> bool:
    """None, a NaN of any kind (float, NumPy, Decimal), or pandas' ``NA`` or ``NaT``: a missing text."""
    if value is None or (type(value).__name__ in ("NAType", "NaTType") and type(value).__module__.startswith("pandas")):
        return True
    return isinstance(value, numbers.Number) and not isinstance(value, bool) and value != value


def _chunks(texts: Iterable[Any], size: int) -> Iterator[list[str | None]]:
    """Texts in lists of ``size``, checked: str, or None/NaN for a missing text; anything else is a TypeError."""
    iterator = iter(texts)
    position = 0
    while chunk := list(itertools.islice(iterator, size)):
        checked: list[str | None] = []
        for value in chunk:
            if isinstance(value, str):
                checked.append(str(value))  # NumPy's str_ to str
            elif _missing(value):
                checked.append(None)
            else:
                raise TypeError(f"text {position + len(checked)} is of type {type(value).__name__}, not str")
        position += len(chunk)
        yield checked


def load(path: str | os.PathLike[str] | None = None) -> Model:
    """Open a model directory written by ``sentiment train`` (None: the model shipped with sentiment-cli).

    Every file prediction reads is checked against the card's sha256; a missing, damaged or foreign
    directory raises :class:`sentiment_cli.errors.ModelError`.
    """
    if path is not None and not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a model directory's path (str or Path) or None, got {type(path).__name__}")
    bundle = read_bundle(path, purpose="predict")  # messages name the path as given
    return Model(bundle, None if path is None else bundle.path.absolute())


def reopen(path: str | None, digest: str | None) -> Model:
    """Open a model directory again (verified) and check it still holds the model whose LiteRT file has the
    sha256 ``digest``: what unpickling a :class:`Model` does, and a Spark worker opening the model shipped to it."""
    model = load(path)
    found = model.card.files[LITERT_FILE].sha256 if LITERT_FILE in model.card.files else None
    if digest is not None and found != digest:
        raise ModelError(
            f"{model.path}: holds another model than the one pickled ({LITERT_FILE} sha256 {found} instead of {digest})"
        )
    return model


_reopen = reopen
"""The name pickles made before :func:`reopen` was public refer to."""


# -- training and evaluation ----------------------------------------------------------------------

_TABLE_OPTIONS = ("input_format", "text_column", "label_column", "id_column", "label_map", "header", "tree_nodes")
_VECTOR_OPTIONS = ("embeddings", "freeze_embeddings")


def _split_options(options: dict[str, Any], *groups: tuple[str, ...]) -> list[dict[str, Any]]:
    known = [name for group in groups for name in group]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"unknown option {', '.join(unknown)} (options: {', '.join(sorted(known))})")
    return [{k: v for k, v in options.items() if k in group} for group in groups]


def _dataset(data: str | os.PathLike[str] | Dataset, table: dict[str, Any], **model: Any) -> Dataset:
    from .data import Dataset, TableOptions, load_dataset

    if isinstance(data, Dataset):
        if table:
            raise TypeError(f"{', '.join(sorted(table))}: options for reading a file, and data is already a Dataset")
        return data
    if not isinstance(data, str | os.PathLike):
        hint = (
            "; write a DataFrame to a file first, df.to_parquet('reviews.parquet')" if hasattr(data, "columns") else ""
        )
        raise TypeError(
            f"data must be a path to a table, folder or archive, or a Dataset, got a {type(data).__name__}{hint}"
        )
    return load_dataset(data, TableOptions(**table), **model)


def train(
    data: str | os.PathLike[str] | Dataset,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    resume: bool = False,
    **options: Any,
) -> TrainResult:
    """Train a model on labelled data and write its directory ``out``; returns a
    :class:`~sentiment_cli.training.TrainResult` (``out``, ``card``, ``metrics``), as ``sentiment train`` does.

    ``data``: anything ``sentiment train`` reads (a CSV/TSV/JSONL/Parquet table, an aclImdb folder or
    ``.tar.gz``), or a :class:`~sentiment_cli.data.Dataset`. ``options``: the model settings of
    :class:`~sentiment_cli.config.ModelConfig` (``arch``, ``vocab_size``, ``lstm_units``...), the training
    settings of :class:`~sentiment_cli.config.TrainConfig` (``epochs``, ``batch_size``, ``seed``...) and how
    to read the data (``input_format``, ``text_column``, ``label_column``, ``label_map``, ``header``,
    ``tree_nodes``), by the names of those classes' fields; ``embeddings`` (a vectors file or ``"glove"``) and
    ``freeze_embeddings`` start the BiLSTM from pretrained word vectors. An unknown name is a ``TypeError``.
    Imports TensorFlow.
    """
    from .bundle import check_output
    from .config import ModelConfig, TrainConfig
    from .extras import require_tensorflow

    require_tensorflow()
    model_opts, train_opts, table, vectors = _split_options(
        options,
        tuple(f.name for f in fields(ModelConfig)),
        tuple(f.name for f in fields(TrainConfig)),
        _TABLE_OPTIONS,
        _VECTOR_OPTIONS,
    )
    model_config, train_config = ModelConfig(**model_opts), TrainConfig(**train_opts)
    out = Path(out)
    check_output(out, force, keep=() if not isinstance(data, str | os.PathLike) else (Path(data),))
    dataset = _dataset(data, table)
    from .training import train as fit

    return fit(dataset, out, model_config, train_config, force=force, resume=resume, **vectors)


def evaluate(
    data: str | os.PathLike[str],
    model: Model | str | os.PathLike[str] | None = None,
    *,
    split: str | None = None,
    threshold: float | None = None,
    **options: Any,
) -> EvaluationResult:
    """Score a model (a :class:`Model`, a directory, or None for the shipped one) on labelled data, as
    ``sentiment evaluate`` does, and return its result: accuracy, per-class and averaged
    precision/recall/F1, ROC-AUC, log loss, the confusion matrix, throughput, rows skipped. It reads as the
    JSON document ``sentiment evaluate --format json`` prints (``result["accuracy"]``, ``result.to_dict()``);
    ``result.metrics`` is the typed :class:`~sentiment_cli.metrics.Metrics` and ``result.run`` what was scored.

    ``split``: ``test`` (the default when the data has one) or ``train``. ``options``: how to read the
    data (``input_format``, ``text_column``, ``label_column``, ``id_column``, ``label_map``, ``header``).
    The data's labels are mapped onto the model's classes. No TensorFlow.
    """
    from .evaluation import evaluate as run

    (table,) = _split_options(options, _TABLE_OPTIONS)
    bundle = model.bundle if isinstance(model, Model) else read_bundle(model, purpose="evaluate")
    dataset = _dataset(data, table, classes=bundle.labels, scheme=bundle.card.label_scheme)
    if tuple(dataset.classes) != tuple(bundle.labels):  # a Dataset read without the model's classes
        raise DataError(
            f"the data's classes ({', '.join(dataset.classes)}) are not the model's ({', '.join(bundle.labels)})",
            "pass the file's path, or read it with load_dataset(path, classes=model.labels)",
        )
    check_threshold(threshold, bundle.labels)
    return run(dataset, bundle, split, None if threshold is None else float(threshold))
