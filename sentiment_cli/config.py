"""Model and training settings, and the constants behind them. Every default lives here and only here.

The defaults reproduce the classic Keras IMDB notebook model:
Embedding(10,000 words, 64) -> Bidirectional(LSTM(64)) -> Dense(64, relu) -> Dense(1, sigmoid).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields
from typing import Any

LABELS: tuple[str, str] = ("negative", "positive")
"""Label names, indexed by class id: 0 is negative, 1 is positive."""


TOKENIZERS = ("auto", "words", "chars")
"""``words``: the BiLSTM reads words. ``chars``: the BiLSTM reads characters (Japanese, Chinese, Thai...: no
spaces between words). ``auto``: ``chars`` when most letters of the training texts are in such scripts, else
``words`` (Korean included: its words are spaced, and character n-grams in the bag find their stems); the
choice is stored in the card."""

CLASS_WEIGHTS = ("none", "balanced")
STRATEGIES = ("default", "mirrored", "multi-worker")
"""How the BiLSTM is fitted (``tf.distribute``): ``default``, one device; ``mirrored``, every local GPU (or
logical CPU device) with Keras ``fit``; ``multi-worker``, one process per machine from ``TF_CONFIG``, with a
custom training loop. The batch size is global in each: the number and size of the steps per epoch do not
depend on the number of replicas."""
CHAR_NGRAMS = ("auto", "on", "off")
NEGATION_MARKS = ("both", "bag", "bag-ngrams")
"""Where words in a negation's scope are marked: ``both`` branches (the bag's 1-grams and the BiLSTM's words:
"¬bad" is a vocabulary entry of its own), or the ``bag`` only: the BiLSTM reads "not bad" as the words
themselves, so what it learns of a negator carries over to words it has rarely seen negated. ``bag-ngrams``:
the bag only, in its n-grams of every length: "not a waste" has the 2-grams not ¬a and ¬a ¬waste, so the
bag's weight for "a waste" is not read in it."""
NEGATION_ENDS = ("scope", "punctuation")
"""Where a negation's scope ends: after ``negation_scope`` words, at a contrast word (but, yet) or at a new
negator (``scope``); ``punctuation``: at punctuation (. , ; : ! ?) too, so "not terrible, it's wonderful"
marks ¬terrible only."""
SHORT_TEXT_TOKENS = 40

MAX_SEED = 2**32 - 1
"""Largest ``seed``: NumPy's and TensorFlow's global seeds (``keras.utils.set_random_seed``) are 32-bit."""
MAX_LEARNING_RATE = 1.0
"""Largest learning rate (Adam's step): above it training only diverges (1e308 gives NaN weights)."""
MAX_UNITS = 4096
"""Largest ``embedding_dim``, ``lstm_units`` and ``dense_units``: 4,096 LSTM units are already 2 × 4 × 4,096²
weights (and Adam's two copies); 100,000 run out of memory while the network is built, after the data is read."""
MAX_NGRAM_ORDER = 8
"""Longest n-gram in the bag (words or characters): each review makes about ``order`` × its length n-grams."""

ARCHITECTURES = ("hybrid", "seed")
"""``seed``: the notebook's Embedding -> BiLSTM -> Dense -> Dense(1, sigmoid).
``hybrid`` (default): the same BiLSTM stack beside a bag of 1-3-grams (a linear model, one
weight per n-gram), each branch trained on its own, their logits combined by a final
Dense(1, sigmoid) fitted on the validation split."""


