"""Data preparation for fitting: the validation split, tokenizing and encoding in parallel, and batches.

Batches are bucketed by length: the shuffled reviews are cut into pools of ``POOL_BATCHES``
batches, each pool is sorted by length and cut into batches, and the batch order is shuffled.
Each batch is padded only to its own longest review (the model masks padding), so short reviews
cost little; shuffling uses ``seed + epoch``, so a run's batches are the same every time.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import Any

import joblib
import numpy as np

from .._tensorflow import tf
from ..config import PARALLEL_CHUNK, PARALLEL_JOBS, POOL_BATCHES
from ..data import Split
from ..errors import DataError
from ..text import Encoded, Encoder, tokenize


class Batches:
    """Encoded reviews (and labels) as padded batches; :meth:`dataset` is what Keras consumes."""

    def __init__(
        self,
        encoder: Encoder,
        items: list[Encoded],
        labels: np.ndarray | None,
        batch_size: int,
        *,
        seed: int | None = None,
        only: str | None = None,
        multiclass: bool = False,
        class_weights: np.ndarray | None = None,
    ) -> None:
        self.encoder, self.items, self.labels, self.class_weights = encoder, items, labels, class_weights
        self.batch_size, self.seed, self.only, self.multiclass = batch_size, seed, only, multiclass
        self.epoch = 0
        self._lengths = np.fromiter((len(self._key(item)) for item in items), dtype=np.int64, count=len(items))

    def _key(self, item: Encoded) -> list[int]:
        return (item.ngram_ids or []) if self.only == "ngram_ids" else item.token_ids

    def __len__(self) -> int:
        return math.ceil(len(self.items) / self.batch_size)

    @property
    def batches_per_epoch(self) -> int:
        """Batches :meth:`dataset` yields per pass: one per step here, one per replica and step in a shard."""
        return len(self)

    def order(self) -> list[np.ndarray]:
        """The batches of this epoch as row indices (and advances the epoch when shuffling)."""
        n, size = len(self.items), self.batch_size
        if self.seed is None:
            index = np.argsort(self._lengths, kind="stable")
            return [index[i : i + size] for i in range(0, n, size)]
        rng = np.random.default_rng(self.seed + self.epoch)
        self.epoch += 1
        return self.buckets(rng.permutation(n), rng)

    def buckets(self, shuffled: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """``shuffled`` rows cut into pools, each sorted by length and cut into batches; the batches shuffled."""
        size = self.batch_size
        batches = []
        pool = size * POOL_BATCHES
        for start in range(0, len(shuffled), pool):
            part = shuffled[start : start + pool]
            part = part[np.argsort(self._lengths[part], kind="stable")]
            batches += [part[i : i + size] for i in range(0, len(part), size)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def __iter__(self) -> Iterator[Any]:
        for rows in self.order():
            arrays = self.encoder.batch([self.items[i] for i in rows])
            x = arrays[self.only] if self.only else arrays
            if self.labels is None:
                yield (x,)
            else:
                y = self.labels[rows]
                y = y.astype(np.int32) if self.multiclass else y.astype(np.float32)
                if self.class_weights is None:
                    yield (x, y)
                else:
                    yield (x, y, self.class_weights[self.labels[rows]].astype(np.float32))

    def dataset(self) -> tf.data.Dataset:
        names = (self.only,) if self.only else self.encoder.input_names
        spec = {name: tf.TensorSpec(shape=(None, None), dtype=tf.int32) for name in names}
        x_spec = spec[self.only] if self.only else spec
        y_spec = tf.TensorSpec(shape=(None,), dtype=tf.int32 if self.multiclass else tf.float32)
        signature = (x_spec,) if self.labels is None else (x_spec, y_spec)
        if self.labels is not None and self.class_weights is not None:
            signature += (tf.TensorSpec(shape=(None,), dtype=tf.float32),)
        dataset = tf.data.Dataset.from_generator(self.__iter__, output_signature=signature)
        return dataset.apply(tf.data.experimental.assert_cardinality(self.batches_per_epoch)).prefetch(2)


def balanced_weights(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Per-class weights n / (classes × count), as scikit-learn's ``class_weight="balanced"`` (0 for absent classes)."""
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    return np.divide(len(labels), num_classes * counts, out=np.zeros(num_classes), where=counts > 0)


def split_validation(split: Split, fraction: float, seed: int) -> tuple[Split, Split | None]:
    """Carve a random validation set out of the training split."""
    order = np.random.default_rng(seed).permutation(len(split))
    n_val = round(len(split) * fraction)
    if fraction > 0 and n_val == 0:
        n_val = 1
    if n_val and n_val >= len(split):
        raise DataError(
            f"too few training reviews ({len(split)}) to hold out a validation split",
            "add reviews, or set the validation split to 0",
        )
    return split.take(order[n_val:]), (split.take(order[:n_val]) if n_val else None)


def check_trainable(fit: Split, classes: tuple[str, ...], validation: Split | None) -> None:
    """At least two classes must be left to fit on once the validation split is carved out."""
    present = sorted(set(np.unique(fit.labels).tolist()))
    if len(present) >= 2:
        return
    only = classes[present[0]] if present else None
    held = ""
    if validation is not None and only is not None:
        others = sorted({classes[c] for c in np.unique(validation.labels).tolist()} - {only})
        if others:
            held = f" (the {', '.join(others)} reviews all went to the validation split)"
    what = f"only {only} reviews" if only else "no reviews"
    raise DataError(
        f"the training data has {what} left to fit on{held}",
        "at least two classes are needed; add reviews of the other classes",
    )


def in_parallel(function: Any, items: list, n_jobs: int = PARALLEL_JOBS, chunk: int = PARALLEL_CHUNK) -> list:
    """``function`` over chunks of ``items`` in worker processes when there are enough to be worth it."""
    if len(items) < 2 * chunk or n_jobs == 1:
        return function(items)
    parts = joblib.Parallel(n_jobs=n_jobs)(
        joblib.delayed(function)(items[i : i + chunk]) for i in range(0, len(items), chunk)
    )
    return [item for part in parts for item in part]


def _tokenize_all(texts: list[str], clauses: bool = False) -> list[list[str]]:
    return [tokenize(text, clauses=clauses) for text in texts]


def tokenize_texts(texts: list[str], clauses: bool = False) -> list[list[str]]:
    """Every text's tokens (``clauses``: a token after punctuation is a ``ClauseStart``, see ``text.iter_tokens``)."""
    return in_parallel(functools.partial(_tokenize_all, clauses=clauses), texts)


def encode_texts(encoder: Encoder, texts: list[str]) -> list[Encoded]:
    return in_parallel(encoder.encode_many, texts)