@dataclass(frozen=True)
class ModelConfig:
    """The shape of the network and of its input."""

    arch: str = "hybrid"
    tokenizer: str = "auto"
    vocab_size: int = 10_000
    """Vocabulary entries, the out-of-vocabulary token included (id 0 is padding)."""
    max_length: int = 256
    """Units (words or characters) the BiLSTM reads of a review."""
    head_length: int | None = None
    """Of a review longer than ``max_length`` units, the BiLSTM reads the first ``head_length`` and the last
    ``max_length - head_length`` (of its first ``NGRAM_MAX_TOKENS`` tokens): a review's verdict is often at
    its end. ``None``: a quarter of ``max_length`` (64 of 256), settled when training starts and recorded in
    the card; ``max_length`` or more: the first ``max_length`` (as models from before this setting)."""
    embedding_dim: int = 64
    lstm_units: int = 64
    dense_units: int = 64
    ngram_order: int = 3
    """Longest n-gram in the hybrid model's bag (1 = words only)."""
    ngram_vocab_size: int = 300_000
    """N-grams in the hybrid model's bag: those found in the most training reviews (at least 2)."""
    char_ngrams: str = "auto"
    """Character 1..``char_ngram_order``-grams in the bag: ``on``, ``off``, or ``auto``: on when the tokenizer
    reads characters, the texts are mostly Korean (particles attach to words), or the training texts are short
    (a median of at most ``SHORT_TEXT_TOKENS`` tokens: tweets, one-line reviews), where word n-grams alone are
    too sparse; off for long reviews (IMDB)."""
    char_ngram_order: int = 4
    """Longest character n-gram in the bag."""
    negation_scope: int = 3
    """Words after a negator (not, never, no, ...n't) that are marked negated ("not bad": ¬bad), until a
    contrast word (but, yet): in the bag's 1-grams and, when the BiLSTM reads words and ``negation_marks`` is
    ``both``, in its input (¬bad is a vocabulary entry of its own); 0 turns marking off."""
    negation_marks: str = "both"
    """Which branches read the negation marks: ``both``, the ``bag`` only, or the bag in its n-grams of every
    length (``bag-ngrams``): :data:`NEGATION_MARKS`."""
    negation_ends: str = "scope"
    """Where a negation's scope ends: ``scope`` or ``punctuation`` (:data:`NEGATION_ENDS`)."""
    length_gate: int = 300
    """The hybrid's combiner also sees each branch's logit times g = 1 / (1 + n / length_gate), n the review's
    n-gram ids: it weighs the branches (and scales their logits) differently for short and long texts, which
    keeps one-line texts from the bag's extreme logits. 0: the plain combiner of the two logits."""

    def __post_init__(self) -> None:
        _plain_numbers(self)
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"arch must be one of {', '.join(ARCHITECTURES)}, got {self.arch!r}")
        if self.char_ngrams not in CHAR_NGRAMS:
            raise ValueError(f"char_ngrams must be one of {', '.join(CHAR_NGRAMS)}, got {self.char_ngrams!r}")
        if self.negation_marks not in NEGATION_MARKS:
            raise ValueError(f"negation_marks must be one of {', '.join(NEGATION_MARKS)}, got {self.negation_marks!r}")
        if self.negation_ends not in NEGATION_ENDS:
            raise ValueError(f"negation_ends must be one of {', '.join(NEGATION_ENDS)}, got {self.negation_ends!r}")
        if self.tokenizer not in TOKENIZERS:
            raise ValueError(f"tokenizer must be one of {', '.join(TOKENIZERS)}, got {self.tokenizer!r}")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "head_length" and value is None:
                continue
            least = 0 if f.name in ("negation_scope", "length_gate", "head_length") else 1
            named = f.name in ("arch", "tokenizer", "char_ngrams", "negation_marks", "negation_ends")
            if not named and not is_count(value, least):
                what = "0 or a positive integer" if least == 0 else "a positive integer"
                raise ValueError(f"{f.name} must be {what}, got {value!r}")

        if self.vocab_size < 2:
            raise ValueError("vocab_size must be at least 2 (one word and the unknown token)")
        for name in ("embedding_dim", "lstm_units", "dense_units"):
            if getattr(self, name) > MAX_UNITS:
                raise ValueError(f"{name} must be from 1 to {MAX_UNITS:,}, got {getattr(self, name)!r}")
        for name in ("ngram_order", "char_ngram_order"):
            if getattr(self, name) > MAX_NGRAM_ORDER:
                raise ValueError(f"{name} must be from 1 to {MAX_NGRAM_ORDER}, got {getattr(self, name)!r}")

    def to_dict(self) -> dict[str, Any]:
        """Every field; ``negation_marks`` and ``negation_ends`` only when they are not ``both`` and ``scope``, so
        the cards of models from before these settings read back as they were written."""
        data = asdict(self)
        for name, before in (("negation_marks", "both"), ("negation_ends", "scope")):
            if data[name] == before:
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        # models from before these settings: no negation marking, no length gate, the first max_length units
        data = {"negation_scope": 0, "length_gate": 0, "head_length": data.get("max_length", cls.max_length), **data}
        return cls(**{k: v for k, v in data.items() if k in known})


def head_length_of(config: ModelConfig) -> int:
    """The head the BiLSTM reads: the setting, or a quarter of ``max_length`` when it is None."""
    return config.max_length // 4 if config.head_length is None else config.head_length


def _plain_numbers(config: Any) -> None:
    """A frozen config's NumPy (or other) integers and reals as Python ``int`` and ``float``: they go into
    the card's JSON, and ``numpy.int64(5)`` is not an ``int``."""
    for f in fields(config):
        value = getattr(config, f.name)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or type(value) in (int, float):
            continue
        if isinstance(value, numbers.Integral):
            object.__setattr__(config, f.name, int(value))
        elif "float" in str(f.type):
            object.__setattr__(config, f.name, float(value))


def is_count(value: Any, least: int = 0) -> bool:
    """Whether ``value`` is an integer (not a bool) of at least ``least``: settings read from files."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def window_head(max_length: int, head_length: int | None) -> int | None:
    """The head of the BiLSTM's window over a long review, or None when it reads the first ``max_length``
    units (no head given, or one of ``max_length`` or more)."""
    return head_length if head_length is not None and head_length < max_length else None


def describe_window(max_length: Any, head_length: Any) -> str:
    """What the BiLSTM reads of a review, from a card's model settings (those of older cards lack
    ``head_length``: the first ``max_length`` units)."""
    if not is_count(max_length, 1):
        return "?"
    head = window_head(max_length, head_length if is_count(head_length) else None)
    if head is None:
        return f"the first {max_length:,} units"
    return f"{max_length:,} units: the first {head:,} and the last {max_length - head:,} of a longer review"


@dataclass(frozen=True)
class TrainConfig:
    """How the network is fitted."""

    epochs: int = 5
    batch_size: int = 64
    validation_split: float = 0.1
    """Fraction of the training data held out for validation and early stopping."""
    patience: int = 2
    """Epochs without a better validation loss before training stops (best weights are kept)."""
    learning_rate: float = 1e-3
    seed: int = 42
    ngram_epochs: int = 8
    """Most epochs for the hybrid model's n-gram bag (early stopping applies)."""
    ngram_learning_rate: float = 1e-2
    class_weight: str = "none"
    """``balanced``: weigh each review by n / (classes × reviews of its class), in both branches' losses and in
    the combiner, so every class counts the same (macro-averaged recall, rare classes); ``none``: every review
    counts the same (accuracy)."""
    strategy: str = "default"
    """One of ``STRATEGIES``: where the BiLSTM is fitted. ``batch_size`` is the global batch in every strategy."""

    def __post_init__(self) -> None:
        _plain_numbers(self)
        kinds = {"int": (int, "an integer"), "float": (int | float, "a number"), "str": (str, "a string")}
        for f in fields(self):
            kind, what = kinds[str(f.type)]
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, kind):
                raise ValueError(f"{f.name} must be {what}, got {value!r}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not (math.isfinite(self.validation_split) and 0.0 <= self.validation_split < 1.0):
            raise ValueError(f"validation_split must be in [0, 1), got {self.validation_split}")
        if self.patience < 0:
            raise ValueError(f"patience must be 0 or more, got {self.patience}")
        for name in ("learning_rate", "ngram_learning_rate"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and 0 < value <= MAX_LEARNING_RATE):
                raise ValueError(f"{name} must be a number above 0 and at most {MAX_LEARNING_RATE:g}, got {value!r}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be from 0 to {MAX_SEED} (2**32 - 1), got {self.seed}")
        if self.class_weight not in CLASS_WEIGHTS:
            raise ValueError(f"class_weight must be one of {', '.join(CLASS_WEIGHTS)}, got {self.class_weight!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}")
        if self.ngram_epochs < 1:
            raise ValueError(f"ngram_epochs must be at least 1, got {self.ngram_epochs}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def logit_width(num_classes: int) -> int:
    """Outputs of each logit layer: one log-odds for two classes, one logit per class for more."""
    return 1 if num_classes == 2 else num_classes


NGRAM_MAX_TOKENS = 5000
"""Tokens of a review whose n-grams enter the bag (the first ones)."""
NGRAM_MIN_COUNT = 2
"""Reviews an n-gram must appear in to enter the bag."""
POOL_BATCHES = 50
"""Training batches per length-sorted pool: large enough to group similar lengths, small enough to stay random."""
PARALLEL_JOBS = 2
"""Worker processes for tokenizing and encoding at training time (this project's machines have 2 cores)."""
PARALLEL_CHUNK = 2500
"""Reviews per worker task; fewer than two chunks' worth are done in-process."""
COMBINER_L2 = 1e-3
"""L2 penalty per validation review on the hybrid combiner's weights (not its bias)."""

LITERT_BATCH_SIZE = 32
"""Batch size baked into the exported LiteRT model (a fixed batch keeps it to builtin ops)."""
LITERT_SIGNATURES = ("batch", "one")
"""The flatbuffer's signatures: ``LITERT_BATCH_SIZE`` rows, and one row (a single review). A flatbuffer
exported before the second has one signature of ``LITERT_BATCH_SIZE`` rows."""
PROBABILITY_DECIMALS = 6
"""Probabilities in every prediction output (JSON lines, CSV, Parquet, Arrow, Spark) are rounded to this."""
